import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { Route, Routes, useParams } from "react-router";

import type { ClientQuery } from "../bindings/ClientQuery";
import type { ClientRow } from "../bindings/ClientRow";
import { PLANS, ROWS, row } from "../test/fixtures";
import { mockCommands } from "../test/ipc";
import { renderApp } from "../test/render";
import { ClientsPage } from "./ClientsPage";

function Opened() {
  const { id } = useParams();
  return <div data-testid="opened">{id}</div>;
}

function renderClients() {
  return renderApp(
    <Routes>
      <Route path="/clients" element={<ClientsPage />} />
      <Route path="/clients/:id" element={<Opened />} />
    </Routes>,
    "/clients",
  );
}

/** A list_clients handler that applies the view filters like the Rust side. */
function listing(rows: ClientRow[]) {
  return (args: Record<string, unknown>) => {
    const q = args.query as ClientQuery;
    return rows.filter(
      (r) =>
        (q.compliance === null || r.compliance.status === q.compliance) &&
        (!q.has_drafts || r.drafts.length > 0) &&
        (!q.has_conflicts || r.conflicts.length > 0),
    );
  };
}

/** Stands in for the desk's search_key (the fixtures' names need only lower-casing, and
 *  "Łódź" is spelled out where a test needs it). */
function fold(args: Record<string, unknown>): string {
  return String(args.search).trim().toLowerCase().replace("łódź", "lodz");
}

function shownIds(): string[] {
  return screen
    .getAllByTestId(/^client-(row|pending)-/)
    .map((el) => el.getAttribute("data-testid") ?? "");
}

