import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Channel } from "@tauri-apps/api/core";
import { emit } from "@tauri-apps/api/event";
import { describe, expect, it } from "vitest";

import { App } from "../App";
import type { Progress } from "../bindings/Progress";
import type { SyncSummary } from "../bindings/SyncSummary";
import { ACCOUNT, ROWS, SUMMARY, row } from "../test/fixtures";
import { deferred, mockCommands } from "../test/ipc";
import { renderApp } from "../test/render";

const BASE = {
  session: ACCOUNT,
  list_clients: [
    ...ROWS,
    row("dyn", "Dynamo", 1, "compliant", { drafts: ["quotas", "catalog"], conflicts: ["quotas"] }),
  ],
  queued_clients: [
    { id: "q1", company_name: "Newco", contact_email: "a@b.c", attempts: 0, last_error: null, search_text: "newco\na@b.c" },
  ],
};

describe("status bar", () => {
  it("counts drafts, queued creates and conflicts, and shows the last sync", async () => {
    mockCommands(BASE);
    renderApp(<App />);
    const bar = await screen.findByTestId("status-bar");
    expect(bar).toBeInTheDocument();
    // Cobalt has one draft, Dynamo two.
    await waitFor(() => expect(screen.getByTestId("status-drafts")).toHaveTextContent("Drafts: 3"));
    expect(screen.getByTestId("status-queued")).toHaveTextContent("Queued: 1");
    expect(screen.getByTestId("status-conflicts")).toHaveTextContent("Conflicts: 1");
    expect(screen.getByTestId("status-last-sync")).not.toHaveTextContent("never");
    // After a restart the account has synced before: the badge does not contradict the last
    // sync beside it.
    expect(screen.getByTestId("status-unknown")).toHaveTextContent("Not connected yet");
    expect(screen.getByTestId("status-bar")).not.toHaveTextContent("Not synced yet");
  });

  it("says not synced yet only for an account that never synced", async () => {
    mockCommands({ ...BASE, session: { ...ACCOUNT, last_sync_at: null } });
    renderApp(<App />);
    expect(await screen.findByTestId("status-unknown")).toHaveTextContent("Not synced yet");
    expect(screen.getByTestId("status-last-sync")).toHaveTextContent("never");
  });

  it("shows offline after a sync-status offline event, online after synced", async () => {
    mockCommands(BASE);
    renderApp(<App />);
    await screen.findByTestId("status-bar");
    await waitFor(async () => {
      await emit("sync-status", { state: "offline" });
      expect(screen.getByTestId("status-offline")).toHaveTextContent("Offline");
    });
    await emit("sync-status", { state: "synced", summary: SUMMARY });
    expect(await screen.findByTestId("status-online")).toBeInTheDocument();
    expect(screen.queryByTestId("status-offline")).not.toBeInTheDocument();
  });

  it("Sync now shows progress and Cancel, then refreshes the screen", async () => {
    const sync = deferred<SyncSummary>();
    let listed = 0;
    const ipc = mockCommands({
      ...BASE,
      list_clients: () => {
        listed += 1;
        return ROWS;
      },
      sync_now: (args: Record<string, unknown>) => {
        (args.onProgress as Channel<Progress>).onmessage({ pages: 4, rows: 99, step: "clients" });
        return sync.promise;
      },
      cancel_sync: true,
    });
    const user = userEvent.setup();
    renderApp(<App />);
    await screen.findByTestId("client-row-acme");
    await waitFor(() => expect(listed).toBe(2)); // the list and the status bar
    await user.click(screen.getByTestId("sync-now"));
    expect(await screen.findByTestId("status-sync-progress")).toHaveTextContent("4 pages, 99 changes");
    await user.click(screen.getByTestId("sync-cancel"));
    expect(ipc.argsOf("cancel_sync")).toHaveLength(1);

    sync.resolve(SUMMARY);
    expect(await screen.findByTestId("sync-now")).toBeInTheDocument();
    expect(screen.getByTestId("status-online")).toBeInTheDocument();
    await waitFor(() => expect(listed).toBe(4));
  });

  it("shows offline when Sync now finds the server unreachable", async () => {
    mockCommands({
      ...BASE,
      sync_now: () => {
        throw { code: "offline", message: "The Control Panel cannot be reached." };
      },
    });
    const user = userEvent.setup();
    renderApp(<App />);
    await user.click(await screen.findByTestId("sync-now"));
    expect(await screen.findByTestId("status-offline")).toBeInTheDocument();
  });

  it("shows a failed sync's message", async () => {
    mockCommands({
      ...BASE,
      sync_now: () => {
        throw { code: "internal", message: "The local store is damaged. The log file has the details." };
      },
    });
    const user = userEvent.setup();
    renderApp(<App />);
    await user.click(await screen.findByTestId("sync-now"));
    expect(await screen.findByTestId("status-error")).toHaveTextContent("The local store is damaged.");
  });
});
