import {
  Alert,
  Badge,
  Box,
  Button,
  Group,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
  UnstyledButton,
} from "@mantine/core";
import {
  IconArrowDown,
  IconArrowUp,
  IconArrowsSort,
  IconBuildingSkyscraper,
  IconPlus,
  IconSearch,
} from "@tabler/icons-react";
import {
  getCoreRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type OnChangeFn,
  type SortingState,
} from "@tanstack/react-table";
import { observeElementRect, useVirtualizer } from "@tanstack/react-virtual";
import {
  useCallback,
  useDeferredValue,
  useEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type RefObject,
} from "react";
import { useLocation, useNavigate } from "react-router";

import { ALL_CLIENTS, commands } from "../api/commands";
import { benchOn, markPaint, markSince } from "../bench";
import type { ClientQuery } from "../bindings/ClientQuery";
import type { ClientRow } from "../bindings/ClientRow";
import type { CreateOutcome } from "../bindings/CreateOutcome";
import type { QueuedClient } from "../bindings/QueuedClient";
import { CommandResult } from "../components/CommandResult";
import { ComplianceBadge } from "../components/ComplianceBadge";
import { formatMoney } from "../format";
import { useCommand } from "../hooks/useCommand";
import { useRefresh } from "../state/AppState";
import type { PaletteIntent } from "../components/CommandPalette";
import { AddClientDialog } from "./AddClientDialog";
import { EmptyState } from "./EmptyState";

export type ViewId = "all" | "over-quota" | "approaching" | "drafts" | "conflicts";

/** The saved views, as filters of the client query. */
export const VIEWS: Array<{ id: ViewId; label: string; query: Partial<ClientQuery> }> = [
  { id: "all", label: "All", query: {} },
  { id: "over-quota", label: "Over quota", query: { compliance: "over_quota" } },
  { id: "approaching", label: "Approaching", query: { compliance: "approaching" } },
  { id: "drafts", label: "With drafts", query: { has_drafts: true } },
  { id: "conflicts", label: "With conflicts", query: { has_conflicts: true } },
];

const ROW_HEIGHT = 41;
/** The list's size when the layout engine reports none (jsdom in tests). */
const FALLBACK_RECT = { width: 1000, height: 600 };

// Each column sorts by the row's place in the desk's order for it (`ClientRow.order`): names,
// plans, compliance and amounts are never compared here.
const columns: ColumnDef<ClientRow>[] = [
  { id: "company_name", header: "Company", accessorFn: (r) => r.order.company_name, sortDescFirst: false },
  { id: "servers", header: "Servers", accessorFn: (r) => r.order.servers, sortDescFirst: false },
  { id: "users", header: "Users", accessorFn: (r) => r.order.users, sortDescFirst: false },
  { id: "plan", header: "Plan", accessorFn: (r) => r.order.plan, sortDescFirst: false },
  { id: "compliance", header: "Compliance", accessorFn: (r) => r.order.compliance, sortDescFirst: false },
  { id: "monthly_total", header: "Monthly total", accessorFn: (r) => r.order.monthly_total, sortDescFirst: false },
];

const WIDTHS: Record<string, string> = {
  company_name: "30%",
  servers: "10%",
  users: "10%",
  plan: "16%",
  compliance: "16%",
  monthly_total: "18%",
};
const NUMERIC = new Set(["servers", "users", "monthly_total"]);

/** Whether a row's folded search text holds the folded search (both folded by the desk). */
function matches(needle: string, searchText: string): boolean {
  return searchText.includes(needle);
}

type Item = { pending: QueuedClient } | { row: ClientRow };

