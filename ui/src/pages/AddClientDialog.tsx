import { Alert, Button, Group, Loader, Modal, Select, Stack, Text, TextInput } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useEffect, useRef, useState, type FormEvent } from "react";

import { commands, errorMessage, fieldErrors } from "../api/commands";
import type { CreateOutcome } from "../bindings/CreateOutcome";
import type { Plan } from "../bindings/Plan";
import {
  QUOTA_KINDS,
  QuotaInputs,
  quotaForm,
  quotaFormErrors,
  quotasFromForm,
  type QuotaForm,
} from "../components/QuotaInputs";

const NO_QUOTAS: QuotaForm = quotaForm({
  max_servers: null,
  max_users: null,
  max_apps_per_server: null,
  storage_quota_gb: null,
});

type PlansState = { kind: "loading" } | { kind: "ready"; plans: Plan[] } | { kind: "failed"; message: string };

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
  const [plans, setPlans] = useState<PlansState>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [planId, setPlanId] = useState<string | null>(null);
  const [quotas, setQuotas] = useState<QuotaForm>(NO_QUOTAS);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const planIdRef = useRef(planId);
  planIdRef.current = planId;

  useEffect(() => {
    if (!opened) return;
    let live = true;
    setPlans({ kind: "loading" });
    commands
      .plans()
      .then((list) => {
        if (!live) return;
        setPlans({ kind: "ready", plans: list });
        // Preselect the first plan, with its default quotas, unless one is chosen already.
        const chosen = list.find((p) => p.id === planIdRef.current) ?? list[0];
        if (chosen && chosen.id !== planIdRef.current) {
          setPlanId(chosen.id);
          setQuotas(quotaForm(chosen.default_quotas));
        }
      })
      .catch((e: unknown) => {
        if (live) setPlans({ kind: "failed", message: errorMessage(e) });
      });
    return () => {
      live = false;
    };
  }, [opened, attempt]);

  function reset() {
    setName("");
    setEmail("");
    setPlanId(null);
    setQuotas(NO_QUOTAS);
    setErrors({});
    setError(null);
  }

  function choosePlan(id: string | null) {
    setPlanId(id);
    const plan = plans.kind === "ready" ? plans.plans.find((p) => p.id === id) : undefined;
    if (plan) setQuotas(quotaForm(plan.default_quotas));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const local = quotaFormErrors(quotas);
    if (!planId) local.plan_id = "Choose a plan.";
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setSaving(true);
    try {
      const outcome = await commands.createClient({
        company_name: name.trim(),
        contact_email: email.trim(),
        plan_id: planId ?? "",
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
          {plans.kind === "loading" && (
            <Group gap="xs" data-testid="add-client-plans-loading">
              <Loader size="xs" />
              <Text size="sm">Loading plans…</Text>
            </Group>
          )}
          {plans.kind === "failed" && (
            <Alert color="red" title="Could not load the plans" data-testid="add-client-plans-error">
              <Stack gap="xs" align="flex-start">
                <Text size="sm">{plans.message}</Text>
                <Button size="xs" variant="light" onClick={() => setAttempt((a) => a + 1)} data-testid="add-client-plans-retry">
                  Try again
                </Button>
              </Stack>
            </Alert>
          )}
          {plans.kind === "ready" && (
            <Select
              label="Plan"
              required
              data={plans.plans.map((p) => ({
                value: p.id,
                label: `${p.name} (${p.license_fee_per_instance} ${p.currency} per instance)`,
              }))}
              value={planId}
              onChange={choosePlan}
              allowDeselect={false}
              error={errors.plan_id}
              nothingFoundMessage="No plans"
              comboboxProps={{ withinPortal: false }}
              data-testid="add-client-plan"
            />
          )}
          <Text size="sm" fw={500}>
            Quotas
          </Text>
          <QuotaInputs form={quotas} onChange={setQuotas} errors={errors} testIdPrefix="add-client" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} data-testid="add-client-cancel">
              Cancel
            </Button>
            <Button type="submit" loading={saving} disabled={plans.kind !== "ready"} data-testid="add-client-submit">
              Create
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
