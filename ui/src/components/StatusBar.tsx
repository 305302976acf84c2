import { Badge, Button, Group, Loader, Text, Tooltip } from "@mantine/core";
import { IconCloudOff, IconPlugConnected, IconRefresh, IconX } from "@tabler/icons-react";
import { useEffect, useState } from "react";

import { ALL_CLIENTS, commands } from "../api/commands";
import { useCommand } from "../hooks/useCommand";
import { useAppState } from "../state/AppState";
import { ConflictsDialog } from "./ConflictsDialog";
import { formatDateTime, formatRelative } from "../format";

interface Counts {
  drafts: number;
  conflicts: number;
  queued: number;
}

/** The drafts, conflicts and queued creates on this desk. */
async function pendingCounts(): Promise<Counts> {
  const [rows, queued] = await Promise.all([commands.listClients(ALL_CLIENTS), commands.queuedClients()]);
  let drafts = 0;
  let conflicts = 0;
  for (const row of rows) {
    drafts += row.drafts.length;
    conflicts += row.conflicts.length;
  }
  return { drafts, conflicts, queued: queued.length };
}

/** The footer: reachability, last sync, what is pending, and Sync now / Cancel. */
export function StatusBar() {
  const { account, sync, syncNow, cancelSync } = useAppState();
  const [, setTick] = useState(0);
  const [conflictsOpen, setConflictsOpen] = useState(false);
  const counts = useCommand(pendingCounts, []).data ?? null;

  // Keep "5 minutes ago" current.
  useEffect(() => {
    const timer = window.setInterval(() => setTick((t) => t + 1), 30_000);
    return () => window.clearInterval(timer);
  }, []);

  return (
    <Group h="100%" px="md" gap="md" justify="space-between" wrap="nowrap" data-testid="status-bar">
      <Group gap="md" wrap="nowrap">
        {sync.reachability === "offline" ? (
          <Badge color="red" variant="light" leftSection={<IconCloudOff size={12} />} data-testid="status-offline">
            Offline
          </Badge>
        ) : sync.reachability === "online" ? (
          <Badge color="green" variant="light" leftSection={<IconPlugConnected size={12} />} data-testid="status-online">
            Online
          </Badge>
        ) : (
          // Not in touch with the Control Panel since the app started; "not synced" only when
          // this account never was (the last sync beside it says when it was).
          <Tooltip label="MSP Desk has not reached the Control Panel since it started.">
            <Badge color="gray" variant="light" data-testid="status-unknown" tabIndex={0}>
              {sync.running ? "Connecting…" : account.last_sync_at ? "Not connected yet" : "Not synced yet"}
            </Badge>
          </Tooltip>
        )}
        <Text size="xs" c="dimmed" data-testid="status-last-sync">
          Last sync:{" "}
          {account.last_sync_at ? (
            <Tooltip label={formatDateTime(account.last_sync_at)}>
              <span tabIndex={0}>{formatRelative(account.last_sync_at)}</span>
            </Tooltip>
          ) : (
            "never"
          )}
        </Text>
        <Text size="xs" c="dimmed" data-testid="status-drafts">
          Drafts: {counts ? counts.drafts : "—"}
        </Text>
        <Text size="xs" c="dimmed" data-testid="status-queued">
          Queued: {counts ? counts.queued : "—"}
        </Text>
        <Button
          size="compact-xs"
          variant="subtle"
          color={counts && counts.conflicts > 0 ? "orange" : "gray"}
          onClick={() => setConflictsOpen(true)}
          aria-label={`Conflicts: ${counts ? counts.conflicts : "unknown"}. Review them`}
          data-testid="status-conflicts"
        >
          Conflicts: {counts ? counts.conflicts : "—"}
        </Button>
        {sync.error && (
          <Tooltip label={sync.error} multiline w={320}>
            <Text size="xs" c="red" truncate maw={260} tabIndex={0} data-testid="status-error">
              {sync.error}
            </Text>
          </Tooltip>
        )}
      </Group>
      <Group gap="xs" wrap="nowrap">
        {sync.running ? (
          <>
            <Loader size="xs" />
            <Text size="xs" data-testid="status-sync-progress">
              {sync.progress
                ? `Syncing: ${sync.progress.pages} pages, ${sync.progress.rows} changes`
                : "Syncing…"}
            </Text>
            <Button
              size="compact-xs"
              variant="subtle"
              color="gray"
              leftSection={<IconX size={12} />}
              onClick={() => void cancelSync()}
              data-testid="sync-cancel"
            >
              Cancel
            </Button>
          </>
        ) : (
          <Button
            size="compact-xs"
            variant="light"
            leftSection={<IconRefresh size={12} />}
            onClick={() => void syncNow()}
            data-testid="sync-now"
          >
            Sync now
          </Button>
        )}
      </Group>
      <ConflictsDialog opened={conflictsOpen} onClose={() => setConflictsOpen(false)} />
    </Group>
  );
}
