import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";

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
