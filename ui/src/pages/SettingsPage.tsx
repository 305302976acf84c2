import {
  Alert,
  Button,
  Card,
  Code,
  Group,
  Select,
  Stack,
  Table,
  Text,
  Title,
  useMantineColorScheme,
  type MantineColorScheme,
} from "@mantine/core";
import {
  IconAlertTriangle,
  IconDeviceDesktop,
  IconFolderOpen,
  IconRefresh,
  IconInfoCircle,
  IconLogout,
  IconMoon,
  IconPalette,
  IconSun,
  IconUserCircle,
} from "@tabler/icons-react";
import { useState } from "react";

import { commands, errorMessage } from "../api/commands";
import type { UnsentWork } from "../bindings/UnsentWork";
import { CommandResult } from "../components/CommandResult";
import { SignOutDialog } from "../components/UnsentWork";
import { formatDateTime } from "../format";
import { useCommand } from "../hooks/useCommand";
import { useOptionalAppState } from "../state/AppState";
import { SYNC_INTERVALS, setSyncIntervalMinutes, useSyncIntervalMinutes } from "../state/syncInterval";

export function AboutPanel() {
  const info = useCommand(() => commands.appInfo(), [], { followDataVersion: false });
  const [opening, setOpening] = useState<"data" | "log" | null>(null);
  const [openError, setOpenError] = useState<string | null>(null);

  async function openFolder(which: "data" | "log") {
    setOpening(which);
    setOpenError(null);
    try {
      await (which === "data" ? commands.openDataDir() : commands.openLogDir());
    } catch (e) {
      setOpenError(errorMessage(e));
    } finally {
      setOpening(null);
    }
  }

  return (
    <Card withBorder padding="lg" data-testid="about-panel">
      <Group gap="xs" mb="md">
        <IconInfoCircle size={20} />
        <Title order={3}>About</Title>
      </Group>
      <CommandResult
        command={info}
        testId="about"
        size="inline"
        loading="Reading the app's details…"
        failure="Could not read the app's details"
      >
        {(info) => (
          <Table variant="vertical" layout="fixed" withTableBorder={false}>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th w={160}>Application</Table.Th>
                <Table.Td data-testid="about-name">{info.name}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Version</Table.Th>
                <Table.Td data-testid="about-version">{info.version}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Data folder</Table.Th>
                <Table.Td>
                  <Code data-testid="about-data-dir">{info.data_dir}</Code>
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Log files</Table.Th>
                <Table.Td>
                  <Code data-testid="about-log-dir">{info.log_dir}</Code>
                </Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
        )}
      </CommandResult>
      {openError && (
        <Alert color="red" mt="sm" icon={<IconAlertTriangle size={18} />} data-testid="open-dir-error">
          {openError}
        </Alert>
      )}
      <Group gap="xs" mt="md">
        <Button
          variant="default"
          leftSection={<IconFolderOpen size={16} />}
          loading={opening === "data"}
          onClick={() => void openFolder("data")}
          data-testid="open-data-dir"
        >
          Open data folder
        </Button>
        <Button
          variant="default"
          leftSection={<IconFolderOpen size={16} />}
          loading={opening === "log"}
          onClick={() => void openFolder("log")}
          data-testid="open-log-dir"
        >
          Open log folder
        </Button>
      </Group>
    </Card>
  );
}

const INTERVAL_OPTIONS = SYNC_INTERVALS.map((m) => ({
  value: String(m),
  label: m === 0 ? "Off" : m === 1 ? "Every minute" : `Every ${m} minutes`,
}));

/** How often the desk syncs by itself; the choice takes effect at once. */
export function SyncPanel() {
  const minutes = useSyncIntervalMinutes();
  return (
    <Card withBorder padding="lg" data-testid="sync-panel">
      <Group gap="xs" mb="md">
        <IconRefresh size={20} />
        <Title order={3}>Sync</Title>
      </Group>
      <Select
        label="Automatic sync"
        description="Sync now in the status bar works whatever this is set to."
        data={INTERVAL_OPTIONS}
        value={String(minutes)}
        onChange={(v) => v !== null && setSyncIntervalMinutes(Number(v))}
        allowDeselect={false}
        w={260}
        data-testid="sync-interval"
      />
    </Card>
  );
}