export function ClientsPage() {
  const navigate = useNavigate();
  const refreshApp = useRefresh();
  const [view, setView] = useState<ViewId>("all");
  const [search, setSearch] = useState("");
  const deferredSearch = useDeferredValue(search);
  // The search folded as the desk folds names ("lodz" finds "Łódź"); while a new key is on its
  // way the previous one filters.
  const searching = deferredSearch.trim() !== "";
  const key = useCommand(() => commands.searchKey(deferredSearch), [deferredSearch], {
    enabled: searching,
    keepPrevious: true,
    followDataVersion: false,
  });
  const needle = searching ? (key.data ?? "") : "";
  const [sorting, setSorting] = useState<SortingState>([]);
  const [chosen, setSelected] = useState(0);
  const [adding, setAdding] = useState(false);
  // "New client" from the command palette: opens the dialog once per arrival.
  const location = useLocation();
  const intent = (location.state as PaletteIntent | null)?.intent;
  const [arrival, setArrival] = useState<string | null>(null);
  if (intent === "new-client" && arrival !== location.key) {
    setArrival(location.key);
    setAdding(true);
  }
  useEffect(() => {
    if (intent) navigate(location.pathname, { replace: true, state: null });
  }, [intent, location.pathname, navigate]);
  const [notice, setNotice] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const scrollRef = useRef<HTMLDivElement>(null);

  // Another view keeps the list on screen until its rows arrive.
  const load = useCommand(
    () => {
      const query = { ...ALL_CLIENTS, ...VIEWS.find((v) => v.id === view)?.query };
      return Promise.all([commands.listClients(query), commands.queuedClients()]).then(([rows, queued]) => ({
        rows,
        queued,
      }));
    },
    [view],
    { keepPrevious: true },
  );

  // "/" focuses the search box from anywhere on the page.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing =
        target &&
        (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
      if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        searchRef.current?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const rows = load.data?.rows ?? EMPTY_ROWS;
  const filtered = useMemo(
    () =>
      needle === "" ? rows : rows.filter((r) => matches(needle, r.search_text)),
    [rows, needle],
  );
  // Under `cargo xtask bench` only: the first paint with rows, and each keystroke's next frame
  // and filtered list (see ../bench.ts).
  const keyAt = useRef<number | null>(null);
  const listPainted = useRef(false);
  useEffect(() => {
    if (!benchOn()) return;
    if (!listPainted.current && rows.length > 0) {
      listPainted.current = true;
      markPaint("list-painted");
      searchRef.current?.focus();
    }
    if (keyAt.current !== null) {
      markSince("search-results", keyAt.current);
      keyAt.current = null;
    }
  }, [rows, filtered]);

  const pending = useMemo(
    () =>
      load.data && view === "all"
        ? needle === ""
          ? load.data.queued
          : load.data.queued.filter((q) => matches(needle, q.search_text))
        : EMPTY_QUEUE,
    [load.data, view, needle],
  );

  const table = useClientTable(filtered, sorting, setSorting);
  const sortedRows = table.getRowModel().rows;

  const items: Item[] = useMemo(
    () => [...pending.map((p) => ({ pending: p })), ...sortedRows.map((r) => ({ row: r.original }))],
    [pending, sortedRows],
  );

  const virtualizer = useRowVirtualizer(items.length, scrollRef);
  // The selection stays within the list when it gets shorter.
  const selected = Math.min(chosen, Math.max(items.length - 1, 0));

  const open = useCallback(
    (item: Item | undefined) => {
      if (item && "row" in item) navigate(`/clients/${item.row.id}`);
    },
    [navigate],
  );

  function onListKey(e: KeyboardEvent<HTMLDivElement>) {
    if (items.length === 0) return;
    let next: number;
    if (e.key === "ArrowDown") next = Math.min(selected + 1, items.length - 1);
    else if (e.key === "ArrowUp") next = Math.max(selected - 1, 0);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = items.length - 1;
    else if (e.key === "PageDown") next = Math.min(selected + 10, items.length - 1);
    else if (e.key === "PageUp") next = Math.max(selected - 10, 0);
    else if (e.key === "Enter") {
      e.preventDefault();
      open(items[selected]);
      return;
    } else return;
    e.preventDefault();
    setSelected(next);
    virtualizer.scrollToIndex(next, { align: "auto" });
  }

  function created(outcome: CreateOutcome) {
    setAdding(false);
    if (outcome.status === "queued") {
      setNotice(
        "The desk could not reach the server, so the new client is queued: it will be sent at the next sync and shows as pending until then.",
      );
    } else {
      setNotice(`${outcome.client.company_name} was created.`);
    }
    load.reload();
    refreshApp();
  }

  const virtualItems = virtualizer.getVirtualItems();
  const first = virtualItems[0];
  const last = virtualItems[virtualItems.length - 1];
  const padTop = first ? first.start : 0;
  const padBottom = last ? virtualizer.getTotalSize() - last.end : 0;
  const nothingAtAll =
    load.data !== undefined && view === "all" && load.data.rows.length === 0 && load.data.queued.length === 0;

  return (
    <Stack data-testid="page-clients" h="100%">
      <Group justify="space-between">
        <Title order={2}>Clients</Title>
        <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)} data-testid="add-client">
          Add client
        </Button>
      </Group>

      {notice && (
        <Alert
          color="blue"
          withCloseButton
          onClose={() => setNotice(null)}
          data-testid="add-client-notice"
        >
          {notice}
        </Alert>
      )}

      <Group justify="space-between" align="flex-end">
        <Tabs value={view} onChange={(v) => v && setView(v as ViewId)} variant="pills">
          <Tabs.List>
            {VIEWS.map((v) => (
              <Tabs.Tab key={v.id} value={v.id} data-testid={`view-${v.id}`}>
                {v.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
        </Tabs>
        <TextInput
          ref={searchRef}
          placeholder="Search (press /)"
          aria-label="Search clients"
          leftSection={<IconSearch size={16} />}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (benchOn()) {
              keyAt.current = e.timeStamp;
              markSince("keystroke", e.timeStamp);
            }
            if (e.key === "Escape") setSearch("");
            if (e.key === "ArrowDown") {
              e.preventDefault();
              scrollRef.current?.focus();
            }
          }}
          w={280}
          data-testid="clients-search"
        />
      </Group>

      <CommandResult
        command={load}
        testId="clients"
        size="page"
        loading="Loading clients…"
        failure="Could not load the clients"
      >
        {() =>
          nothingAtAll ? (
            <EmptyState icon={<IconBuildingSkyscraper size={28} />} title="No clients yet" testId="clients-empty">
              Your client companies appear here, with their servers, users, plan, compliance status and
              monthly total. Add one with “Add client”, or sync to fetch them from your Control Panel.
            </EmptyState>
          ) : (
            <Box
              ref={scrollRef}
              tabIndex={0}
              role="region"
              aria-label="Client list: arrow keys to move, Enter to open"
              onKeyDown={onListKey}
              data-testid="clients-list"
              style={{
                height: "calc(100vh - 290px)",
                minHeight: 240,
                overflow: "auto",
                border: "1px solid var(--mantine-color-default-border)",
                borderRadius: "var(--mantine-radius-md)",
              }}
            >
              <Table layout="fixed" highlightOnHover stickyHeader verticalSpacing={8}>
                <Table.Thead>
                  <Table.Tr>
                    {table.getFlatHeaders().map((header) => {
                      const dir = header.column.getIsSorted();
                      const Icon = dir === "asc" ? IconArrowUp : dir === "desc" ? IconArrowDown : IconArrowsSort;
                      return (
                        <Table.Th
                          key={header.id}
                          w={WIDTHS[header.id]}
                          aria-sort={dir === "asc" ? "ascending" : dir === "desc" ? "descending" : "none"}
                          ta={NUMERIC.has(header.id) ? "right" : undefined}
                        >
                          <UnstyledButton
                            onClick={header.column.getToggleSortingHandler()}
                            data-testid={`sort-${header.id}`}
                            fw={600}
                            fz="sm"
                          >
                            <Group gap={4} wrap="nowrap" display="inline-flex">
                              {String(header.column.columnDef.header)}
                              <Icon size={14} opacity={dir ? 1 : 0.4} />
                            </Group>
                          </UnstyledButton>
                        </Table.Th>
                      );
                    })}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {padTop > 0 && (
                    <tr aria-hidden>
                      <td colSpan={columns.length} style={{ height: padTop, padding: 0, border: 0 }} />
                    </tr>
                  )}
                  {virtualItems.map((v) => {
                    const item = items[v.index];
                    if (!item) return null;
                    const isSelected = v.index === selected;
                    const bg = isSelected ? "var(--mantine-color-blue-light)" : undefined;
                    if ("pending" in item) {
                      const q = item.pending;
                      return (
                        <Table.Tr
                          key={`pending-${q.id}`}
                          h={ROW_HEIGHT}
                          bg={bg}
                          aria-selected={isSelected}
                          onClick={() => setSelected(v.index)}
                          data-testid={`client-pending-${q.id}`}
                        >
                          <Table.Td>
                            <Group gap="xs" wrap="nowrap">
                              <Text size="sm" truncate>
                                {q.company_name}
                              </Text>
                              <Badge color="gray" variant="outline" size="sm" title={q.last_error ?? undefined}>
                                pending
                              </Badge>
                            </Group>
                          </Table.Td>
                          <Table.Td colSpan={columns.length - 1}>
                            <Text size="xs" c="dimmed" truncate>
                              {q.contact_email} — waiting to be sent at the next sync
                              {q.last_error ? ` (last try: ${q.last_error})` : ""}
                            </Text>
                          </Table.Td>
                        </Table.Tr>
                      );
                    }
                    const r = item.row;
                    return (
                      <Table.Tr
                        key={r.id}
                        h={ROW_HEIGHT}
                        bg={bg}
                        style={{ cursor: "pointer" }}
                        aria-selected={isSelected}
                        onClick={() => {
                          setSelected(v.index);
                          open(item);
                        }}
                        data-testid={`client-row-${r.id}`}
                      >
                        <Table.Td>
                          <Group gap="xs" wrap="nowrap">
                            <Text size="sm" truncate fw={500}>
                              {r.company_name}
                            </Text>
                            {r.drafts.length > 0 && (
                              <Badge size="xs" variant="light" color="blue">
                                draft
                              </Badge>
                            )}
                            {r.conflicts.length > 0 && (
                              <Badge size="xs" variant="light" color="orange">
                                conflict
                              </Badge>
                            )}
                          </Group>
                        </Table.Td>
                        <Table.Td ta="right">{r.server_count}</Table.Td>
                        <Table.Td ta="right">{r.user_count}</Table.Td>
                        <Table.Td>
                          <Text size="sm" truncate>
                            {r.plan_name}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <ComplianceBadge status={r.compliance.status} />
                        </Table.Td>
                        <Table.Td ta="right" data-testid={`client-total-${r.id}`}>
                          {formatMoney(r.monthly_total)}
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                  {padBottom > 0 && (
                    <tr aria-hidden>
                      <td colSpan={columns.length} style={{ height: padBottom, padding: 0, border: 0 }} />
                    </tr>
                  )}
                </Table.Tbody>
              </Table>
              {items.length === 0 && (
                <Text c="dimmed" ta="center" py="xl" data-testid="clients-no-match">
                  {searching ? "No client matches this search." : "No clients in this view."}
                </Text>
              )}
            </Box>
          )
        }
      </CommandResult>

      <AddClientDialog opened={adding} onClose={() => setAdding(false)} onDone={created} />
    </Stack>
  );
}

/**
 * The list's table: sorting in the browser (TanStack Table). Its own hook, so that only it is
 * left out by the React Compiler's checks, not the whole page (this app is not compiled by the
 * React Compiler, so nothing is memoized behind the table's back).
 */
function useClientTable(rows: ClientRow[], sorting: SortingState, onSortingChange: OnChangeFn<SortingState>) {
  // eslint-disable-next-line react-hooks/incompatible-library
  return useReactTable({
    data: rows,
    columns,
    state: { sorting },
    onSortingChange,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getRowId: (r) => r.id,
  });
}

/** Renders only the rows in view (TanStack Virtual), in its own hook like the table's. */
function useRowVirtualizer(count: number, scrollRef: RefObject<HTMLDivElement | null>) {
  // eslint-disable-next-line react-hooks/incompatible-library
  return useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    initialRect: FALLBACK_RECT,
    observeElementRect: (instance, cb) =>
      observeElementRect(instance, (rect) => cb(rect.height > 0 ? rect : FALLBACK_RECT)),
  });
}

const EMPTY_ROWS: ClientRow[] = [];
const EMPTY_QUEUE: QueuedClient[] = [];
