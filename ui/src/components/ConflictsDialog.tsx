// The conflicts drawer: each draft the server refused as stale, the server's value beside the
// draft's for every field that differs, and how to settle it (keep mine, take theirs, per field).
import {
  Alert,
  Badge,
  Button,
  Card,
  Drawer,
  Group,
  SegmentedControl,
  Stack,
  Table,
  Text,
} from "@mantine/core";
import { IconAlertTriangle, IconCheck } from "@tabler/icons-react";
import { useCallback, useState } from "react";

import { ALL_CLIENTS, commands, errorMessage } from "../api/commands";
import type { Conflict } from "../bindings/Conflict";
import type { Resolution } from "../bindings/Resolution";
import { useCommand } from "../hooks/useCommand";
import { useRefresh } from "../state/AppState";
import { CommandResult } from "./CommandResult";

const KIND_LABELS: Record<string, string> = { quotas: "Quotas", catalog: "App Catalog", branding: "Branding" };

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { value };
}

/** The fields whose values differ between the draft and the server, in a stable order. */
export function differingFields(conflict: Conflict): string[] {
  const draft = asRecord(conflict.draft);
  const server = asRecord(conflict.server);
  const keys = [...new Set([...Object.keys(server), ...Object.keys(draft)])];
  return keys.filter((k) => k !== "version" && JSON.stringify(draft[k] ?? null) !== JSON.stringify(server[k] ?? null));
}

/** A JSON value for people: none, lists joined, objects as JSON. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.map((v) => showValue(v)).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function ConflictsDialog({
  opened,
  onClose,
  clientId,
}: {
  opened: boolean;
  onClose: () => void;
  /** Only this client's conflicts. */
  clientId?: string;
}) {
  return (
    <Drawer opened={opened} onClose={onClose} position="right" size="xl" title="Conflicts" data-testid="conflicts-dialog">
      {/* Mounted while open: every opening loads afresh, without the last notice. */}
      <ConflictList clientId={clientId} />
    </Drawer>
  );
}

function ConflictList({ clientId }: { clientId?: string }) {
  const refresh = useRefresh();
  const [notice, setNotice] = useState<{ color: string; text: string } | null>(null);
  const load = useCommand(
    () =>
      Promise.all([commands.conflicts(), commands.listClients(ALL_CLIENTS).catch(() => [])]).then(
        ([conflicts, rows]) => {
          const names: Record<string, string> = {};
          for (const r of rows) names[r.id] = r.company_name;
          return { conflicts: clientId ? conflicts.filter((c) => c.client === clientId) : conflicts, names };
        },
      ),
    [clientId],
  );
  const reload = load.reload;

  const resolved = useCallback(
    (name: string, outcome: string) => {
      setNotice(
        outcome === "published"
          ? { color: "green", text: `${name}: resolved and published.` }
          : { color: "orange", text: `${name}: the server changed again, so the conflict is still there.` },
      );
      reload();
      refresh();
    },
    [reload, refresh],
  );

  return (
    <Stack>
      {notice && (
        <Alert color={notice.color} icon={notice.color === "green" ? <IconCheck size={18} /> : <IconAlertTriangle size={18} />} data-testid="conflicts-notice">
          {notice.text}
        </Alert>
      )}
      <CommandResult command={load} testId="conflicts" loading="Loading the conflicts…" failure="Could not load the conflicts">
        {({ conflicts, names }) =>
          conflicts.length === 0 ? (
            <Text c="dimmed" py="md" data-testid="conflicts-empty">
              No conflicts: every draft is in line with the server.
            </Text>
          ) : (
            conflicts.map((c) => (
              <ConflictCard
                // A conflict the server changed again is a new card: its choices start afresh.
                key={`${c.client}-${c.kind}-${c.server_version}`}
                conflict={c}
                name={names[c.client] ?? c.client}
                onResolved={resolved}
              />
            ))
          )
        }
      </CommandResult>
    </Stack>
  );
}

