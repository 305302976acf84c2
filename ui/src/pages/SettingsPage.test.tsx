import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { act, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { UnsentWork } from "../bindings/UnsentWork";
import { AppStateProvider } from "../state/AppState";
import { setSyncIntervalMinutes } from "../state/syncInterval";
import { ACCOUNT, SUMMARY } from "../test/fixtures";
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

const UNSENT: UnsentWork = {
  server: "https://cp.example.com",
  email: "ops@msp.example",
  items: [
    { kind: "draft", draft: "quotas", id: "acme", company_name: "Acme Corp", summary: "quotas draft of Acme Corp" },
    { kind: "queued_client", draft: null, id: "q1", company_name: "Newco", summary: "new client Newco (not created yet)" },
  ],
};

/** Settings for a signed-in account, with no automatic sync. */
function renderSignedIn(onSignedOut: () => void) {
  return renderApp(
    <AppStateProvider initialAccount={ACCOUNT} onSignedOut={onSignedOut} autoSyncMs={0}>
      <SettingsPage />
    </AppStateProvider>,
  );
}

describe("Account panel", () => {
  it("shows the server and operator, and signs out", async () => {
    const ipc = mockCommands({ app_info: APP_INFO, sign_out: null, unsent_work: { ...UNSENT, items: [] } });
    const onSignedOut = vi.fn();
    const user = userEvent.setup();
    renderSignedIn(onSignedOut);
    expect(screen.getByTestId("account-server")).toHaveTextContent("https://cp.example.com");
    expect(screen.getByTestId("account-email")).toHaveTextContent("ops@msp.example");
    await user.click(screen.getByTestId("sign-out"));
    await waitFor(() => expect(onSignedOut).toHaveBeenCalled());
    // Nothing unsent: signed out at once, and only if that is still so.
    expect(ipc.argsOf("sign_out")).toEqual([{ choice: "if_nothing_unsent" }]);
  });

  it("names unsent drafts before signing out and keeps them when asked", async () => {
    const ipc = mockCommands({ app_info: APP_INFO, sign_out: null, unsent_work: UNSENT });
    const onSignedOut = vi.fn();
    const user = userEvent.setup();
    renderSignedIn(onSignedOut);
    await user.click(screen.getByTestId("sign-out"));
    const list = await screen.findByTestId("sign-out-unsent");
    expect(list).toHaveTextContent("quotas draft of Acme Corp");
    expect(list).toHaveTextContent("new client Newco (not created yet)");
    // Nothing has happened yet.
    expect(ipc.argsOf("sign_out")).toEqual([]);
    expect(onSignedOut).not.toHaveBeenCalled();
    // Discarding needs its own confirmation, naming how much is lost.
    expect(screen.getByTestId("unsent-discard")).toBeDisabled();
    expect(screen.getByTestId("unsent-discard")).toHaveTextContent("Discard 2 changes and sign out");
    await user.click(screen.getByTestId("sign-out-keep"));
    await waitFor(() => expect(onSignedOut).toHaveBeenCalled());
    expect(ipc.argsOf("sign_out")).toEqual([{ choice: "keep_unsent" }]);
  });

  it("exports unsent work, and discards it only once confirmed", async () => {
    const ipc = mockCommands({
      app_info: APP_INFO,
      sign_out: null,
      unsent_work: UNSENT,
      choose_export_path: "/home/ann/unsent.json",
      export_unsent: 2,
    });
    const onSignedOut = vi.fn();
    const user = userEvent.setup();
    renderSignedIn(onSignedOut);
    await user.click(screen.getByTestId("sign-out"));
    await user.click(await screen.findByTestId("sign-out-export"));
    expect(await screen.findByTestId("sign-out-message")).toHaveTextContent(
      "2 unsent changes written to /home/ann/unsent.json.",
    );
    expect(ipc.argsOf("choose_export_path")[0]).toMatchObject({ format: "json" });
    expect(ipc.argsOf("export_unsent")).toEqual([{ path: "/home/ann/unsent.json" }]);
    expect(onSignedOut).not.toHaveBeenCalled();
    await user.click(screen.getByTestId("unsent-discard-sure"));
    await user.click(screen.getByTestId("unsent-discard"));
    await waitFor(() => expect(onSignedOut).toHaveBeenCalled());
    expect(ipc.argsOf("sign_out")).toEqual([{ choice: "discard_unsent" }]);
  });

  it("keeps the user signed in and says why when sign out fails", async () => {
    mockCommands({
      app_info: APP_INFO,
      unsent_work: null,
      sign_out: () => {
        throw { code: "keyring_unavailable", message: "The keyring is locked. Unlock it and try again." };
      },
    });
    const onSignedOut = vi.fn();
    const user = userEvent.setup();
    renderSignedIn(onSignedOut);
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

describe("Sync panel", () => {
  it("defaults to every 5 minutes and keeps the chosen interval", async () => {
    localStorage.clear();
    mockCommands({ app_info: APP_INFO });
    const user = userEvent.setup();
    renderApp(<SettingsPage />);
    expect(screen.getByTestId("sync-interval")).toHaveValue("Every 5 minutes");
    await user.click(screen.getByTestId("sync-interval"));
    await user.click(await screen.findByRole("option", { name: "Every 15 minutes" }));
    expect(localStorage.getItem("mspdesk.syncIntervalMinutes")).toBe("15");
    expect(screen.getByTestId("sync-interval")).toHaveValue("Every 15 minutes");
    await user.click(screen.getByTestId("sync-interval"));
    await user.click(await screen.findByRole("option", { name: "Off" }));
    expect(localStorage.getItem("mspdesk.syncIntervalMinutes")).toBe("0");
  });

  it("drives the automatic sync, and a change takes effect at once", async () => {
    localStorage.setItem("mspdesk.syncIntervalMinutes", "1");
    vi.useFakeTimers();
    try {
      const ipc = mockCommands({ sync_now: SUMMARY, session: ACCOUNT });
      renderApp(
        <AppStateProvider initialAccount={ACCOUNT} onSignedOut={() => {}}>
          <div />
        </AppStateProvider>,
      );
      await act(async () => {
        await vi.advanceTimersByTimeAsync(59_000);
      });
      expect(ipc.argsOf("sync_now")).toHaveLength(0);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(1_000);
      });
      expect(ipc.argsOf("sync_now")).toHaveLength(1);

      act(() => setSyncIntervalMinutes(0));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(10 * 60_000);
      });
      expect(ipc.argsOf("sync_now")).toHaveLength(1);

      act(() => setSyncIntervalMinutes(15));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(15 * 60_000);
      });
      expect(ipc.argsOf("sync_now")).toHaveLength(2);
    } finally {
      vi.useRealTimers();
      localStorage.clear();
    }
  });
});

describe("About panel folders", () => {
  it("opens the data and log folders, and says why when it cannot", async () => {
    let fail = false;
    const ipc = mockCommands({
      app_info: APP_INFO,
      open_data_dir: null,
      open_log_dir: () => {
        if (fail) throw { code: "internal", message: "No file manager to open /d/logs." };
        return null;
      },
    });
    const user = userEvent.setup();
    renderApp(<SettingsPage />);
    await screen.findByTestId("about-version");
    await user.click(screen.getByTestId("open-data-dir"));
    await waitFor(() => expect(ipc.argsOf("open_data_dir")).toHaveLength(1));
    await user.click(screen.getByTestId("open-log-dir"));
    await waitFor(() => expect(ipc.argsOf("open_log_dir")).toHaveLength(1));
    expect(screen.queryByTestId("open-dir-error")).not.toBeInTheDocument();
    fail = true;
    await user.click(screen.getByTestId("open-log-dir"));
    expect(await screen.findByTestId("open-dir-error")).toHaveTextContent("No file manager to open /d/logs.");
  });
});