describe("client list", () => {
  it("shows the rows of list_clients with the seed's columns", async () => {
    const ipc = mockCommands({ list_clients: listing(ROWS), queued_clients: [], search_key: fold });
    renderClients();
    expect(screen.getByTestId("clients-loading")).toBeInTheDocument();
    const acme = await screen.findByTestId("client-row-acme");
    expect(acme).toHaveTextContent("Acme Corp");
    expect(acme).toHaveTextContent("Basic");
    expect(screen.getByTestId("client-total-acme")).toHaveTextContent("30.00 EUR");
    expect(within(screen.getByTestId("client-row-bolt")).getByTestId("compliance-badge")).toHaveAttribute(
      "data-status",
      "over_quota",
    );
    expect(within(screen.getByTestId("client-row-bolt")).getByTestId("compliance-badge")).toHaveTextContent("Over quota");
    expect(shownIds()).toEqual(["client-row-acme", "client-row-bolt", "client-row-cobalt"]);
    expect(ipc.argsOf("list_clients")[0]).toEqual({
      query: {
        search: null,
        sort: "company_name",
        descending: false,
        compliance: null,
        plan: null,
        has_drafts: false,
        has_conflicts: false,
      },
    });
  });

  it("shows — for an unknown monthly total", async () => {
    mockCommands({ list_clients: [row("x", "X Inc", 1, "compliant", { monthly_total: null })], queued_clients: [] });
    renderClients();
    expect(await screen.findByTestId("client-total-x")).toHaveTextContent("—");
  });

  it("sorts by servers on a header click, and reverses on the next", async () => {
    mockCommands({ list_clients: listing(ROWS), queued_clients: [], search_key: fold });
    const user = userEvent.setup();
    renderClients();
    await screen.findByTestId("client-row-acme");
    await user.click(screen.getByTestId("sort-servers"));
    expect(shownIds()).toEqual(["client-row-acme", "client-row-cobalt", "client-row-bolt"]);
    await user.click(screen.getByTestId("sort-servers"));
    expect(shownIds()).toEqual(["client-row-bolt", "client-row-cobalt", "client-row-acme"]);
    await user.click(screen.getByTestId("sort-compliance"));
    expect(shownIds()).toEqual(["client-row-acme", "client-row-cobalt", "client-row-bolt"]);
  });

  it("sorts by the desk's order, so Łódź sorts with the Ls", async () => {
    // Places as the desk gives them: its fold puts "Łódź" with L, before "Société".
    const rows = [
      row("soc", "Société Générale", 1, "compliant", { order: { ...row("x", "X", 0).order, company_name: 2 } }),
      row("lodz", "Łódź Hosting", 2, "compliant", {
        order: { ...row("x", "X", 0).order, company_name: 1 },
        search_text: "lodz hosting\nit@lodz.example\nbasic\nlodz",
      }),
      row("acme", "Acme Corp", 3, "compliant", { order: { ...row("x", "X", 0).order, company_name: 0 } }),
    ];
    const ipc = mockCommands({ list_clients: rows, queued_clients: [], search_key: fold });
    const user = userEvent.setup();
    renderClients();
    await screen.findByTestId("client-row-acme");
    await user.click(screen.getByTestId("sort-company_name"));
    expect(shownIds()).toEqual(["client-row-acme", "client-row-lodz", "client-row-soc"]);
    await user.click(screen.getByTestId("sort-company_name"));
    expect(shownIds()).toEqual(["client-row-soc", "client-row-lodz", "client-row-acme"]);
    // The search is folded by the desk: "Lodz" finds "Łódź Hosting".
    await user.type(screen.getByTestId("clients-search"), "Lodz");
    await waitFor(() => expect(shownIds()).toEqual(["client-row-lodz"]));
    expect(ipc.lastArgsOf("search_key")).toEqual({ search: "Lodz" });
  });

  it("filters with the search box, which / focuses", async () => {
    mockCommands({ list_clients: listing(ROWS), queued_clients: [], search_key: fold });
    const user = userEvent.setup();
    renderClients();
    await screen.findByTestId("client-row-acme");
    await user.keyboard("/");
    expect(screen.getByTestId("clients-search")).toHaveFocus();
    await user.keyboard("bol");
    await waitFor(() => expect(shownIds()).toEqual(["client-row-bolt"]));
    await user.clear(screen.getByTestId("clients-search"));
    await user.type(screen.getByTestId("clients-search"), "nobody");
    expect(await screen.findByTestId("clients-no-match")).toBeInTheDocument();
  });

  it("maps saved views to the query's filters", async () => {
    const ipc = mockCommands({ list_clients: listing(ROWS), queued_clients: [], search_key: fold });
    const user = userEvent.setup();
    renderClients();
    await screen.findByTestId("client-row-acme");

    await user.click(screen.getByTestId("view-over-quota"));
    await waitFor(() => expect(shownIds()).toEqual(["client-row-bolt"]));
    expect(ipc.lastArgsOf("list_clients")).toMatchObject({ query: { compliance: "over_quota" } });

    await user.click(screen.getByTestId("view-approaching"));
    await waitFor(() => expect(shownIds()).toEqual(["client-row-cobalt"]));
    expect(ipc.lastArgsOf("list_clients")).toMatchObject({ query: { compliance: "approaching" } });

    await user.click(screen.getByTestId("view-drafts"));
    await waitFor(() => expect(ipc.lastArgsOf("list_clients")).toMatchObject({ query: { has_drafts: true, compliance: null } }));

    await user.click(screen.getByTestId("view-conflicts"));
    await waitFor(() => expect(ipc.lastArgsOf("list_clients")).toMatchObject({ query: { has_conflicts: true } }));
    expect(await screen.findByTestId("clients-no-match")).toHaveTextContent("No clients in this view.");
  });

  it("shows queued creates as pending rows", async () => {
    mockCommands({
      list_clients: listing(ROWS),
      queued_clients: [
        { id: "q1", company_name: "Newco", contact_email: "it@newco.example", attempts: 1, last_error: null, search_text: "newco\nit@newco.example" },
      ],
    });
    renderClients();
    const pending = await screen.findByTestId("client-pending-q1");
    expect(pending).toHaveTextContent("Newco");
    expect(pending).toHaveTextContent("pending");
    expect(shownIds()[0]).toBe("client-pending-q1");
  });

  it("shows an empty state when there are no clients", async () => {
    mockCommands({ list_clients: [], queued_clients: [] });
    renderClients();
    expect(await screen.findByTestId("clients-empty")).toHaveTextContent("No clients yet");
    expect(screen.getByTestId("add-client")).toBeInTheDocument();
  });

  it("shows the error and retries", async () => {
    let attempts = 0;
    mockCommands({
      list_clients: () => {
        attempts += 1;
        if (attempts === 1) throw { code: "internal", message: "The local store could not be read." };
        return ROWS;
      },
      queued_clients: [],
    });
    const user = userEvent.setup();
    renderClients();
    expect(await screen.findByTestId("clients-error")).toHaveTextContent("The local store could not be read.");
    await user.click(screen.getByTestId("clients-retry"));
    expect(await screen.findByTestId("client-row-acme")).toBeInTheDocument();
    expect(screen.queryByTestId("clients-error")).not.toBeInTheDocument();
  });

  it("moves the selection with the arrow keys and opens with Enter", async () => {
    mockCommands({ list_clients: listing(ROWS), queued_clients: [], search_key: fold });
    const user = userEvent.setup();
    renderClients();
    await screen.findByTestId("client-row-acme");
    screen.getByTestId("clients-list").focus();
    await user.keyboard("{ArrowDown}");
    expect(screen.getByTestId("client-row-bolt")).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{Enter}");
    expect(await screen.findByTestId("opened")).toHaveTextContent("bolt");
  });

  it("opens a client on click", async () => {
    mockCommands({ list_clients: listing(ROWS), queued_clients: [], search_key: fold });
    const user = userEvent.setup();
    renderClients();
    await user.click(await screen.findByTestId("client-row-cobalt"));
    expect(await screen.findByTestId("opened")).toHaveTextContent("cobalt");
  });

  it("renders only the visible part of 10,000 rows", async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => row(`c${i}`, `Client ${String(i).padStart(5, "0")}`, i % 50));
    mockCommands({ list_clients: many, queued_clients: [] });
    renderClients();
    await screen.findByTestId("client-row-c0");
    const shown = shownIds().length;
    expect(shown).toBeGreaterThan(5);
    expect(shown).toBeLessThan(100);
  });
});

describe("add client from the list", () => {
  it("shows a notice when the create is queued", async () => {
    const ipc = mockCommands({
      list_clients: listing(ROWS),
      queued_clients: [],
      plans: PLANS,
      create_client: { status: "queued" },
    });
    const user = userEvent.setup();
    renderClients();
    await screen.findByTestId("client-row-acme");
    await user.click(screen.getByTestId("add-client"));
    expect(await screen.findByTestId("add-client-dialog")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("add-client-quota-max_servers")).toHaveValue("5"));
    await user.type(screen.getByTestId("add-client-name"), "Newco");
    await user.type(screen.getByTestId("add-client-email"), "it@newco.example");
    await user.click(screen.getByTestId("add-client-submit"));
    expect(await screen.findByTestId("add-client-notice")).toHaveTextContent(/next sync/);
    expect(ipc.argsOf("create_client")).toHaveLength(1);
    await waitFor(() => expect(ipc.argsOf("queued_clients").length).toBeGreaterThan(1));
  });
});
