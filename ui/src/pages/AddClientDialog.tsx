import { Alert, Button, Group, Modal, Select, Stack, Text, TextInput } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useMemo, useState, type FormEvent } from "react";

import { commands, errorMessage, fieldErrors } from "../api/commands";
import { CommandResult } from "../components/CommandResult";
import type { CreateOutcome } from "../bindings/CreateOutcome";
import {
  QUOTA_KINDS,
  QuotaInputs,
  quotaForm,
  quotaFormErrors,
  quotasFromForm,
  type QuotaForm,
} from "../components/QuotaInputs";
import { formatDecimal } from "../format";
import { useCommand } from "../hooks/useCommand";

const NO_QUOTAS: QuotaForm = quotaForm({
  max_servers: null,
  max_users: null,
  max_apps_per_server: null,
  storage_quota_gb: null,
});

/** MSP > Clients > Add Client. */
export function AddClientDialog({
  opened,
  onClose,
  onDone,
}: {
  opened: boolean;
  onClose: () => void;
  onDone: (outcome: CreateOutcome) => void;
}) {
  const plans = useCommand(() => commands.plans(), [], { enabled: opened });
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  /** The plan chosen; until then the first. */
  const [planId, setPlanId] = useState<string | null>(null);
  /** The quotas as edited; until then the plan's defaults. */
  const [editedQuotas, setQuotas] = useState<QuotaForm | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const plan = plans.data?.find((p) => p.id === planId) ?? plans.data?.[0];
  const planQuotas = useMemo(() => (plan ? quotaForm(plan.default_quotas) : NO_QUOTAS), [plan]);
  const quotas = editedQuotas ?? planQuotas;

  function reset() {
    setName("");
    setEmail("");
    setPlanId(null);
    setQuotas(null);
    setErrors({});
    setError(null);
  }

  function choosePlan(id: string | null) {
    setPlanId(id);
    setQuotas(null);
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const local = quotaFormErrors(quotas);
    if (!plan) local.plan_id = "Choose a plan.";
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setSaving(true);
    try {
      const outcome = await commands.createClient({
        company_name: name.trim(),
        contact_email: email.trim(),
        plan_id: plan?.id ?? "",
        quotas: quotasFromForm(quotas),
      });
      reset();
      onDone(outcome);
    } catch (e) {
      const fields = fieldErrors(e);
      setErrors(fields);
      const known = new Set(["company_name", "contact_email", "plan_id", ...QUOTA_KINDS.map((k) => `quotas.${k}`)]);
      const shownInline = Object.keys(fields).length > 0 && Object.keys(fields).every((f) => known.has(f));
      setError(
        shownInline
          ? null
          : [errorMessage(e), ...Object.entries(fields).filter(([f]) => !known.has(f)).map(([, m]) => m)].join(" "),
      );
    } finally {
      setSaving(false);
    }
  }

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Add client"
      size="lg"
      data-testid="add-client-dialog"
    >
      <form onSubmit={submit} noValidate data-testid="add-client-form">
        <Stack>
          {error && (
            <Alert color="red" icon={<IconAlertTriangle size={18} />} data-testid="add-client-error">
              {error}
            </Alert>
          )}
          <TextInput
            label="Company name"
            required
            data-autofocus
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={errors.company_name}
            data-testid="add-client-name"
          />
          <TextInput
            label="Contact e-mail"
            type="email"
            required
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={errors.contact_email}
            data-testid="add-client-email"
          />
          <CommandResult
            command={plans}
            testId="add-client-plans"
            size="inline"
            loading="Loading plans…"
            failure="Could not load the plans"
          >
            {(list) => (
              <Select
                label="Plan"
                required
                data={list.map((p) => ({
                  value: p.id,
                  label: `${p.name} (${formatDecimal(p.license_fee_per_instance)} ${p.currency} per instance)`,
                }))}
                value={plan?.id ?? null}
                onChange={choosePlan}
                allowDeselect={false}
                error={errors.plan_id}
                nothingFoundMessage="No plans"
                comboboxProps={{ withinPortal: false }}
                data-testid="add-client-plan"
              />
            )}
          </CommandResult>
          <Text size="sm" fw={500}>
            Quotas
          </Text>
          <QuotaInputs form={quotas} onChange={setQuotas} errors={errors} testIdPrefix="add-client" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} data-testid="add-client-cancel">
              Cancel
            </Button>
            <Button type="submit" loading={saving} disabled={plans.data === undefined} data-testid="add-client-submit">
              Create
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
