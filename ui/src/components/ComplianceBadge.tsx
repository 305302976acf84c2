import { Badge } from "@mantine/core";

import type { ComplianceStatus } from "../bindings/ComplianceStatus";

const LOOK: Record<ComplianceStatus, { color: string; label: string }> = {
  compliant: { color: "green", label: "Compliant" },
  approaching: { color: "yellow", label: "Approaching" },
  over_quota: { color: "red", label: "Over quota" },
};

export function ComplianceBadge({
  status,
  testId = "compliance-badge",
}: {
  status: ComplianceStatus;
  testId?: string;
}) {
  const look = LOOK[status];
  return (
    <Badge color={look.color} variant="light" data-testid={testId} data-status={status}>
      {look.label}
    </Badge>
  );
}
