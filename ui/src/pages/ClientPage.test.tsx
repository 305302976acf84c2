import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { Route, Routes } from "react-router";

import type { ClientDetail } from "../bindings/ClientDetail";
import { monthKey } from "../format";
import { PLANS, ROWS, detail } from "../test/fixtures";
import { mockCommands } from "../test/ipc";
import { renderApp } from "../test/render";
import { ClientPage } from "./ClientPage";

function renderClient() {
  return renderApp(
    <Routes>
      <Route path="/clients/:id" element={<ClientPage />} />
      <Route path="/clients" element={<div data-testid="list" />} />
    </Routes>,
    "/clients/acme",
  );
}

function handlers(d: () => ClientDetail, extra: Record<string, unknown> = {}) {
  return { client_detail: () => d(), list_clients: ROWS, plans: PLANS, ...extra };
}

describe("client detail", () => {
  it("shows the header and a usage bar per quota with the 80 % mark", async () => {
    const ipc = mockCommands(handlers(() => detail()));
    renderClient();
    expect(screen.getByTestId("client-loading")).toBeInTheDocument();
    expect(await screen.findByTestId("client-name")).toHaveTextContent("Acme Corp");
    expect(ipc.argsOf("client_detail")).toEqual([{ id: "acme" }]);
    expect(screen.getByTestId("client-plan")).toHaveTextContent("Basic");
    expect(screen.getByTestId("client-contact")).toHaveTextContent("it@acme.example");
    expect(screen.getAllByTestId("compliance-badge")[0]).toHaveAttribute("data-status", "over_quota");

    expect(screen.getByTestId("usage-max_servers-label")).toHaveTextContent("4 / 5");
    expect(screen.getByTestId("usage-max_users-label")).toHaveTextContent("3 / 10");
    expect(screen.getByTestId("usage-max_apps_per_server-label")).toHaveTextContent("7 / unlimited");
    expect(screen.getByTestId("usage-storage_quota_gb-label")).toHaveTextContent("120 / 100");
    expect(screen.getByTestId("usage-max_servers-mark")).toBeInTheDocument();
    expect(screen.queryByTestId("usage-max_apps_per_server-mark")).not.toBeInTheDocument();
    const bar = within(screen.getByTestId("usage-max_servers")).getByRole("progressbar");
    expect(bar).toHaveAttribute("aria-valuenow", "80");
    // Month to date comes with the detail (the page asks no list for it).
    expect(screen.getByTestId("overview-total")).toHaveTextContent("45.10 EUR");
    expect(ipc.argsOf("list_clients")).toEqual([]);
    expect(screen.getByTestId("overview-plan")).toHaveTextContent("Basic");
  });

  it("saves the quotas as a draft with the values entered", async () => {
    let current = detail();
    const ipc = mockCommands(
      handlers(() => current, {
        save_quotas_draft: (args: Record<string, unknown>) => {
          current = detail({
            quotas: args.quotas as ClientDetail["quotas"],
            drafts: [{ kind: "quotas", client: "acme", body: null, base_version: 3, updated_at: "2026-11-28T00:00:00Z" }],
          });
          return null;
        },
      }),
    );
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("tab-quotas"));
    expect(screen.getByTestId("quotas-quota-max_servers")).toHaveValue("5");
    expect(screen.getByTestId("quotas-unlimited-max_apps_per_server")).toBeChecked();
    expect(screen.queryByTestId("quotas-draft-badge")).not.toBeInTheDocument();
    expect(screen.getByTestId("quotas-save")).toBeDisabled();

    await user.clear(screen.getByTestId("quotas-quota-max_servers"));
    await user.type(screen.getByTestId("quotas-quota-max_servers"), "8");
    await user.click(screen.getByTestId("quotas-unlimited-max_users"));
    await user.click(screen.getByTestId("quotas-save"));

    await waitFor(() =>
      expect(ipc.argsOf("save_quotas_draft")).toEqual([
        { id: "acme", quotas: { max_servers: 8, max_users: null, max_apps_per_server: null, storage_quota_gb: 100 } },
      ]),
    );
    expect(await screen.findByTestId("quotas-draft-badge")).toBeInTheDocument();
    expect(screen.getByTestId("quotas-saved")).toBeInTheDocument();
  });

  it("publishes the draft, and shows a conflict as a warning", async () => {
    const withDraft = detail({
      drafts: [{ kind: "quotas", client: "acme", body: null, base_version: 3, updated_at: "2026-11-28T00:00:00Z" }],
    });
    let outcome = "published";
    const ipc = mockCommands(
      handlers(() => withDraft, { publish_draft: () => outcome, save_quotas_draft: null }),
    );
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("tab-quotas"));
    expect(screen.getByTestId("quotas-draft-badge")).toBeInTheDocument();
    await user.click(screen.getByTestId("quotas-publish"));
    expect(await screen.findByTestId("quotas-published")).toBeInTheDocument();
    expect(ipc.argsOf("publish_draft")).toEqual([{ id: "acme", kind: "quotas" }]);
    // Nothing changed in the form: the saved draft is published as it is.
    expect(ipc.argsOf("save_quotas_draft")).toHaveLength(0);

    outcome = "conflict";
    await user.click(await screen.findByTestId("quotas-publish"));
    expect(await screen.findByTestId("quotas-conflict")).toHaveTextContent(/not published/);
  });

  it("shows the server's refusal of a publish under the quota", async () => {
    const withDraft = detail({
      drafts: [{ kind: "quotas", client: "acme", body: null, base_version: 3, updated_at: "2026-11-28T00:00:00Z" }],
    });
    mockCommands(
      handlers(() => withDraft, {
        publish_draft: () => {
          throw {
            code: "validation",
            message: "The server refused the quotas.",
            fields: [{ field: "quotas.max_servers", message: "max_servers cannot be below the 4 servers in use" }],
          };
        },
      }),
    );
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("tab-quotas"));
    await user.click(screen.getByTestId("quotas-publish"));
    expect(await screen.findByTestId("quotas-error")).toHaveTextContent("The server refused the quotas.");
    expect(screen.getByTestId("quotas-quota-max_servers")).toHaveAccessibleDescription(
      "max_servers cannot be below the 4 servers in use",
    );
  });

  it("discards the draft", async () => {
    const withDraft = detail({
      drafts: [{ kind: "quotas", client: "acme", body: null, base_version: 3, updated_at: "2026-11-28T00:00:00Z" }],
    });
    const ipc = mockCommands(handlers(() => withDraft, { discard_draft: null }));
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("tab-quotas"));
    await user.click(screen.getByTestId("quotas-discard"));
    await waitFor(() => expect(ipc.argsOf("discard_draft")).toEqual([{ id: "acme", kind: "quotas" }]));
  });

  it("lists servers (deleted ones marked) and users; the branding tab loads only when shown", async () => {
    const ipc = mockCommands(
      handlers(() => detail(), {
        templates: [],
        branding_view: () => {
          throw { code: "internal", message: "The store is unreadable." };
        },
      }),
    );
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("tab-servers"));
    expect(screen.getByTestId("server-row-s1")).toHaveTextContent("web-1");
    expect(screen.getByTestId("server-row-s1")).toHaveTextContent("hetzner");
    expect(screen.getByTestId("server-row-s2")).toHaveTextContent("deleted");
    await user.click(screen.getByTestId("tab-users"));
    expect(screen.getByTestId("user-row-u1")).toHaveTextContent("ann@acme.example");
    expect(ipc.argsOf("branding_view")).toEqual([]);
    await user.click(screen.getByTestId("tab-branding"));
    expect(await screen.findByTestId("branding-load-error")).toHaveTextContent("The store is unreadable.");
    expect(ipc.argsOf("branding_view")).toEqual([{ id: "acme" }]);
  });

  it("edits name, contact and plan, sending only what changed", async () => {
    const ipc = mockCommands(handlers(() => detail(), { update_client: detail().client }));
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("client-edit"));
    const name = await screen.findByTestId("client-edit-name");
    await user.clear(name);
    await user.type(name, "Acme Inc");
    await user.click(screen.getByTestId("client-edit-plan"));
    await user.click(await screen.findByRole("option", { name: "Pro" }));
    await user.click(screen.getByTestId("client-edit-submit"));
    await waitFor(() =>
      expect(ipc.argsOf("update_client")).toEqual([
        { id: "acme", changes: { company_name: "Acme Inc", contact_email: null, plan_id: "pro" } },
      ]),
    );
  });

  it("shows why the server refuses a delete", async () => {
    const message = "Acme Corp still has 1 server. Delete its servers first.";
    mockCommands(
      handlers(() => detail(), {
        delete_client: () => {
          throw { code: "conflict", message };
        },
      }),
    );
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("client-delete"));
    await user.click(await screen.findByTestId("client-delete-confirm"));
    expect(await screen.findByTestId("client-delete-error")).toHaveTextContent(message);
  });

  it("goes back to the list after a delete", async () => {
    mockCommands(handlers(() => detail(), { delete_client: null }));
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("client-delete"));
    await user.click(await screen.findByTestId("client-delete-confirm"));
    expect(await screen.findByTestId("list")).toBeInTheDocument();
  });

  it("shows a load error with a retry", async () => {
    let attempts = 0;
    mockCommands(
      handlers(() => {
        attempts += 1;
        if (attempts === 1) throw { code: "not_found", message: "This client is not on this desk." };
        return detail();
      }),
    );
    const user = userEvent.setup();
    renderClient();
    expect(await screen.findByTestId("client-error")).toHaveTextContent("This client is not on this desk.");
    await user.click(screen.getByTestId("client-retry"));
    expect(await screen.findByTestId("client-name")).toBeInTheDocument();
  });

  it("shows this month's cost per server, with the currency's minor digits", async () => {
    const ipc = mockCommands(
      handlers(() => detail(), {
        templates: [],
        billing_report: {
          period: monthKey(),
          currency: "BHD",
          as_of: "2026-11-28T00:00:00Z",
          fx_rates: [],
          clients: [
            {
              client_id: "acme",
              company_name: "Acme Corp",
              plan_name: "Basic",
              server_count: 1,
              hosting_cost: "4.5",
              license_fees: "9",
              total: "13.5",
              lines: [
                {
                  instance_id: "s1",
                  instance_name: "web-1",
                  provider: "hetzner",
                  server_type: "cx22",
                  active_hours: 600,
                  hosting_cost: "4.5",
                  license_fee: "9",
                  total: "13.5",
                },
              ],
            },
          ],
          hosting_cost: "4.5",
          license_fees: "9",
          total: "13.5",
        },
      }),
    );
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("tab-servers"));
    await waitFor(() => expect(screen.getByTestId("server-cost-s1")).toHaveTextContent("13.500 BHD"));
    expect(screen.getByTestId("server-cost-s2")).toHaveTextContent("—");
    expect(ipc.argsOf("billing_report")).toEqual([{ periodText: monthKey(), client: "acme" }]);
    expect(monthKey()).toMatch(/^\d{4}-\d{2}$/);
    expect(screen.queryByTestId("servers-cost-error")).not.toBeInTheDocument();
  });

  it("shows why this month's costs are missing, once, above the servers", async () => {
    const message = "No exchange rate from USD to EUR for this month.";
    mockCommands(
      handlers(() => detail(), {
        billing_report: () => {
          throw { code: "validation", message };
        },
      }),
    );
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("tab-servers"));
    expect(await screen.findByTestId("servers-cost-error")).toHaveTextContent(message);
    expect(screen.getAllByTestId("servers-cost-error")).toHaveLength(1);
    expect(screen.getByTestId("server-cost-s1")).toHaveTextContent("—");
    expect(screen.getByTestId("server-cost-s2")).toHaveTextContent("—");
  });

  it("lists the activity with readable actions", async () => {
    const ipc = mockCommands(
      handlers(() => detail(), {
        client_activity: [
          { id: "a1", tenant_id: "acme", actor_id: "op1", action: "server.create", target_type: "server", target_id: "s1", at: "2026-11-20T10:00:00Z" },
          { id: "a2", tenant_id: "acme", actor_id: "op1", action: "client.quotas", target_type: "client", target_id: "acme", at: "2026-11-21T10:00:00Z" },
          { id: "a3", tenant_id: "acme", actor_id: "op1", action: "other", target_type: "other", target_id: "s1", at: "2026-11-22T10:00:00Z" },
          // What the server records for an install and a removal (not "app.install").
          { id: "a4", tenant_id: "acme", actor_id: "op1", action: "app.create", target_type: "app", target_id: "p1", at: "2026-11-23T10:00:00Z" },
          { id: "a5", tenant_id: "acme", actor_id: "op1", action: "app.delete", target_type: "app", target_id: "p1", at: "2026-11-24T10:00:00Z" },
        ],
      }),
    );
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("tab-activity"));
    expect(await screen.findByTestId("activity-table")).toBeInTheDocument();
    expect(ipc.argsOf("client_activity")).toEqual([{ id: "acme" }]);
    expect(screen.getByTestId("activity-row-a1")).toHaveTextContent("Server created");
    expect(screen.getByTestId("activity-row-a1")).toHaveTextContent("server");
    expect(screen.getByTestId("activity-row-a1")).toHaveTextContent(new Date("2026-11-20T10:00:00Z").toLocaleString());
    expect(screen.getByTestId("activity-row-a2")).toHaveTextContent("Quotas changed");
    expect(screen.getByTestId("activity-row-a3")).toHaveTextContent("Other action");
    expect(screen.getByTestId("activity-row-a4")).toHaveTextContent("App installed");
    expect(screen.getByTestId("activity-row-a5")).toHaveTextContent("App uninstalled");
  });

  it("shows an empty activity, and that it needs the Control Panel when offline", async () => {
    let entries: unknown = [];
    mockCommands(
      handlers(() => detail(), {
        client_activity: () => {
          if (entries === "offline") throw { code: "offline", message: "The Control Panel cannot be reached." };
          return entries;
        },
      }),
    );
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("tab-activity"));
    expect(await screen.findByTestId("activity-empty")).toBeInTheDocument();

    entries = "offline";
    await user.click(screen.getByTestId("tab-users"));
    await user.click(screen.getByTestId("tab-activity"));
    expect(await screen.findByTestId("activity-error")).toHaveTextContent(
      "Activity needs the Control Panel: you are offline.",
    );
    entries = [];
    await user.click(screen.getByTestId("activity-retry"));
    expect(await screen.findByTestId("activity-empty")).toBeInTheDocument();
  });
});
