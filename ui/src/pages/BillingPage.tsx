// MSP > Billing: a month's report for one client or all of them, as a table with expandable
// lines and a stacked chart, exported as PDF or CSV.
import {
  ActionIcon,
  Alert,
  Box,
  Button,
  Card,
  Group,
  Loader,
  Progress,
  Select,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
} from "@mantine/core";
import {
  IconAlertTriangle,
  IconChevronDown,
  IconChevronRight,
  IconFileSpreadsheet,
  IconFileTypePdf,
  IconFolderOpen,
  IconExternalLink,
  IconReceipt2,
} from "@tabler/icons-react";
import { Fragment, useEffect, useMemo, useState } from "react";
import { useLocation, useNavigate } from "react-router";

import { ALL_CLIENTS, commands, dialogs, errorMessage } from "../api/commands";
import type { BillingReport } from "../bindings/BillingReport";
import type { ClientBill } from "../bindings/ClientBill";
import type { ExportFormat } from "../bindings/ExportFormat";
import type { ExportSummary } from "../bindings/ExportSummary";
import {
  addMonths,
  formatDateTime,
  formatDecimal,
  formatMoney,
  formatMonth,
  formatNumber,
  last12Months,
  lastFullMonth,
  monthKey,
} from "../format";
import { useCommand } from "../hooks/useCommand";
import { CommandResult } from "../components/CommandResult";
import type { PaletteIntent } from "../components/CommandPalette";
import { EmptyState } from "./EmptyState";

const ALL = "__all__";

/** The current month (to date) and the 35 before it, newest first (months in UTC). */
function periodOptions(now: Date = new Date()) {
  const current = monthKey(now);
  return Array.from({ length: 36 }, (_, i) => {
    const value = addMonths(current, -i);
    const name = formatMonth(value, true);
    return { value, label: i === 0 ? `${name} (to date)` : name };
  });
}

/** A report asked for; `run` counts them, so asking again calls again (and reloads the history). */
type Request = { period: string; client: string | null; run: number };
type Export =
  | { kind: "idle" }
  | { kind: "running"; format: ExportFormat; step: string | null }
  | { kind: "done"; summary: ExportSummary }
  | { kind: "failed"; message: string };

