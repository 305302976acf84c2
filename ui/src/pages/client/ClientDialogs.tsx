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
import { useEffect, useState, type FormEvent } from "react";

import { commands, errorMessage, fieldErrors } from "../../api/commands";
import type { ClientDetail } from "../../bindings/ClientDetail";
import type { Plan } from "../../bindings/Plan";

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
  const { client } = detail;
  const [name, setName] = useState(client.company_name);
  const [email, setEmail] = useState(client.contact_email);
  const [planId, setPlanId] = useState<string | null>(client.plan_id);
  const [plans, setPlans] = useState<Plan[] | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (!opened) return;
    setName(client.company_name);
    setEmail(client.contact_email);
    setPlanId(client.plan_id);
    setErrors({});
    setError(null);
    let live = true;
    commands
      .plans()
      .then((p) => {
        if (live) setPlans(p);
      })
      .catch((e: unknown) => {
        if (live) setError(errorMessage(e));
      });
    return () => {
      live = false;
    };
  }, [opened, client]);

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

  const planData = (plans ?? [{ id: client.plan_id, name: client.plan_name }]).map((p) => ({ value: p.id, label: p.name }));

  return (
    <Modal opened={opened} onClose={onClose} title="Edit client" data-testid="client-edit-dialog">
      <form onSubmit={submit} noValidate>
        <Stack>
          {error && (
            <Alert color="red" data-testid="client-edit-error">
              {error}
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
    </Modal>
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
  const [error, setError] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);

  useEffect(() => {
    if (opened) setError(null);
  }, [opened]);

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
    <Modal opened={opened} onClose={onClose} title="Delete client" data-testid="client-delete-dialog">
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
    </Modal>
  );
}
