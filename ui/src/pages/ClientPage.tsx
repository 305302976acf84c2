import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Card,
  Group,
  Loader,
  Progress,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  Title,
} from "@mantine/core";
import {
  IconAlertTriangle,
  IconArrowLeft,
  IconEdit,
  IconTrash,
} from "@tabler/icons-react";
import { useCallback, useState } from "react";
import { useNavigate, useParams } from "react-router";

import { commands, type AuditEntry } from "../api/commands";
import type { AuditAction } from "../bindings/AuditAction";
import type { BillingLine } from "../bindings/BillingLine";
import type { ClientDetail } from "../bindings/ClientDetail";
import type { QuotaKind } from "../bindings/QuotaKind";
import type { UsageSummary } from "../bindings/UsageSummary";
import { ComplianceBadge } from "../components/ComplianceBadge";
import { ConflictsDialog } from "../components/ConflictsDialog";
import {
  QUOTA_KINDS,
  QUOTA_LABELS,
} from "../components/QuotaInputs";
import { formatDate, formatDateTime, formatDecimal, formatMoney, formatNumber, monthKey } from "../format";
import { CommandResult } from "../components/CommandResult";
import { useCommand } from "../hooks/useCommand";
import { useRefresh } from "../state/AppState";
import { BrandingTab } from "./client/BrandingTab";
import { DeleteClientDialog, EditClientDialog } from "./client/ClientDialogs";
import { CatalogTab } from "./client/CatalogTab";
import { QuotasTab } from "./client/QuotasTab";
import { UsersTab } from "./client/UsersTab";

const USED: Record<QuotaKind, (u: UsageSummary) => number> = {
  max_servers: (u) => u.servers,
  max_users: (u) => u.users,
  max_apps_per_server: (u) => u.busiest_server_apps,
  storage_quota_gb: (u) => u.storage_gb,
};

export function ClientPage() {
  const { id = "" } = useParams();
  const navigate = useNavigate();
  const refreshApp = useRefresh();
  const detail = useCommand(() => commands.clientDetail(id), [id]);
  const reloadDetail = detail.reload;
  const reload = useCallback(() => {
    reloadDetail();
    refreshApp();
  }, [reloadDetail, refreshApp]);

  return (
    <Stack data-testid="page-client">
      <Anchor component="button" onClick={() => navigate("/clients")} size="sm" data-testid="client-back">
        <Group gap={4}>
          <IconArrowLeft size={14} /> Clients
        </Group>
      </Anchor>
      <CommandResult
        command={detail}
        testId="client"
        size="page"
        loading="Loading the client…"
        failure={(e) => ({
          title: e.code === "not_found" ? "This client is not on this desk" : "Could not load the client",
        })}
      >
        {(d) => <ClientView detail={d} reload={reload} />}
      </CommandResult>
    </Stack>
  );
}

/** A loaded client: its header, its tabs and its dialogs. */
function ClientView({ detail, reload }: { detail: ClientDetail; reload: () => void }) {
  const navigate = useNavigate();
  const refreshApp = useRefresh();
  const [tab, setTab] = useState<string>("overview");
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [resolving, setResolving] = useState(false);
  const { client } = detail;
  return (
    <>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Group gap="sm">
            <Title order={2} data-testid="client-name">
              {client.company_name}
            </Title>
            <ComplianceBadge status={detail.compliance.status} />
          </Group>
          <Text size="sm" c="dimmed">
            <span data-testid="client-plan">{client.plan_name}</span> ·{" "}
            <span data-testid="client-contact">{client.contact_email}</span>
          </Text>
        </Stack>
        <Group gap="xs">
          <Button variant="default" leftSection={<IconEdit size={16} />} onClick={() => setEditing(true)} data-testid="client-edit">
            Edit
          </Button>
          <Button color="red" variant="light" leftSection={<IconTrash size={16} />} onClick={() => setDeleting(true)} data-testid="client-delete">
            Delete
          </Button>
        </Group>
      </Group>

      {detail.conflicts.length > 0 && (
        <Alert color="orange" icon={<IconAlertTriangle size={18} />} data-testid="client-conflicts">
          <Group justify="space-between" wrap="nowrap">
            <Text size="sm">
              The server changed this client since your draft of{" "}
              {detail.conflicts.map((c) => c.kind).join(", ")} was made. Publishing was refused;
              review the values and keep yours, take the server's, or choose field by field.
            </Text>
            <Button size="xs" variant="light" color="orange" onClick={() => setResolving(true)} data-testid="client-conflicts-resolve">
              Resolve…
            </Button>
          </Group>
        </Alert>
      )}

      <Tabs value={tab} onChange={(v) => v && setTab(v)}>
        <Tabs.List>
          <Tabs.Tab value="overview" data-testid="tab-overview">Overview</Tabs.Tab>
          <Tabs.Tab value="quotas" data-testid="tab-quotas">
            Quotas
          </Tabs.Tab>
          <Tabs.Tab value="catalog" data-testid="tab-catalog">App Catalog</Tabs.Tab>
          <Tabs.Tab value="servers" data-testid="tab-servers">Servers ({detail.servers.filter((s) => !s.deleted_at).length})</Tabs.Tab>
          <Tabs.Tab value="users" data-testid="tab-users">Users ({detail.users.length})</Tabs.Tab>
          <Tabs.Tab value="activity" data-testid="tab-activity">Activity</Tabs.Tab>
          <Tabs.Tab value="branding" data-testid="tab-branding">Branding</Tabs.Tab>
        </Tabs.List>

        <Tabs.Panel value="overview" pt="md">
          <Overview detail={detail} />
        </Tabs.Panel>
        <Tabs.Panel value="quotas" pt="md">
          <QuotasTab detail={detail} onChanged={reload} />
        </Tabs.Panel>
        <Tabs.Panel value="catalog" pt="md">
          <CatalogTab detail={detail} onChanged={reload} onOpenConflicts={() => setResolving(true)} />
        </Tabs.Panel>
        <Tabs.Panel value="servers" pt="md">
          <ServersTab detail={detail} active={tab === "servers"} />
        </Tabs.Panel>
        <Tabs.Panel value="users" pt="md">
          <UsersTab detail={detail} onChanged={reload} />
        </Tabs.Panel>
        <Tabs.Panel value="activity" pt="md">
          {tab === "activity" && <ActivityTab clientId={client.id} />}
        </Tabs.Panel>
        <Tabs.Panel value="branding" pt="md">
          {tab === "branding" && (
            <BrandingTab detail={detail} onChanged={reload} onOpenConflicts={() => setResolving(true)} />
          )}
        </Tabs.Panel>
      </Tabs>

      <ConflictsDialog
        opened={resolving}
        clientId={client.id}
        onClose={() => {
          setResolving(false);
          reload();
        }}
      />
      <EditClientDialog
        opened={editing}
        detail={detail}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          reload();
        }}
      />
      <DeleteClientDialog
        opened={deleting}
        detail={detail}
        onClose={() => setDeleting(false)}
        onDeleted={() => {
          setDeleting(false);
          refreshApp();
          navigate("/clients");
        }}
      />
    </>
  );
}