export function BillingPage() {
  const clients = useCommand(() => commands.listClients(ALL_CLIENTS), []);
  const [client, setClient] = useState<string>(ALL);
  const [period, setPeriod] = useState<string>(() => lastFullMonth());
  const [request, setRequest] = useState<Request | null>(null);
  const report = useCommand(
    () => (request ? commands.billingReport(request.period, request.client) : Promise.resolve(null)),
    [request],
    { enabled: request !== null, followDataVersion: false },
  );
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [exporting, setExporting] = useState<Export>({ kind: "idle" });
  const [opening, setOpening] = useState<string | null>(null);
  const periods = useMemo(() => periodOptions(), []);
  // "Generate a report" from the command palette: all clients, last full month.
  const location = useLocation();
  const navigate = useNavigate();
  const intent = (location.state as PaletteIntent | null)?.intent;

  function generate(asked: Omit<Request, "run">) {
    setRequest((r) => ({ ...asked, run: (r?.run ?? 0) + 1 }));
    setExpanded(new Set());
    setExporting({ kind: "idle" });
  }
  const [arrival, setArrival] = useState<string | null>(null);
  if (intent === "generate-report" && arrival !== location.key) {
    setArrival(location.key);
    setClient(ALL);
    setPeriod(lastFullMonth());
    generate({ period: lastFullMonth(), client: null });
  }
  useEffect(() => {
    if (intent) navigate(location.pathname, { replace: true, state: null });
  }, [intent, location.pathname, navigate]);

  async function exportAs(format: ExportFormat) {
    if (!report.data || !request) return;
    const { data: r } = report;
    const chosen = request.client;
    // The desk names the file: the issuing MSP, the period, the client or "all clients".
    const path = await commands
      .reportFileName(r.period, chosen, format)
      .then((name) => dialogs.saveFile(name, format))
      .catch((e: unknown) => {
        setExporting({ kind: "failed", message: errorMessage(e) });
        return null;
      });
    if (!path) return;
    setExporting({ kind: "running", format, step: null });
    try {
      const summary = await commands.exportReport(
        { period: r.period, client: chosen, format, path },
        (progress) => setExporting({ kind: "running", format, step: progress.step }),
      );
      setExporting({ kind: "done", summary });
    } catch (e) {
      setExporting({ kind: "failed", message: errorMessage(e) });
    }
  }

  async function reveal(how: "open" | "show", path: string) {
    setOpening(how);
    try {
      await (how === "open" ? commands.openExported(path) : commands.showExported(path));
    } catch (e) {
      setExporting({ kind: "failed", message: errorMessage(e) });
    } finally {
      setOpening(null);
    }
  }

  const toggle = (id: string) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  if (clients.data?.length === 0) {
    return (
      <Stack data-testid="page-billing">
        <Title order={2}>Billing</Title>
        <EmptyState icon={<IconReceipt2 size={28} />} title="No clients yet" testId="billing-no-clients">
          Billing reports for one client or all clients, for any month, exported as PDF or CSV,
          become available once clients are synced from a Control Panel.
        </EmptyState>
      </Stack>
    );
  }

  const clientOptions = [
    { value: ALL, label: "All clients" },
    ...(clients.data ?? []).map((r) => ({ value: r.id, label: r.company_name })),
  ];

  return (
    <Stack data-testid="page-billing">
      <Title order={2}>Billing</Title>
      {clients.error && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} data-testid="billing-clients-error">
          Could not load the clients: {clients.error.message}
        </Alert>
      )}
      <Group align="flex-end">
        <Select
          label="Client"
          data={clientOptions}
          value={client}
          onChange={(v) => setClient(v ?? ALL)}
          allowDeselect={false}
          searchable
          rightSection={clients.loading ? <Loader size="xs" /> : undefined}
          w={260}
          data-testid="billing-client"
        />
        <Select
          label="Billing period"
          data={periods}
          value={period}
          onChange={(v) => v && setPeriod(v)}
          allowDeselect={false}
          searchable
          w={220}
          data-testid="billing-period"
        />
        <Button
          onClick={() => generate({ period, client: client === ALL ? null : client })}
          loading={report.loading}
          data-testid="billing-generate"
        >
          Generate report
        </Button>
      </Group>

      {request === null ? (
        <Text c="dimmed" data-testid="billing-idle">
          Choose a client and a month, then generate the report.
        </Text>
      ) : (
        <CommandResult
          command={report}
          testId="billing"
          size="page"
          loading="Computing the report…"
          failure="Could not generate the report"
        >
          {(r) =>
            r && (
              <>
                <ReportView
                  report={r}
                  expanded={expanded}
                  onToggle={toggle}
                  exporting={exporting}
                  opening={opening}
                  onExport={(f) => void exportAs(f)}
                  onReveal={(how, path) => void reveal(how, path)}
                />
                {request.client !== null && (
                  <ClientHistory key={request.run} clientId={request.client} period={r.period} />
                )}
              </>
            )
          }
        </CommandResult>
      )}
    </Stack>
  );
}

