import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";

import { App } from "../App";
import type { Conflict } from "../bindings/Conflict";
import { ClientPage } from "../pages/ClientPage";
import { ACCOUNT, ROWS, detail, row } from "../test/fixtures";
import { mockCommands } from "../test/ipc";
import { renderApp } from "../test/render";
import { differingFields, showValue } from "./ConflictsDialog";

const QUOTAS: Conflict = {
  kind: "quotas",
  client: "dyn",
  draft: { max_servers: 8, max_users: null, max_apps_per_server: null, storage_quota_gb: 100 },
  server: { max_servers: 6, max_users: 20, max_apps_per_server: null, storage_quota_gb: 100, version: 7 },
  server_version: 7,
};

const BASE = {
  session: ACCOUNT,
  list_clients: [...ROWS, row("dyn", "Dynamo", 1, "compliant", { drafts: ["quotas"], conflicts: ["quotas"] })],
  queued_clients: [],
  conflicts: [QUOTAS],
};

async function openFromStatusBar(extra: Record<string, unknown> = {}) {
  const ipc = mockCommands({ ...BASE, ...extra });
  const user = userEvent.setup();
  renderApp(<App />);
  const button = await screen.findByTestId("status-conflicts");
  await waitFor(() => expect(button).toHaveTextContent("Conflicts: 1"));
  await user.click(button);
  await screen.findByTestId("conflict-fields");
  return { ipc, user };
}

describe("conflicts", () => {
  it("lists the differing fields with the server's value beside the draft's", async () => {
    await openFromStatusBar();
    const dialog = screen.getByTestId("conflicts-dialog");
    expect(within(dialog).getByText("Dynamo")).toBeInTheDocument();
    const servers = screen.getByTestId("conflict-field-max_servers");
    expect(within(servers).getByTestId("conflict-theirs-max_servers")).toHaveTextContent("6");
    expect(within(servers).getByTestId("conflict-mine-max_servers")).toHaveTextContent("8");
    expect(screen.getByTestId("conflict-theirs-max_users")).toHaveTextContent("20");
    expect(screen.getByTestId("conflict-mine-max_users")).toHaveTextContent("none");
    // Equal fields and the version are not shown.
    expect(screen.queryByTestId("conflict-field-storage_quota_gb")).not.toBeInTheDocument();
    expect(screen.queryByTestId("conflict-field-version")).not.toBeInTheDocument();
  });

  it("applies the per-field choices", async () => {
    const { ipc, user } = await openFromStatusBar({ resolve_conflict: "published" });
    await user.click(screen.getByTestId("conflict-choose-max_users-theirs"));
    await user.click(screen.getByTestId("conflict-apply"));
    await waitFor(() =>
      expect(ipc.argsOf("resolve_conflict")).toEqual([
        { id: "dyn", kind: "quotas", resolution: { how: "per_field", fields: { max_servers: true, max_users: false } } },
      ]),
    );
    expect(await screen.findByTestId("conflicts-notice")).toHaveTextContent("resolved and published");
  });

  it("takes theirs, and keeps mine", async () => {
    const { ipc, user } = await openFromStatusBar({ resolve_conflict: "published" });
    await user.click(screen.getByTestId("conflict-take-theirs"));
    await waitFor(() =>
      expect(ipc.argsOf("resolve_conflict")).toEqual([{ id: "dyn", kind: "quotas", resolution: { how: "take_theirs" } }]),
    );
    await user.click(await screen.findByTestId("conflict-keep-mine"));
    await waitFor(() =>
      expect(ipc.lastArgsOf("resolve_conflict")).toEqual({ id: "dyn", kind: "quotas", resolution: { how: "keep_mine" } }),
    );
  });

  it("shows why a resolve failed", async () => {
    const { user } = await openFromStatusBar({
      resolve_conflict: () => {
        throw { code: "offline", message: "The Control Panel cannot be reached." };
      },
    });
    await user.click(screen.getByTestId("conflict-keep-mine"));
    expect(await screen.findByTestId("conflict-error")).toHaveTextContent("cannot be reached");
  });

  it("opens from the client page's conflict notice, with only that client's conflicts", async () => {
    const other: Conflict = { ...QUOTAS, client: "bolt" };
    mockCommands({
      client_detail: () => detail({ conflicts: [{ ...QUOTAS, client: "acme" }] }),
      list_clients: ROWS,
      conflicts: [{ ...QUOTAS, client: "acme" }, other],
    });
    const user = userEvent.setup();
    renderApp(
      <Routes>
        <Route path="/clients/:id" element={<ClientPage />} />
      </Routes>,
      "/clients/acme",
    );
    await user.click(await screen.findByTestId("client-conflicts-resolve"));
    expect(await screen.findByTestId("conflict-acme-quotas")).toHaveTextContent("Acme Corp");
    expect(screen.queryByTestId("conflict-bolt-quotas")).not.toBeInTheDocument();
  });

  it("describes values and differing fields", () => {
    expect(differingFields(QUOTAS)).toEqual(["max_servers", "max_users"]);
    expect(showValue(["a", "b"])).toBe("a, b");
    expect(showValue(null)).toBe("none");
    expect(
      differingFields({ kind: "catalog", client: "x", draft: { mode: "custom", enabled: ["a"] }, server: { mode: "custom", enabled: ["a", "b"] }, server_version: 2 }),
    ).toEqual(["enabled"]);
  });
});
