import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Channel } from "@tauri-apps/api/core";
import { describe, expect, it } from "vitest";

import type { BillingReport } from "../bindings/BillingReport";
import type { ExportProgress } from "../bindings/ExportProgress";
import { ROWS } from "../test/fixtures";
import { mockCommands } from "../test/ipc";
import { renderApp } from "../test/render";
import { formatMonth, last12Months, lastFullMonth } from "../format";
import { BillingPage, trimRate } from "./BillingPage";


const REPORT: BillingReport = {
  period: "2026-10",
  currency: "EUR",
  as_of: "2026-11-01T00:00:00Z",
  fx_rates: [{ currency: "USD", rate: "0.92" }],
  clients: [
    {
      client_id: "acme",
      company_name: "Acme Corp",
      plan_name: "Basic",
      server_count: 2,
      hosting_cost: "12.5",
      license_fees: "18",
      total: "30.5",
      lines: [
        {
          instance_id: "s1",
          instance_name: "web-1",
          provider: "hetzner",
          server_type: "cx22",
          active_hours: 744,
          hosting_cost: "4.5",
          license_fee: "9",
          total: "13.5",
        },
        {
          instance_id: "s2",
          instance_name: "db-1",
          provider: "digitalocean",
          server_type: "s-2vcpu",
          active_hours: 100,
          hosting_cost: "8",
          license_fee: "9",
          total: "17",
        },
      ],
    },
    {
      client_id: "bolt",
      company_name: "Bolt Ltd",
      plan_name: "Pro",
      server_count: 1,
      hosting_cost: "3.1",
      license_fees: "19",
      total: "22.1",
      lines: [],
    },
  ],
  hosting_cost: "15.6",
  license_fees: "37",
  total: "52.6",
};