function ReportView({
  report,
  expanded,
  onToggle,
  exporting,
  opening,
  onExport,
  onReveal,
}: {
  report: BillingReport;
  expanded: Set<string>;
  onToggle: (id: string) => void;
  exporting: Export;
  opening: string | null;
  onExport: (format: ExportFormat) => void;
  onReveal: (how: "open" | "show", path: string) => void;
}) {
  const money = (amount: string) => formatMoney({ amount, currency: report.currency });
  const busy = exporting.kind === "running";
  return (
    <Stack data-testid="billing-report">
      <Group justify="space-between">
        <Text size="sm" c="dimmed" data-testid="billing-as-of">
          {report.period} · amounts in {report.currency} · activity up to {formatDateTime(report.as_of)}
          {report.fx_rates.length > 0 &&
            ` · rates: ${report.fx_rates.map((r) => `1 ${r.currency} = ${formatDecimal(trimRate(r.rate))} ${report.currency}`).join(", ")}`}
        </Text>
        <Group gap="xs">
          <Button
            variant="default"
            leftSection={<IconFileTypePdf size={16} />}
            onClick={() => onExport("pdf")}
            loading={busy && exporting.format === "pdf"}
            disabled={busy}
            data-testid="billing-export-pdf"
          >
            Export PDF
          </Button>
          <Button
            variant="default"
            leftSection={<IconFileSpreadsheet size={16} />}
            onClick={() => onExport("csv")}
            loading={busy && exporting.format === "csv"}
            disabled={busy}
            data-testid="billing-export-csv"
          >
            Export CSV
          </Button>
        </Group>
      </Group>

      {exporting.kind === "running" && (
        <Group gap="xs" data-testid="billing-export-progress">
          <Loader size="xs" />
          <Text size="sm">Exporting… {exporting.step ?? ""}</Text>
        </Group>
      )}
      {exporting.kind === "failed" && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} data-testid="billing-export-error">
          {exporting.message}
        </Alert>
      )}
      {exporting.kind === "done" && (
        <Alert color="green" data-testid="billing-exported">
          <Group justify="space-between">
            <Text size="sm">
              Exported {exporting.summary.clients} client{exporting.summary.clients === 1 ? "" : "s"},{" "}
              {exporting.summary.lines} line{exporting.summary.lines === 1 ? "" : "s"}, total{" "}
              {formatMoney(exporting.summary.total)} to{" "}
              <Text span ff="monospace" size="sm">
                {exporting.summary.path}
              </Text>
            </Text>
            <Group gap="xs">
              <Button
                size="xs"
                variant="light"
                leftSection={<IconExternalLink size={14} />}
                loading={opening === "open"}
                onClick={() => onReveal("open", exporting.summary.path)}
                data-testid="billing-open"
              >
                Open
              </Button>
              <Button
                size="xs"
                variant="light"
                leftSection={<IconFolderOpen size={14} />}
                loading={opening === "show"}
                onClick={() => onReveal("show", exporting.summary.path)}
                data-testid="billing-show"
              >
                Show in folder
              </Button>
            </Group>
          </Group>
        </Alert>
      )}

      {report.clients.length === 0 ? (
        <Text c="dimmed" py="md" data-testid="billing-no-lines">
          Nothing was billed in {report.period}: no server was active.
        </Text>
      ) : (
        <>
          <Table.ScrollContainer minWidth={720}>
            <Table data-testid="billing-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={40} />
                  <Table.Th>Company</Table.Th>
                  <Table.Th>Plan</Table.Th>
                  <Table.Th ta="right">Servers</Table.Th>
                  <Table.Th ta="right">Hosting</Table.Th>
                  <Table.Th ta="right">License fees</Table.Th>
                  <Table.Th ta="right">Total</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {report.clients.map((c) => (
                  <Fragment key={c.client_id}>
                    <Table.Tr data-testid={`billing-row-${c.client_id}`}>
                      <Table.Td>
                        <ActionIcon
                          variant="subtle"
                          color="gray"
                          onClick={() => onToggle(c.client_id)}
                          aria-expanded={expanded.has(c.client_id)}
                          aria-label={`${expanded.has(c.client_id) ? "Hide" : "Show"} the lines of ${c.company_name}`}
                          data-testid={`billing-expand-${c.client_id}`}
                        >
                          {expanded.has(c.client_id) ? <IconChevronDown size={16} /> : <IconChevronRight size={16} />}
                        </ActionIcon>
                      </Table.Td>
                      <Table.Td>{c.company_name}</Table.Td>
                      <Table.Td>{c.plan_name}</Table.Td>
                      <Table.Td ta="right">{c.server_count}</Table.Td>
                      <Table.Td ta="right">{money(c.hosting_cost)}</Table.Td>
                      <Table.Td ta="right">{money(c.license_fees)}</Table.Td>
                      <Table.Td ta="right" fw={600}>
                        {money(c.total)}
                      </Table.Td>
                    </Table.Tr>
                    {expanded.has(c.client_id) && (
                      <Table.Tr data-testid={`billing-lines-${c.client_id}`}>
                        <Table.Td />
                        <Table.Td colSpan={6}>
                          <Lines bill={c} money={money} />
                        </Table.Td>
                      </Table.Tr>
                    )}
                  </Fragment>
                ))}
              </Table.Tbody>
              <Table.Tfoot>
                <Table.Tr data-testid="billing-total">
                  <Table.Th />
                  <Table.Th colSpan={3}>Total ({report.clients.length} client{report.clients.length === 1 ? "" : "s"})</Table.Th>
                  <Table.Th ta="right" data-testid="billing-total-hosting">
                    {money(report.hosting_cost)}
                  </Table.Th>
                  <Table.Th ta="right" data-testid="billing-total-license">
                    {money(report.license_fees)}
                  </Table.Th>
                  <Table.Th ta="right" data-testid="billing-total-amount">
                    {money(report.total)}
                  </Table.Th>
                </Table.Tr>
              </Table.Tfoot>
            </Table>
          </Table.ScrollContainer>
          <Chart report={report} money={money} />
        </>
      )}
    </Stack>
  );
}

