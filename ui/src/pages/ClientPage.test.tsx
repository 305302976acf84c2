import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { Route, Routes } from "react-router";

import type { ClientDetail } from "../bindings/ClientDetail";
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
    // Month to date comes from the client's row.
    await waitFor(() => expect(screen.getByTestId("overview-total")).toHaveTextContent("30.00 EUR"));
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

  it("lists servers (deleted ones marked) and users; branding is announced", async () => {
    mockCommands(handlers(() => detail(), { templates: [] }));
    const user = userEvent.setup();
    renderClient();
    await user.click(await screen.findByTestId("tab-servers"));
    expect(screen.getByTestId("server-row-s1")).toHaveTextContent("web-1");
    expect(screen.getByTestId("server-row-s1")).toHaveTextContent("hetzner");
    expect(screen.getByTestId("server-row-s2")).toHaveTextContent("deleted");
    await user.click(screen.getByTestId("tab-users"));
    expect(screen.getByTestId("user-row-u1")).toHaveTextContent("ann@acme.example");
    await user.click(screen.getByTestId("tab-branding"));
    expect(screen.getByTestId("branding-coming")).toHaveTextContent(/next version/);
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
});
