import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { AppStateProvider } from "../state/AppState";
import { ACCOUNT } from "../test/fixtures";
import { mockCommands } from "../test/ipc";
import { renderApp } from "../test/render";
import { SettingsPage } from "./SettingsPage";

describe("About panel", () => {
  it("shows what the app_info command returns", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "app_info") {
        return {
          name: "MSP Desk",
          version: "9.8.7",
          data_dir: "/home/ops/.local/share/io.mspdesk.desktop",
          log_dir: "/home/ops/.local/share/io.mspdesk.desktop/logs",
        };
      }
      throw new Error(`unexpected command ${cmd}`);
    });
    renderApp(<SettingsPage />);

    expect(screen.getByTestId("about-loading")).toBeInTheDocument();
    expect(await screen.findByTestId("about-version")).toHaveTextContent("9.8.7");
    expect(screen.getByTestId("about-name")).toHaveTextContent("MSP Desk");
    expect(screen.getByTestId("about-data-dir")).toHaveTextContent(
      "/home/ops/.local/share/io.mspdesk.desktop",
    );
    expect(screen.getByTestId("about-log-dir")).toHaveTextContent(/\/logs$/);
    expect(calls).toEqual(["app_info"]);
  });

  it("shows the command's error message and retries", async () => {
    let attempts = 0;
    mockIPC(() => {
      attempts += 1;
      if (attempts === 1) {
        // The shape of the Rust IpcError.
        throw { code: "internal", message: "Could not find the data folder. The log file has the details." };
      }
      return { name: "MSP Desk", version: "1.0.0", data_dir: "/d", log_dir: "/d/logs" };
    });
    const user = userEvent.setup();
    renderApp(<SettingsPage />);

    const alert = await screen.findByTestId("about-error");
    expect(alert).toHaveTextContent("Could not find the data folder. The log file has the details.");

    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("about-version")).toHaveTextContent("1.0.0");
    expect(screen.queryByTestId("about-error")).not.toBeInTheDocument();
    expect(attempts).toBe(2);
  });
});

const APP_INFO = { name: "MSP Desk", version: "1.0.0", data_dir: "/d", log_dir: "/d/logs" };

describe("Account panel", () => {
  it("shows the server and operator, and signs out", async () => {
    const ipc = mockCommands({ app_info: APP_INFO, sign_out: null });
    const onSignedOut = vi.fn();
    const user = userEvent.setup();
    renderApp(
      <AppStateProvider initialAccount={ACCOUNT} onSignedOut={onSignedOut} autoSyncMs={0}>
        <SettingsPage />
      </AppStateProvider>,
    );
    expect(screen.getByTestId("account-server")).toHaveTextContent("https://cp.example.com");
    expect(screen.getByTestId("account-email")).toHaveTextContent("ops@msp.example");
    await user.click(screen.getByTestId("sign-out"));
    await waitFor(() => expect(onSignedOut).toHaveBeenCalled());
    expect(ipc.argsOf("sign_out")).toHaveLength(1);
  });

  it("keeps the user signed in and says why when sign out fails", async () => {
    mockCommands({
      app_info: APP_INFO,
      sign_out: () => {
        throw { code: "keyring_unavailable", message: "The keyring is locked. Unlock it and try again." };
      },
    });
    const onSignedOut = vi.fn();
    const user = userEvent.setup();
    renderApp(
      <AppStateProvider initialAccount={ACCOUNT} onSignedOut={onSignedOut} autoSyncMs={0}>
        <SettingsPage />
      </AppStateProvider>,
    );
    await user.click(screen.getByTestId("sign-out"));
    expect(await screen.findByTestId("sign-out-error")).toHaveTextContent("The keyring is locked.");
    expect(onSignedOut).not.toHaveBeenCalled();
  });
});

describe("Theme panel", () => {
  it("switches between light, dark and the system's, and keeps the choice", async () => {
    localStorage.clear();
    mockCommands({ app_info: APP_INFO });
    const user = userEvent.setup();
    renderApp(<SettingsPage />);
    await user.click(screen.getByTestId("theme-dark"));
    expect(screen.getByTestId("theme-dark")).toHaveAttribute("aria-checked", "true");
    expect(screen.getByTestId("theme-light")).toHaveAttribute("aria-checked", "false");
    expect(localStorage.getItem("mantine-color-scheme-value")).toBe("dark");
    await user.click(screen.getByTestId("theme-system"));
    expect(screen.getByTestId("theme-system")).toHaveAttribute("aria-checked", "true");
    expect(localStorage.getItem("mantine-color-scheme-value")).toBe("auto");
  });
});
