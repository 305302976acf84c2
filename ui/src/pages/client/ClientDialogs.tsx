// Editing a client's name, contact and plan; deleting a client.
import {
  Alert,
  Button,
  Group,
  Modal,
  Select,
  Stack,
  Text,
  TextInput,
} from "@mantine/core";
import {
  IconAlertTriangle,
} from "@tabler/icons-react";
import { useState, type FormEvent } from "react";

import { commands, errorMessage, fieldErrors } from "../../api/commands";
import type { ClientDetail } from "../../bindings/ClientDetail";
import { useCommand } from "../../hooks/useCommand";

export function EditClientDialog({
  opened,
  detail,
  onClose,
  onSaved,
}: {
  opened: boolean;
  detail: ClientDetail;
  onClose: () => void;
  onSaved: () => void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title="Edit client" data-testid="client-edit-dialog">
      {/* Mounted while open: each opening starts from the client as it is. */}
      <EditClientForm detail={detail} onClose={onClose} onSaved={onSaved} />
    </Modal>
  );
}

function EditClientForm({
  detail,
  onClose,
  onSaved,
}: {
  detail: ClientDetail;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { client } = detail;
  const [name, setName] = useState(client.company_name);
  const [email, setEmail] = useState(client.contact_email);
  const [planId, setPlanId] = useState<string | null>(client.plan_id);
  const plans = useCommand(() => commands.plans(), []);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    setError(null);
    setSaving(true);
    try {
      await commands.updateClient(client.id, {
        company_name: name.trim() !== client.company_name ? name.trim() : null,
        contact_email: email.trim() !== client.contact_email ? email.trim() : null,
        plan_id: planId && planId !== client.plan_id ? planId : null,
      });
      onSaved();
    } catch (e) {
      const fields = fieldErrors(e);
      setErrors(fields);
      if (Object.keys(fields).length === 0) setError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  }

  const planData = (plans.data ?? [{ id: client.plan_id, name: client.plan_name }]).map((p) => ({
    value: p.id,
    label: p.name,
  }));
  const shownError = error ?? plans.error?.message ?? null;

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {shownError && (
          <Alert color="red" data-testid="client-edit-error">
            {shownError}
          </Alert>
        )}
        <TextInput label="Company name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.company_name} data-autofocus data-testid="client-edit-name" />
        <TextInput label="Contact e-mail" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errors.contact_email} data-testid="client-edit-email" />
        <Select label="Plan" data={planData} value={planId} onChange={setPlanId} allowDeselect={false} error={errors.plan_id} comboboxProps={{ withinPortal: false }} data-testid="client-edit-plan" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} data-testid="client-edit-cancel">
            Cancel
          </Button>
          <Button type="submit" loading={saving} data-testid="client-edit-submit">
            Save
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function DeleteClientDialog({
  opened,
  detail,
  onClose,
  onDeleted,
}: {
  opened: boolean;
  detail: ClientDetail;
  onClose: () => void;
  onDeleted: () => void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title="Delete client" data-testid="client-delete-dialog">
      {/* Mounted while open: no error of an earlier attempt. */}
      <DeleteClientConfirm detail={detail} onClose={onClose} onDeleted={onDeleted} />
    </Modal>
  );
}

function DeleteClientConfirm({
  detail,
  onClose,
  onDeleted,
}: {
  detail: ClientDetail;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);

  async function confirm() {
    setDeleting(true);
    setError(null);
    try {
      await commands.deleteClient(detail.client.id);
      onDeleted();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setDeleting(false);
    }
  }

  return (
    <Stack>
      <Text size="sm">
        Delete <b>{detail.client.company_name}</b> from the Control Panel? This cannot be undone.
      </Text>
      {error && (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} data-testid="client-delete-error">
          {error}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose} data-autofocus data-testid="client-delete-cancel">
          Cancel
        </Button>
        <Button color="red" onClick={() => void confirm()} loading={deleting} data-testid="client-delete-confirm">
          Delete
        </Button>
      </Group>
    </Stack>
  );
}