describe("billing", () => {
  it("defaults to the last full month", () => {
    expect(lastFullMonth(new Date(Date.UTC(2026, 10, 29)))).toBe("2026-10");
    expect(lastFullMonth(new Date(Date.UTC(2026, 0, 5)))).toBe("2025-12");
  });

  it("generates the report: rows, lines on expand, and the grand total with minor digits", async () => {
    const ipc = mockCommands({ list_clients: ROWS, billing_report: REPORT });
    const user = userEvent.setup();
    renderApp(<BillingPage />);
    expect(screen.getByTestId("billing-period")).toBeInTheDocument();
    await user.click(screen.getByTestId("billing-client"));
    await user.click(await screen.findByRole("option", { name: "Acme Corp" }));
    await user.click(screen.getByTestId("billing-generate"));

    const row = await screen.findByTestId("billing-row-acme");
    // The report's own call comes first; the 12-month history of the one client follows.
    expect(ipc.argsOf("billing_report")[0]).toEqual({ periodText: lastFullMonth(), client: "acme" });
    expect(row).toHaveTextContent("Acme Corp");
    expect(row).toHaveTextContent("Basic");
    expect(row).toHaveTextContent("12.50 EUR");
    expect(row).toHaveTextContent("18.00 EUR");
    expect(row).toHaveTextContent("30.50 EUR");
    expect(screen.getByTestId("billing-total-amount")).toHaveTextContent("52.60 EUR");
    expect(screen.getByTestId("billing-total")).toHaveTextContent("37.00 EUR");
    expect(screen.getByTestId("billing-chart")).toBeInTheDocument();
    expect(screen.getByTestId("billing-as-of")).toHaveTextContent("1 USD = 0.92 EUR");

    expect(screen.queryByTestId("billing-line-s1")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("billing-expand-acme"));
    const lines = screen.getByTestId("billing-lines-acme");
    expect(within(lines).getByTestId("billing-line-s1")).toHaveTextContent("web-1");
    expect(within(lines).getByTestId("billing-line-s1")).toHaveTextContent("13.50 EUR");
    expect(within(lines).getByTestId("billing-line-s2")).toHaveTextContent("100");
    await user.click(screen.getByTestId("billing-expand-acme"));
    expect(screen.queryByTestId("billing-lines-acme")).not.toBeInTheDocument();
  });

  it("exports: the save dialog, then export_report with the chosen path and format, then Open and Show", async () => {
    const ipc = mockCommands({
      report_file_name: "Demo MSP - billing 2026-10 - all clients.pdf",
      choose_export_path: "/home/ann/billing.pdf",
      list_clients: ROWS,
      billing_report: REPORT,
      export_report: (args: Record<string, unknown>) => {
        (args.onProgress as Channel<ExportProgress>).onmessage({ step: "rendering" });
        return { path: "/home/ann/billing.pdf", bytes: 2048, clients: 2, lines: 2, total: { amount: "52.6", currency: "EUR" } };
      },
      open_exported: null,
      show_exported: null,
    });
    const user = userEvent.setup();
    renderApp(<BillingPage />);
    await user.click(screen.getByTestId("billing-generate"));
    await screen.findByTestId("billing-table");
    await user.click(screen.getByTestId("billing-export-pdf"));

    // The desk names the file after the issuing MSP; the dialog offers that name.
    expect(ipc.argsOf("report_file_name")).toEqual([{ periodText: "2026-10", client: null, format: "pdf" }]);
    expect(ipc.argsOf("choose_export_path")).toEqual([
      { defaultName: "Demo MSP - billing 2026-10 - all clients.pdf", format: "pdf" },
    ]);
    const done = await screen.findByTestId("billing-exported");
    expect(done).toHaveTextContent("/home/ann/billing.pdf");
    expect(done).toHaveTextContent("52.60 EUR");
    const args = ipc.lastArgsOf("export_report")!;
    expect(args.input).toEqual({
      period: "2026-10",
      client: null,
      format: "pdf",
      path: "/home/ann/billing.pdf",
    });

    await user.click(screen.getByTestId("billing-open"));
    await waitFor(() => expect(ipc.argsOf("open_exported")).toEqual([{ path: "/home/ann/billing.pdf" }]));
    await user.click(screen.getByTestId("billing-show"));
    await waitFor(() => expect(ipc.argsOf("show_exported")).toEqual([{ path: "/home/ann/billing.pdf" }]));
  });

  it("names a one-client CSV by the company, and does nothing when the dialog is cancelled", async () => {
    const one = { ...REPORT, clients: [REPORT.clients[1]!] };
    const ipc = mockCommands({
      report_file_name: (args: Record<string, unknown>) => `Demo MSP - billing ${String(args.periodText)} - Bolt Ltd.csv`,
      choose_export_path: null,
      list_clients: ROWS,
      billing_report: one,
      export_report: null,
    });
    const user = userEvent.setup();
    renderApp(<BillingPage />);
    await user.click(screen.getByTestId("billing-client"));
    await user.click(await screen.findByRole("option", { name: "Bolt Ltd" }));
    await user.click(screen.getByTestId("billing-generate"));
    await screen.findByTestId("billing-row-bolt");
    await user.click(screen.getByTestId("billing-export-csv"));
    await waitFor(() =>
      expect(ipc.argsOf("choose_export_path")).toEqual([
        { defaultName: "Demo MSP - billing 2026-10 - Bolt Ltd.csv", format: "csv" },
      ]),
    );
    expect(ipc.argsOf("export_report")).toHaveLength(0);
    expect(screen.queryByTestId("billing-exported")).not.toBeInTheDocument();
  });

  it("shows a validation error, such as a missing exchange rate", async () => {
    const message = "No exchange rate from USD to EUR for 2026-10: add one in Settings.";
    mockCommands({
      list_clients: ROWS,
      billing_report: () => {
        throw { code: "validation", message, fields: [{ field: "fx_rates", message: "missing USD" }] };
      },
    });
    const user = userEvent.setup();
    renderApp(<BillingPage />);
    await user.click(screen.getByTestId("billing-generate"));
    expect(await screen.findByTestId("billing-error")).toHaveTextContent(message);
  });

  it("shows the empty states: no lines, and no clients", async () => {
    mockCommands({ list_clients: ROWS, billing_report: { ...REPORT, clients: [], hosting_cost: "0", license_fees: "0", total: "0" } });
    const user = userEvent.setup();
    renderApp(<BillingPage />);
    expect(screen.getByTestId("billing-idle")).toBeInTheDocument();
    await user.click(screen.getByTestId("billing-generate"));
    expect(await screen.findByTestId("billing-no-lines")).toBeInTheDocument();
    expect(screen.queryByTestId("billing-table")).not.toBeInTheDocument();
  });

  it("shows that there are no clients yet", async () => {
    mockCommands({ list_clients: [] });
    renderApp(<BillingPage />);
    expect(await screen.findByTestId("billing-no-clients")).toBeInTheDocument();
  });

  it("shows one client's last 12 months from 12 reports for that client", async () => {
    const months = last12Months(lastFullMonth());
    const ipc = mockCommands({
      list_clients: ROWS,
      billing_report: (args: Record<string, unknown>) => {
        const period = args.periodText as string;
        if (period === months[4]) {
          throw { code: "validation", message: `No exchange rate from USD to EUR for ${period}.` };
        }
        const acme = { ...REPORT.clients[0]!, total: `${Number(period.slice(5))}.5` };
        return { ...REPORT, period, currency: "JPY", clients: period === months[2] ? [] : [acme], total: "0" };
      },
    });
    const user = userEvent.setup();
    renderApp(<BillingPage />);
    await user.click(screen.getByTestId("billing-client"));
    await user.click(await screen.findByRole("option", { name: "Acme Corp" }));
    await user.click(screen.getByTestId("billing-generate"));

    const history = await screen.findByTestId("billing-history");
    await waitFor(() => expect(within(history).queryByTestId("billing-history-loading")).not.toBeInTheDocument());
    const calls = ipc.argsOf("billing_report").slice(1);
    expect(calls).toHaveLength(12);
    expect(calls.every((a) => a.client === "acme")).toBe(true);
    expect(calls.map((a) => a.periodText)).toEqual(months);
    expect(months[11]).toBe(lastFullMonth());
    expect(within(history).getAllByRole("progressbar")).toHaveLength(12);
    const last = within(history).getByTestId(`billing-history-${months[11]}`);
    expect(last).toHaveTextContent(formatMonth(months[11]!));
    expect(last).toHaveTextContent(/^[A-Z][a-z]{2} \d{4}/);
    // JPY has no minor digits: the amount stays as sent.
    expect(last).toHaveTextContent(`${Number(months[11]!.slice(5))}.5 JPY`);
    expect(within(history).getByTestId(`billing-history-${months[2]}`)).toHaveTextContent("0 JPY");
    expect(within(history).getByTestId(`billing-history-${months[4]}`)).toHaveTextContent("—");
    expect(within(history).getByTestId("billing-history-error")).toHaveTextContent("No exchange rate");
  });

  it("shows no history for all clients", async () => {
    const ipc = mockCommands({ list_clients: ROWS, billing_report: REPORT });
    const user = userEvent.setup();
    renderApp(<BillingPage />);
    await user.click(screen.getByTestId("billing-generate"));
    await screen.findByTestId("billing-table");
    expect(screen.queryByTestId("billing-history")).not.toBeInTheDocument();
    expect(ipc.argsOf("billing_report")).toHaveLength(1);
  });
});

describe("trimRate", () => {
  it("drops trailing zeros on the decimal string", () => {
    expect(trimRate("0.9600000000")).toBe("0.96");
    expect(trimRate("1.0000")).toBe("1");
    expect(trimRate("150")).toBe("150");
  });
});
