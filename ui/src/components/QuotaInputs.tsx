import { Group, NumberInput, SimpleGrid, Stack, Switch } from "@mantine/core";

import type { QuotaKind } from "../bindings/QuotaKind";
import type { QuotasInput } from "../bindings/QuotasInput";

export const QUOTA_KINDS: QuotaKind[] = [
  "max_servers",
  "max_users",
  "max_apps_per_server",
  "storage_quota_gb",
];

export const QUOTA_LABELS: Record<QuotaKind, string> = {
  max_servers: "Servers",
  max_users: "Users",
  max_apps_per_server: "Apps per server",
  storage_quota_gb: "Storage (GB)",
};

/** The editable form of quotas: a number (or "" while typed) and an unlimited flag each. */
export type QuotaForm = Record<QuotaKind, { value: number | ""; unlimited: boolean }>;

export function quotaForm(quotas: QuotasInput): QuotaForm {
  const form = {} as QuotaForm;
  for (const kind of QUOTA_KINDS) {
    const limit = quotas[kind];
    form[kind] = { value: limit ?? "", unlimited: limit === null };
  }
  return form;
}

/** Limits left empty without "unlimited", as errors keyed like the server's ("quotas.<kind>"). */
export function quotaFormErrors(form: QuotaForm): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const kind of QUOTA_KINDS) {
    if (!form[kind].unlimited && form[kind].value === "") {
      errors[`quotas.${kind}`] = "Enter a limit, or switch on Unlimited.";
    }
  }
  return errors;
}

/** What the form sends: null for unlimited (call quotaFormErrors first). */
export function quotasFromForm(form: QuotaForm): QuotasInput {
  const out = {} as QuotasInput;
  for (const kind of QUOTA_KINDS) {
    const { value, unlimited } = form[kind];
    out[kind] = unlimited || value === "" ? null : value;
  }
  return out;
}

/** The four quota inputs with their "unlimited" switches. `errors` is keyed "quotas.<kind>". */
export function QuotaInputs({
  form,
  onChange,
  errors,
  testIdPrefix,
  disabled,
}: {
  form: QuotaForm;
  onChange: (form: QuotaForm) => void;
  errors: Record<string, string>;
  /** e.g. "add-client" → add-client-quota-max_servers, add-client-unlimited-max_servers */
  testIdPrefix: string;
  disabled?: boolean;
}) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }}>
      {QUOTA_KINDS.map((kind) => {
        const { value, unlimited } = form[kind];
        return (
          <Stack key={kind} gap={4}>
            <NumberInput
              label={QUOTA_LABELS[kind]}
              min={0}
              allowDecimal={false}
              allowNegative={false}
              value={unlimited ? "" : value}
              placeholder={unlimited ? "Unlimited" : undefined}
              disabled={disabled || unlimited}
              error={errors[`quotas.${kind}`]}
              onChange={(v) =>
                onChange({
                  ...form,
                  [kind]: { unlimited, value: typeof v === "number" ? v : v === "" ? "" : Number(v) },
                })
              }
              data-testid={`${testIdPrefix}-quota-${kind}`}
            />
            <Group>
              <Switch
                label="Unlimited"
                checked={unlimited}
                disabled={disabled}
                onChange={(e) =>
                  onChange({ ...form, [kind]: { value, unlimited: e.currentTarget.checked } })
                }
                data-testid={`${testIdPrefix}-unlimited-${kind}`}
              />
            </Group>
          </Stack>
        );
      })}
    </SimpleGrid>
  );
}
