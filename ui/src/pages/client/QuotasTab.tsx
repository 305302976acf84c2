// The Quotas tab of a client: edit, save as a draft, publish, discard.
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Stack,
  Text,
} from "@mantine/core";
import {
  IconAlertTriangle,
  IconCheck,
} from "@tabler/icons-react";
import { useState } from "react";

import { commands, errorMessage, fieldErrors } from "../../api/commands";
import type { ClientDetail } from "../../bindings/ClientDetail";
import type { QuotasInput } from "../../bindings/QuotasInput";

import {
  QUOTA_KINDS,
  QUOTA_LABELS,
  QuotaInputs,
  quotaForm,
  quotaFormErrors,
  quotasFromForm,
  type QuotaForm,
} from "../../components/QuotaInputs";

function sameQuotas(a: QuotasInput, b: QuotasInput): boolean {
  return QUOTA_KINDS.every((k) => a[k] === b[k]);
}

type Notice = { color: string; text: string; testId: string } | null;

export function QuotasTab({ detail, onChanged }: { detail: ClientDetail; onChanged: () => void }) {
  const id = detail.client.id;
  const [form, setForm] = useState<QuotaForm>(() => quotaForm(detail.quotas));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<Notice>(null);
  const [busy, setBusy] = useState<null | "save" | "publish" | "discard">(null);
  const hasDraft = detail.drafts.some((d) => d.kind === "quotas");
  const conflict = detail.conflicts.find((c) => c.kind === "quotas");

  // Follow the stored quotas when they change (after a save, a sync or a discard).
  const stored = JSON.stringify(detail.quotas);
  const [followed, setFollowed] = useState(stored);
  if (followed !== stored) {
    setFollowed(stored);
    setForm(quotaForm(detail.quotas));
  }

  const dirty = !sameQuotas(quotasFromForm(form), detail.quotas) || Object.keys(quotaFormErrors(form)).length > 0;

  async function run(action: "save" | "publish" | "discard") {
    setNotice(null);
    setErrors({});
    if (action !== "discard") {
      const local = quotaFormErrors(form);
      if (Object.keys(local).length > 0) {
        setErrors(local);
        return;
      }
    }
    setBusy(action);
    try {
      if (action === "discard") {
        await commands.discardDraft(id, "quotas");
        setNotice({ color: "blue", text: "The draft was discarded.", testId: "quotas-discarded" });
      } else {
        if (dirty || !hasDraft) {
          await commands.saveQuotasDraft(id, quotasFromForm(form));
        }
        if (action === "save") {
          setNotice({ color: "blue", text: "Draft saved. Publish it to send it to the server.", testId: "quotas-saved" });
        } else {
          const outcome = await commands.publishDraft(id, "quotas");
          setNotice(
            outcome === "published"
              ? { color: "green", text: "The quotas were published.", testId: "quotas-published" }
              : {
                  color: "orange",
                  text: "The server's quotas changed since this draft was made, so it was not published. Your draft is kept: review it and publish again, or discard it.",
                  testId: "quotas-conflict",
                },
          );
        }
      }
      onChanged();
    } catch (e) {
      setErrors(fieldErrors(e));
      setNotice({ color: "red", text: errorMessage(e), testId: "quotas-error" });
    } finally {
      setBusy(null);
    }
  }

  return (
    <Card withBorder padding="lg" data-testid="quotas-panel">
      <Stack>
        <Group justify="space-between">
          <Text fw={600}>Quotas</Text>
          {hasDraft && (
            <Badge color="blue" variant="light" data-testid="quotas-draft-badge">
              Draft not yet published
            </Badge>
          )}
        </Group>
        {conflict && (
          <Alert color="orange" icon={<IconAlertTriangle size={18} />} data-testid="quotas-conflict-info">
            The server has other quotas now: {describeQuotas(conflict.server)}. Your draft:{" "}
            {describeQuotas(conflict.draft)}.
          </Alert>
        )}
        {notice && (
          <Alert color={notice.color} icon={notice.color === "green" ? <IconCheck size={18} /> : undefined} data-testid={notice.testId}>
            {notice.text}
          </Alert>
        )}
        <QuotaInputs form={form} onChange={setForm} errors={errors} testIdPrefix="quotas" disabled={busy !== null} />
        <Group justify="flex-end">
          <Button variant="subtle" color="red" onClick={() => void run("discard")} disabled={!hasDraft || busy !== null} loading={busy === "discard"} data-testid="quotas-discard">
            Discard draft
          </Button>
          <Button variant="default" onClick={() => void run("save")} disabled={!dirty || busy !== null} loading={busy === "save"} data-testid="quotas-save">
            Save draft
          </Button>
          <Button onClick={() => void run("publish")} disabled={(!dirty && !hasDraft) || busy !== null} loading={busy === "publish"} data-testid="quotas-publish">
            Publish
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

function describeQuotas(value: unknown): string {
  if (typeof value !== "object" || value === null) return String(value);
  const record = value as Record<string, unknown>;
  return QUOTA_KINDS.map((k) => `${QUOTA_LABELS[k]} ${record[k] === null || record[k] === undefined ? "unlimited" : String(record[k])}`).join(", ");
}