function Lines({ bill, money }: { bill: ClientBill; money: (amount: string) => string }) {
  if (bill.lines.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No server lines.
      </Text>
    );
  }
  return (
    <Table withRowBorders={false} fz="sm">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Server</Table.Th>
          <Table.Th>Provider</Table.Th>
          <Table.Th>Type</Table.Th>
          <Table.Th ta="right">Hours</Table.Th>
          <Table.Th ta="right">Hosting</Table.Th>
          <Table.Th ta="right">License fee</Table.Th>
          <Table.Th ta="right">Total</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {bill.lines.map((l) => (
          <Table.Tr key={l.instance_id} data-testid={`billing-line-${l.instance_id}`}>
            <Table.Td>{l.instance_name}</Table.Td>
            <Table.Td>{l.provider}</Table.Td>
            <Table.Td>{l.server_type}</Table.Td>
            <Table.Td ta="right">{formatNumber(l.active_hours, 2)}</Table.Td>
            <Table.Td ta="right">{money(l.hosting_cost)}</Table.Td>
            <Table.Td ta="right">{money(l.license_fee)}</Table.Td>
            <Table.Td ta="right">{money(l.total)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/**
 * Hosting and license fees stacked per client, as Mantine Progress sections (`@mantine/charts`
 * 9.7 wants @mantine/core 9.7 exactly, and this app is on 9.8). Numbers here are geometry only.
 */
function Chart({ report, money }: { report: BillingReport; money: (amount: string) => string }) {
  const max = Math.max(...report.clients.map((c) => Number(c.total)), 0);
  const share = (amount: string) => (max > 0 ? (Math.max(Number(amount), 0) / max) * 100 : 0);
  return (
    <Card withBorder padding="lg" data-testid="billing-chart">
      <Stack gap="sm">
        <Group justify="space-between">
          <Text fw={600}>Cost per client</Text>
          <Group gap="md">
            <Legend color="blue" label="Hosting" />
            <Legend color="grape" label="License fees" />
          </Group>
        </Group>
        {report.clients.map((c) => (
          <Group key={c.client_id} wrap="nowrap" gap="sm" data-testid={`billing-chart-${c.client_id}`}>
            <Text size="sm" w={180} truncate title={c.company_name}>
              {c.company_name}
            </Text>
            <Progress.Root size="xl" style={{ flex: 1 }}>
              <Tooltip label={`Hosting ${money(c.hosting_cost)}`}>
                <Progress.Section value={share(c.hosting_cost)} color="blue" aria-label={`${c.company_name} hosting`} />
              </Tooltip>
              <Tooltip label={`License fees ${money(c.license_fees)}`}>
                <Progress.Section value={share(c.license_fees)} color="grape" aria-label={`${c.company_name} license fees`} />
              </Tooltip>
            </Progress.Root>
            <Text size="sm" w={130} ta="right">
              {money(c.total)}
            </Text>
          </Group>
        ))}
      </Stack>
    </Card>
  );
}

function Legend({ color, label }: { color: string; label: string }) {
  return (
    <Group gap={4}>
      <Box w={10} h={10} bg={`var(--mantine-color-${color}-filled)`} style={{ borderRadius: 2 }} />
      <Text size="xs">{label}</Text>
    </Group>
  );
}

type MonthTotal = { period: string; total: string; currency: string } | { period: string; error: string };

/** One client's total per month for the 12 months ending at `period`, as bars. */
function ClientHistory({ clientId, period }: { clientId: string; period: string }) {
  const history = useCommand(async (): Promise<MonthTotal[]> => {
    const months = last12Months(period);
    const results = await Promise.allSettled(months.map((m) => commands.billingReport(m, clientId)));
    return results.map((r, i) => {
      const month = months[i]!;
      if (r.status === "rejected") return { period: month, error: errorMessage(r.reason) };
      const bill = r.value.clients.find((c) => c.client_id === clientId);
      return { period: month, total: bill?.total ?? r.value.total, currency: r.value.currency };
    });
  }, [clientId, period]);

  if (history.data === undefined) {
    return (
      <Card withBorder padding="lg" data-testid="billing-history">
        <Group gap="xs" data-testid="billing-history-loading">
          <Loader size="xs" />
          <Text size="sm">Computing the last 12 months…</Text>
        </Group>
      </Card>
    );
  }
  const months = history.data;
  const failed = months.filter((m): m is { period: string; error: string } => "error" in m);
  const max = Math.max(...months.map((m) => ("total" in m ? Number(m.total) : 0)), 0);
  return (
    <Card withBorder padding="lg" data-testid="billing-history">
      <Stack gap="sm">
        <Text fw={600}>Last 12 months</Text>
        {failed.length > 0 && (
          <Alert color="orange" icon={<IconAlertTriangle size={18} />} data-testid="billing-history-error">
            {failed.length === 1 ? "One month" : `${failed.length} months`} could not be computed:{" "}
            {failed[0]!.error}
          </Alert>
        )}
        {months.map((m) => (
          <Group key={m.period} wrap="nowrap" gap="sm" data-testid={`billing-history-${m.period}`}>
            <Text size="sm" w={90}>
              {formatMonth(m.period)}
            </Text>
            <Progress
              size="xl"
              style={{ flex: 1 }}
              value={"total" in m && max > 0 ? (Math.max(Number(m.total), 0) / max) * 100 : 0}
              aria-label={`${formatMonth(m.period)} total`}
            />
            <Text size="sm" w={130} ta="right" title={"error" in m ? m.error : undefined}>
              {"total" in m ? formatMoney({ amount: m.total, currency: m.currency }) : "—"}
            </Text>
          </Group>
        ))}
      </Stack>
    </Card>
  );
}

/** A rate as a decimal string without trailing zeros ("0.9600000000" → "0.96"), on the text. */
export function trimRate(rate: string): string {
  return rate.includes(".") ? rate.replace(/0+$/, "").replace(/\.$/, "") : rate;
}