/** A usage bar with a mark at 80 % of the limit. */
export function UsageBar({ kind, used, limit }: { kind: QuotaKind; used: number; limit: number | null }) {
  const percent = limit === null ? 0 : limit === 0 ? (used > 0 ? 100 : 0) : Math.min((used / limit) * 100, 100);
  const ratio = limit === null ? 0 : limit === 0 ? (used > 0 ? Infinity : 0) : used / limit;
  const color = ratio > 1 ? "red" : ratio >= 0.8 ? "yellow" : "green";
  return (
    <Stack gap={4} data-testid={`usage-${kind}`}>
      <Group justify="space-between">
        <Text size="sm" fw={500}>
          {QUOTA_LABELS[kind]}
        </Text>
        <Text size="sm" data-testid={`usage-${kind}-label`}>
          {`${formatNumber(used, 2)} / ${limit === null ? "unlimited" : formatNumber(limit, 2)}`}
        </Text>
      </Group>
      <Box pos="relative">
        <Progress
          value={limit === null ? 0 : percent}
          color={color}
          size="lg"
          aria-label={`${QUOTA_LABELS[kind]} usage`}
        />
        {limit !== null && (
          <Box
            pos="absolute"
            top={-3}
            bottom={-3}
            left="80%"
            w={2}
            bg="var(--mantine-color-text)"
            style={{ opacity: 0.6 }}
            title="80 %"
            data-testid={`usage-${kind}-mark`}
          />
        )}
      </Box>
    </Stack>
  );
}

function Overview({ detail }: { detail: ClientDetail }) {
  const { client } = detail;

  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} data-testid="overview">
      <Card withBorder padding="lg">
        <Stack>
          <Text fw={600}>Usage</Text>
          {QUOTA_KINDS.map((kind) => (
            <UsageBar key={kind} kind={kind} used={USED[kind](client.usage)} limit={detail.quotas[kind]} />
          ))}
        </Stack>
      </Card>
      <Card withBorder padding="lg">
        <Table variant="vertical" withTableBorder={false}>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={160}>Compliance</Table.Th>
              <Table.Td>
                <ComplianceBadge status={detail.compliance.status} testId="overview-compliance" />
                {detail.compliance.over.length > 0 && (
                  <Text size="xs" c="red">
                    Over: {detail.compliance.over.map((k) => QUOTA_LABELS[k]).join(", ")}
                  </Text>
                )}
                {detail.compliance.approaching.length > 0 && (
                  <Text size="xs" c="yellow.8">
                    Approaching: {detail.compliance.approaching.map((k) => QUOTA_LABELS[k]).join(", ")}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Month to date</Table.Th>
              <Table.Td data-testid="overview-total">
                {formatMoney(detail.monthly_total)}
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Contact</Table.Th>
              <Table.Td data-testid="overview-contact">{client.contact_email}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Plan</Table.Th>
              <Table.Td data-testid="overview-plan">{client.plan_name}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Client since</Table.Th>
              <Table.Td>{formatDate(client.created_at)}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Card>
    </SimpleGrid>
  );
}