export function AccountPanel() {
  const app = useOptionalAppState();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [unsent, setUnsent] = useState<UnsentWork | null>(null);
  if (!app) return null;
  const { account } = app;

  const appState = app;
  /** Signs out at once when nothing is unsent; otherwise the dialog names it and asks. */
  async function signOut() {
    setBusy(true);
    setError(null);
    try {
      const work = await commands.unsentWork();
      if (work && work.items.length > 0) {
        setUnsent(work);
        setBusy(false);
        return;
      }
      await appState.signOut("if_nothing_unsent");
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  async function publish() {
    await appState.syncNow();
    const left = await commands.unsentWork();
    if (!left || left.items.length === 0) {
      // Everything went: nothing stands in the way any more.
      setUnsent(null);
      await appState.signOut("if_nothing_unsent");
    } else {
      setUnsent(left);
    }
  }

  return (
    <Card withBorder padding="lg" data-testid="account-panel">
      <Group gap="xs" mb="md">
        <IconUserCircle size={20} />
        <Title order={3}>Account</Title>
      </Group>
      <Table variant="vertical" layout="fixed" withTableBorder={false} mb="md">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={160}>Server</Table.Th>
            <Table.Td>
              <Code data-testid="account-server">{account.server}</Code>
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Operator</Table.Th>
            <Table.Td data-testid="account-email">{account.email}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Last sync</Table.Th>
            <Table.Td data-testid="account-last-sync">
              {account.last_sync_at ? formatDateTime(account.last_sync_at) : "never"}
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {error && (
        <Alert color="red" mb="sm" data-testid="sign-out-error">
          {error}
        </Alert>
      )}
      <Group>
        <Button
          variant="light"
          color="red"
          leftSection={<IconLogout size={16} />}
          onClick={() => void signOut()}
          loading={busy}
          data-testid="sign-out"
        >
          Sign out
        </Button>
        <Text size="xs" c="dimmed">
          Signing out removes this desk's tokens from the system keyring. Unsent changes are named
          first, never dropped without asking.
        </Text>
      </Group>
      <SignOutDialog
        work={unsent}
        onClose={() => setUnsent(null)}
        onSignOut={(choice) => appState.signOut(choice)}
        onPublish={publish}
      />
    </Card>
  );
}

const THEMES: Array<{ value: MantineColorScheme; label: string; testId: string; icon: typeof IconSun }> = [
  { value: "light", label: "Light", testId: "theme-light", icon: IconSun },
  { value: "dark", label: "Dark", testId: "theme-dark", icon: IconMoon },
  { value: "auto", label: "Follow the system", testId: "theme-system", icon: IconDeviceDesktop },
];

/** Light, dark or the system's; Mantine keeps the choice in localStorage. */
export function ThemePanel() {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  return (
    <Card withBorder padding="lg" data-testid="theme-panel">
      <Group gap="xs" mb="md">
        <IconPalette size={20} />
        <Title order={3}>Theme</Title>
      </Group>
      <Group gap="xs" role="radiogroup" aria-label="Theme">
        {THEMES.map((t) => {
          const Icon = t.icon;
          const active = colorScheme === t.value;
          return (
            <Button
              key={t.value}
              variant={active ? "filled" : "default"}
              leftSection={<Icon size={16} />}
              role="radio"
              aria-checked={active}
              onClick={() => setColorScheme(t.value)}
              data-testid={t.testId}
            >
              {t.label}
            </Button>
          );
        })}
      </Group>
    </Card>
  );
}

export function SettingsPage() {
  return (
    <Stack data-testid="page-settings">
      <Title order={2}>Settings</Title>
      <AccountPanel />
      <ThemePanel />
      <SyncPanel />
      <AboutPanel />
    </Stack>
  );
}
