import { Stack, Title } from "@mantine/core";
import { IconReceipt2 } from "@tabler/icons-react";

import { EmptyState } from "./EmptyState";

export function BillingPage() {
  return (
    <Stack data-testid="page-billing">
      <Title order={2}>Billing</Title>
      <EmptyState icon={<IconReceipt2 size={28} />} title="No billing data yet" testId="billing-empty">
        Billing reports for one client or all clients, for any month, exported as PDF or CSV,
        become available once clients are synced from a Control Panel.
      </EmptyState>
    </Stack>
  );
}