/** This month's bill lines of the client, by server id (loaded when the tab is shown). */
function useMonthCosts(clientId: string, active: boolean) {
  return useCommand(
    () =>
      commands.billingReport(monthKey(), clientId).then((report) => {
        const lines = new Map<string, BillingLine>();
        for (const bill of report.clients) {
          if (bill.client_id !== clientId) continue;
          for (const line of bill.lines) lines.set(line.instance_id, line);
        }
        return { currency: report.currency, lines };
      }),
    [clientId],
    { enabled: active },
  );
}

function ServersTab({ detail, active }: { detail: ClientDetail; active: boolean }) {
  const costs = useMonthCosts(detail.client.id, active && detail.servers.length > 0);
  const cost = (serverId: string) => {
    if (costs.data === undefined) return costs.loading ? <Loader size="xs" /> : "—";
    const line = costs.data.lines.get(serverId);
    return line ? formatMoney({ amount: line.total, currency: costs.data.currency }) : "—";
  };
  if (detail.servers.length === 0) {
    return (
      <Text c="dimmed" py="md" data-testid="servers-empty">
        This client has no servers.
      </Text>
    );
  }
  return (
    <Stack gap="sm">
    {costs.error && (
      <Alert color="orange" icon={<IconAlertTriangle size={18} />} data-testid="servers-cost-error">
        This month's costs are not available: {costs.error.message}
      </Alert>
    )}
    <Table.ScrollContainer minWidth={600}>
      <Table striped data-testid="servers-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Provider</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th ta="right">Storage (GB)</Table.Th>
            <Table.Th>Since</Table.Th>
            <Table.Th>Price (monthly cap)</Table.Th>
            <Table.Th ta="right">This month</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {detail.servers.map((s) => (
            <Table.Tr key={s.id} data-testid={`server-row-${s.id}`} c={s.deleted_at ? "dimmed" : undefined}>
              <Table.Td>
                <Group gap="xs">
                  {s.name}
                  {s.deleted_at && (
                    <Badge size="xs" color="gray" variant="outline" title={`Deleted ${formatDate(s.deleted_at)}`}>
                      deleted
                    </Badge>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>{s.provider}</Table.Td>
              <Table.Td>{s.server_type}</Table.Td>
              <Table.Td ta="right">{formatNumber(s.storage_gb, 2)}</Table.Td>
              <Table.Td>{formatDate(s.created_at)}</Table.Td>
              <Table.Td>
                {formatDecimal(s.price.monthly)} {s.price.currency}
              </Table.Td>
              <Table.Td ta="right" data-testid={`server-cost-${s.id}`}>
                {cost(s.id)}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
    </Stack>
  );
}

/**
 * Every audit action the Control Panel records, as a sentence. A Record over the generated
 * union: an action added in Rust fails the type check until it has its label here.
 */
export const ACTION_LABELS: Record<AuditAction, string> = {
  "client.create": "Client created",
  "client.update": "Client updated",
  "client.quotas": "Quotas changed",
  "client.delete": "Client deleted",
  "client.token": "Client token issued",
  "price.update": "Price changed",
  "fx.update": "Exchange rates changed",
  "server.create": "Server created",
  "server.delete": "Server deleted",
  "user.create": "User created",
  "user.delete": "User deleted",
  "user.invite": "Invitation sent",
  "user.password": "Portal password set",
  "user.unlock": "Sign-in lock cleared",
  "catalog.update": "App catalog updated",
  "app.create": "App installed",
  "app.delete": "App uninstalled",
  "branding.update": "Branding updated",
  "branding.asset": "Branding image uploaded",
  "branding.domain_verify": "Custom domain checked",
  "operator.sign_in_failed": "Operator sign-in failed",
  "user.sign_in_failed": "Portal sign-in failed",
  "session.logout": "Signed out",
  other: "Other action",
};

function ActivityTab({ clientId }: { clientId: string }) {
  const activity = useCommand(() => commands.clientActivity(clientId), [clientId]);
  return (
    <CommandResult
      command={activity}
      testId="activity"
      loading="Loading the activity…"
      failure={(e) =>
        e.code === "offline"
          ? { message: "Activity needs the Control Panel: you are offline.", color: "gray" }
          : {}
      }
    >
      {(entries) => <ActivityTable entries={entries} />}
    </CommandResult>
  );
}

function ActivityTable({ entries }: { entries: AuditEntry[] }) {
  if (entries.length === 0) {
    return (
      <Text c="dimmed" py="md" data-testid="activity-empty">
        No activity recorded for this client yet.
      </Text>
    );
  }
  return (
    <Table striped data-testid="activity-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>When</Table.Th>
          <Table.Th>Action</Table.Th>
          <Table.Th>Target</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {entries.map((e) => (
          <Table.Tr key={e.id} data-testid={`activity-row-${e.id}`}>
            <Table.Td>{formatDateTime(e.at)}</Table.Td>
            <Table.Td title={e.action}>{ACTION_LABELS[e.action]}</Table.Td>
            <Table.Td>
              {e.target_type} <Text span c="dimmed" size="xs" ff="monospace">{e.target_id}</Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

