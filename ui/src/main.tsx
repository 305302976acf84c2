import "@mantine/core/styles.css";

import { MantineProvider } from "@mantine/core";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { HashRouter } from "react-router";

import { commands } from "./api/commands";
import { App } from "./App";
import { markPaint } from "./bench";
import { setFormatLocale } from "./format";
import { theme } from "./theme";

const root = document.getElementById("root");
if (root) {
  // Dates and numbers in the system's regional format, from the first paint on (the webview's
  // own default is its UI language). One quick call; without an answer, the webview's default.
  void commands
    .appInfo()
    .then((info) => setFormatLocale(info.format_locale ?? undefined))
    .catch(() => undefined)
    .finally(() => {
      createRoot(root).render(
        <StrictMode>
          <MantineProvider theme={theme} defaultColorScheme="auto">
            <HashRouter>
              <App />
            </HashRouter>
          </MantineProvider>
        </StrictMode>,
      );
      markPaint("first-paint");
    });
}
