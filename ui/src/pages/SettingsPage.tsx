import { Alert, Button, Card, Code, Group, Loader, Stack, Table, Text, Title } from "@mantine/core";
import { IconAlertTriangle, IconInfoCircle } from "@tabler/icons-react";
import { useCallback, useEffect, useState } from "react";

import { commands } from "../api/commands";
import type { AppInfo } from "../bindings/AppInfo";

type State =
  | { kind: "loading" }
  | { kind: "ready"; info: AppInfo }
  | { kind: "failed"; message: string };

export function AboutPanel() {
  const [state, setState] = useState<State>({ kind: "loading" });

  const load = useCallback(() => {
    setState({ kind: "loading" });
    commands
      .appInfo()
      .then((info) => setState({ kind: "ready", info }))
      .catch((error: unknown) =>
        setState({
          kind: "failed",
          message: error instanceof Error ? error.message : String(error),
        }),
      );
  }, []);

  useEffect(load, [load]);

  return (
    <Card withBorder padding="lg" data-testid="about-panel">
      <Group gap="xs" mb="md">
        <IconInfoCircle size={20} />
        <Title order={3}>About</Title>
      </Group>
      {state.kind === "loading" && <Loader size="sm" data-testid="about-loading" />}
      {state.kind === "failed" && (
        <Alert
          color="red"
          icon={<IconAlertTriangle size={18} />}
          title="Could not read the app's details"
          data-testid="about-error"
        >
          <Stack gap="xs" align="flex-start">
            <Text size="sm">{state.message}</Text>
            <Button size="xs" variant="light" onClick={load}>
              Try again
            </Button>
          </Stack>
        </Alert>
      )}
      {state.kind === "ready" && (
        <Table variant="vertical" layout="fixed" withTableBorder={false}>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={160}>Application</Table.Th>
              <Table.Td data-testid="about-name">{state.info.name}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Version</Table.Th>
              <Table.Td data-testid="about-version">{state.info.version}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Data folder</Table.Th>
              <Table.Td>
                <Code data-testid="about-data-dir">{state.info.data_dir}</Code>
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Log files</Table.Th>
              <Table.Td>
                <Code data-testid="about-log-dir">{state.info.log_dir}</Code>
              </Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}

export function SettingsPage() {
  return (
    <Stack data-testid="page-settings">
      <Title order={2}>Settings</Title>
      <AboutPanel />
    </Stack>
  );
}
