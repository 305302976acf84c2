import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { App } from "../App";
import { ACCOUNT, PLANS, ROWS, SUMMARY, detail } from "../test/fixtures";
import { mockCommands } from "../test/ipc";
import { renderApp } from "../test/render";

const BASE = {
  session: ACCOUNT,
  list_clients: ROWS,
  queued_clients: [],
  plans: PLANS,
  client_detail: () => detail(),
  templates: [],
};

async function openPalette() {
  const user = userEvent.setup();
  renderApp(<App />);
  await screen.findByTestId("page-clients");
  await user.keyboard("{Control>}k{/Control}");
  expect(await screen.findByTestId("palette")).toBeInTheDocument();
  return user;
}

describe("command palette", () => {
  it("opens with Ctrl+K and goes to a client found by name", async () => {
    mockCommands(BASE);
    const user = await openPalette();
    await user.type(screen.getByTestId("palette-search"), "bolt");
    expect(await screen.findByTestId("palette-item-client-bolt")).toHaveTextContent("Bolt Ltd");
    expect(screen.queryByTestId("palette-item-client-acme")).not.toBeInTheDocument();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(screen.getByTestId("page-client")).toBeInTheDocument());
  });

  it("runs Sync now, and opens New client", async () => {
    const ipc = mockCommands({ ...BASE, sync_now: SUMMARY });
    const user = await openPalette();
    await user.click(screen.getByTestId("palette-item-sync"));
    await waitFor(() => expect(ipc.argsOf("sync_now")).toHaveLength(1));
    await user.click(screen.getByTestId("palette-open"));
    await user.type(await screen.findByTestId("palette-search"), "new");
    await user.click(screen.getByTestId("palette-item-new-client"));
    expect(await screen.findByTestId("add-client-dialog")).toBeInTheDocument();
  });

  it("generates a report for all clients", async () => {
    const ipc = mockCommands({
      ...BASE,
      billing_report: { period: "2026-10", currency: "EUR", as_of: "2026-11-01T00:00:00Z", fx_rates: [], clients: [], hosting_cost: "0", license_fees: "0", total: "0" },
    });
    const user = await openPalette();
    await user.click(screen.getByTestId("palette-item-report"));
    expect(await screen.findByTestId("page-billing")).toBeInTheDocument();
    await waitFor(() => expect(ipc.argsOf("billing_report")).toHaveLength(1));
    expect(ipc.lastArgsOf("billing_report")?.client).toBeNull();
  });
});