function ConflictCard({
  conflict,
  name,
  onResolved,
}: {
  conflict: Conflict;
  name: string;
  onResolved: (name: string, outcome: string) => void;
}) {
  const fields = differingFields(conflict);
  const draft = asRecord(conflict.draft);
  const server = asRecord(conflict.server);
  // true takes the draft's value; mine by default.
  const [choices, setChoices] = useState<Record<string, boolean>>(() =>
    Object.fromEntries(fields.map((f) => [f, true])),
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function resolve(resolution: Resolution, key: string) {
    setBusy(key);
    setError(null);
    try {
      const outcome = await commands.resolveConflict(conflict.client, conflict.kind, resolution);
      onResolved(name, outcome);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <Card withBorder padding="md" data-testid={`conflict-${conflict.client}-${conflict.kind}`}>
      <Stack gap="sm">
        <Group justify="space-between">
          <Text fw={600}>{name}</Text>
          <Badge variant="light" color="orange">
            {KIND_LABELS[conflict.kind] ?? conflict.kind}
          </Badge>
        </Group>
        {error && (
          <Alert color="red" icon={<IconAlertTriangle size={18} />} data-testid="conflict-error">
            {error}
          </Alert>
        )}
        {fields.length === 0 ? (
          <Text size="sm" c="dimmed">
            The values are the same; keep yours to publish again.
          </Text>
        ) : (
          <Table data-testid="conflict-fields">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Field</Table.Th>
                <Table.Th>Server (theirs)</Table.Th>
                <Table.Th>Your draft (mine)</Table.Th>
                <Table.Th>Keep</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {fields.map((f) => (
                <Table.Tr key={f} data-testid={`conflict-field-${f}`}>
                  <Table.Td fz="sm">{FIELD_LABELS[f] ?? f}</Table.Td>
                  <Table.Td data-testid={`conflict-theirs-${f}`}>{showValue(server[f])}</Table.Td>
                  <Table.Td data-testid={`conflict-mine-${f}`}>{showValue(draft[f])}</Table.Td>
                  <Table.Td>
                    <SegmentedControl
                      size="xs"
                      value={choices[f] === false ? "theirs" : "mine"}
                      onChange={(v) => setChoices((c) => ({ ...c, [f]: v === "mine" }))}
                      aria-label={`Keep for ${f}`}
                      data={[
                        { value: "mine", label: <span data-testid={`conflict-choose-${f}-mine`}>Mine</span> },
                        { value: "theirs", label: <span data-testid={`conflict-choose-${f}-theirs`}>Theirs</span> },
                      ]}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Group justify="flex-end" gap="xs">
          <Button
            variant="default"
            onClick={() => void resolve({ how: "take_theirs" }, "theirs")}
            loading={busy === "theirs"}
            disabled={busy !== null}
            data-testid="conflict-take-theirs"
          >
            Take theirs
          </Button>
          <Button
            variant="default"
            onClick={() => void resolve({ how: "keep_mine" }, "mine")}
            loading={busy === "mine"}
            disabled={busy !== null}
            data-testid="conflict-keep-mine"
          >
            Keep mine
          </Button>
          <Button
            onClick={() => void resolve({ how: "per_field", fields: choices }, "apply")}
            loading={busy === "apply"}
            disabled={busy !== null || fields.length === 0}
            data-testid="conflict-apply"
          >
            Apply choices
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

/** What each drafted field is called on screen (the wire name when unknown). */
const FIELD_LABELS: Record<string, string> = {
  max_servers: "Servers",
  max_users: "Users",
  max_apps_per_server: "Apps per server",
  storage_quota_gb: "Storage (GB)",
  mode: "Catalog mode",
  enabled: "Allowed apps",
  company_name: "Company name",
  logo_url: "Logo",
  favicon_url: "Favicon",
  primary_color: "Primary colour",
  secondary_color: "Secondary colour",
  accent_color: "Accent colour",
  custom_domain: "Custom domain",
  custom_css: "Custom CSS",
};
