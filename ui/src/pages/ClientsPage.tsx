import { Stack, Title } from "@mantine/core";
import { IconBuildingSkyscraper } from "@tabler/icons-react";

import { EmptyState } from "./EmptyState";

export function ClientsPage() {
  return (
    <Stack data-testid="page-clients">
      <Title order={2}>Clients</Title>
      <EmptyState
        icon={<IconBuildingSkyscraper size={28} />}
        title="No clients on this desk yet"
        testId="clients-empty"
      >
        Your client companies appear here, with their servers, users, plan, compliance status
        and monthly total, once this desk is connected to a Control Panel.
      </EmptyState>
    </Stack>
  );
}
