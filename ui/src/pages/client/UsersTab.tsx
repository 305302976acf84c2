import { ActionIcon, Alert, Badge, Button, Code, CopyButton, Group, Stack, Table, Text, Tooltip } from "@mantine/core";
import { IconCheck, IconCopy, IconLockOpen, IconMailForward } from "@tabler/icons-react";
import { useState } from "react";

import { commands, errorMessage } from "../../api/commands";
import type { ClientDetail } from "../../bindings/ClientDetail";
import type { Invitation } from "../../bindings/Invitation";
import type { User } from "../../bindings/User";
import { formatDate, formatDateTime } from "../../format";

/** Who can sign in to the client's portal, and one-time links to let them in. */
export function UsersTab({ detail, onChanged }: { detail: ClientDetail; onChanged: () => void }) {
  const [invitation, setInvitation] = useState<Invitation | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [unlocked, setUnlocked] = useState<string | null>(null);

  if (detail.users.length === 0) {
    return (
      <Text c="dimmed" py="md" data-testid="users-empty">
        This client has no users.
      </Text>
    );
  }

  async function invite(user: User) {
    setBusy(user.id);
    setError(null);
    try {
      setInvitation(await commands.inviteUser(detail.client.id, user.id));
      onChanged();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  async function unlock(user: User) {
    setBusy(`unlock-${user.id}`);
    setError(null);
    setUnlocked(null);
    try {
      await commands.clearSignInLock(detail.client.id, user.id);
      setUnlocked(user.email);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  const invitedUser = invitation ? detail.users.find((u) => u.id === invitation.user_id) : undefined;
  return (
    <Stack gap="sm">
      {unlocked && (
        <Alert color="green" data-testid="users-unlocked" withCloseButton onClose={() => setUnlocked(null)}>
          {unlocked} can sign in to the portal again at once.
        </Alert>
      )}
      {error && (
        <Alert color="red" data-testid="users-invite-error" withCloseButton onClose={() => setError(null)}>
          {error}
        </Alert>
      )}
      {invitation && (
        <Alert
          color="blue"
          title={`Portal link for ${invitedUser?.name ?? "the user"}`}
          data-testid="users-invitation"
          withCloseButton
          onClose={() => setInvitation(null)}
        >
          <Stack gap={6}>
            <Text size="sm">
              Send this link to {invitedUser?.email ?? "the user"}. It works once, until{" "}
              {formatDateTime(invitation.expires_at)}, and replaces any earlier link.
            </Text>
            <Group gap="xs" wrap="nowrap">
              <Code data-testid="users-invitation-url" style={{ overflowWrap: "anywhere" }}>
                {invitation.url}
              </Code>
              <CopyButton value={invitation.url}>
                {({ copied, copy }) => (
                  <Tooltip label={copied ? "Copied" : "Copy the link"}>
                    <ActionIcon variant="subtle" onClick={copy} aria-label="Copy the link" data-testid="users-invitation-copy">
                      {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                    </ActionIcon>
                  </Tooltip>
                )}
              </CopyButton>
            </Group>
          </Stack>
        </Alert>
      )}
      <Table striped data-testid="users-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>E-mail</Table.Th>
            <Table.Th>Portal</Table.Th>
            <Table.Th>Since</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {detail.users.map((u) => (
            <Table.Tr key={u.id} data-testid={`user-row-${u.id}`}>
              <Table.Td>{u.name}</Table.Td>
              <Table.Td>{u.email}</Table.Td>
              <Table.Td>
                <PortalState user={u} />
              </Table.Td>
              <Table.Td>{formatDate(u.created_at)}</Table.Td>
              <Table.Td ta="right">
                {u.state === "active" && (
                  <Tooltip label="Lets the user sign in at once after failed guesses (from any address)">
                    <Button
                      size="compact-xs"
                      variant="subtle"
                      mr="xs"
                      leftSection={<IconLockOpen size={14} />}
                      loading={busy === `unlock-${u.id}`}
                      disabled={busy !== null}
                      onClick={() => void unlock(u)}
                      data-testid={`user-unlock-${u.id}`}
                    >
                      Clear sign-in lock
                    </Button>
                  </Tooltip>
                )}
                <Button
                  size="compact-xs"
                  variant="light"
                  leftSection={<IconMailForward size={14} />}
                  loading={busy === u.id}
                  disabled={busy !== null}
                  onClick={() => void invite(u)}
                  data-testid={`user-invite-${u.id}`}
                >
                  {u.state === "active" ? "Reset link" : u.state === "invited" ? "New link" : "Invite"}
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function PortalState({ user }: { user: User }) {
  switch (user.state) {
    case "active":
      return (
        <Badge color="green" variant="light" data-testid={`user-state-${user.id}`}>
          Active
        </Badge>
      );
    case "invited":
      return (
        <Tooltip
          label={user.invitation_expires_at ? `Link valid until ${formatDateTime(user.invitation_expires_at)}` : "Link sent"}
        >
          <Badge color="yellow" variant="light" data-testid={`user-state-${user.id}`}>
            Invited
          </Badge>
        </Tooltip>
      );
    default:
      return (
        <Badge color="gray" variant="light" data-testid={`user-state-${user.id}`}>
          No access
        </Badge>
      );
  }
}
