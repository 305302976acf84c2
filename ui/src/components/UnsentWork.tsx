// Unsent work (drafts, conflicts, queued clients, kept notices) named before it could be lost:
// the sign-out dialog, and the notice on the sign-in page for work an earlier sign-out kept.
import { Alert, Button, Checkbox, Group, List, Modal, Stack, Text } from "@mantine/core";
import { IconAlertTriangle, IconDownload, IconLogout, IconRefresh, IconTrash } from "@tabler/icons-react";
import { useState } from "react";

import { commands, dialogs, errorMessage } from "../api/commands";
import type { SignOut } from "../bindings/SignOut";
import type { UnsentWork } from "../bindings/UnsentWork";

/** Every item, as the desk words it ("quotas draft of Acme GmbH"). */
export function UnsentList({ work, testId }: { work: UnsentWork; testId: string }) {
  return (
    <List size="sm" spacing={2} data-testid={testId}>
      {work.items.map((item, i) => (
        <List.Item key={`${item.kind}-${item.id}-${item.draft ?? ""}-${i}`}>{item.summary}</List.Item>
      ))}
    </List>
  );
}

/** One action at a time: which one runs, and what the last one said (a success or a failure). */
function useAction<K extends string>() {
  const [busy, setBusy] = useState<K | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  async function run(what: K, action: () => Promise<string | null | void>) {
    setBusy(what);
    setMessage(null);
    try {
      const text = await action();
      if (text) setMessage({ ok: true, text });
    } catch (e) {
      setMessage({ ok: false, text: errorMessage(e) });
    } finally {
      setBusy(null);
    }
  }
  return { busy, message, run };
}

/** Asks where to save, then writes the unsent work there; the message to show, or null if cancelled. */
async function exportWork(): Promise<string | null> {
  const today = new Date().toISOString().slice(0, 10);
  const path = await dialogs.saveFile(`MSP Desk unsent changes ${today}.json`, "json");
  if (!path) return null;
  const count = await commands.exportUnsent(path);
  return `${count} unsent change${count === 1 ? "" : "s"} written to ${path}.`;
}

/** "Discard": a second, explicit step that names how much is lost. */
function DiscardConfirm({
  count,
  busy,
  label,
  onDiscard,
}: {
  count: number;
  busy: boolean;
  label: string;
  onDiscard: () => void;
}) {
  const [sure, setSure] = useState(false);
  return (
    <Stack gap="xs">
      <Checkbox
        checked={sure}
        onChange={(e) => setSure(e.currentTarget.checked)}
        label={`I understand that ${count} unsent change${count === 1 ? "" : "s"} will be lost`}
        data-testid="unsent-discard-sure"
      />
      <Button
        color="red"
        variant="light"
        leftSection={<IconTrash size={16} />}
        disabled={!sure}
        loading={busy}
        onClick={onDiscard}
        data-testid="unsent-discard"
      >
        {label}
      </Button>
    </Stack>
  );
}

/**
 * Shown when signing out would lose unsent work: publish it first, export it, keep it for the
 * next sign-in to this account (the default), or discard it after a confirmation.
 */
export function SignOutDialog({
  work,
  onClose,
  onSignOut,
  onPublish,
}: {
  work: UnsentWork | null;
  onClose: () => void;
  onSignOut: (choice: SignOut) => Promise<void>;
  /** Syncs, then the caller looks at what is left. */
  onPublish: () => Promise<void>;
}) {
  const { busy, message, run } = useAction<"publish" | "export" | SignOut>();

  const count = work?.items.length ?? 0;
  return (
    <Modal opened={work !== null} onClose={onClose} title="Unsent changes" size="lg" data-testid="sign-out-dialog">
      {work && (
        <Stack>
          <Alert color="yellow" icon={<IconAlertTriangle size={18} />}>
            The Control Panel has not received {count === 1 ? "this change" : `these ${count} changes`} yet:
          </Alert>
          <UnsentList work={work} testId="sign-out-unsent" />
          {message && (
            <Alert color={message.ok ? "green" : "red"} data-testid="sign-out-message">
              {message.text}
            </Alert>
          )}
          <Group>
            <Button
              variant="light"
              leftSection={<IconRefresh size={16} />}
              loading={busy === "publish"}
              disabled={busy !== null}
              onClick={() => void run("publish", onPublish)}
              data-testid="sign-out-publish"
            >
              Publish now
            </Button>
            <Button
              variant="default"
              leftSection={<IconDownload size={16} />}
              loading={busy === "export"}
              disabled={busy !== null}
              onClick={() => void run("export", exportWork)}
              data-testid="sign-out-export"
            >
              Export…
            </Button>
          </Group>
          <Button
            leftSection={<IconLogout size={16} />}
            loading={busy === "keep_unsent"}
            disabled={busy !== null}
            onClick={() => void run("keep_unsent", () => onSignOut("keep_unsent"))}
            data-testid="sign-out-keep"
          >
            {count === 1 ? "Keep it here and sign out" : "Keep them here and sign out"}
          </Button>
          <Text size="xs" c="dimmed">
            Kept changes stay on this computer and are sent after the next sign-in as {work.email} to{" "}
            {work.server}. The tokens leave the keyring either way.
          </Text>
          <DiscardConfirm
            count={count}
            busy={busy === "discard_unsent"}
            label={`Discard ${count} change${count === 1 ? "" : "s"} and sign out`}
            onDiscard={() => void run("discard_unsent", () => onSignOut("discard_unsent"))}
          />
        </Stack>
      )}
    </Modal>
  );
}

/**
 * On the sign-in page: work an earlier sign-out kept, whose it is, and what can be done with it
 * without signing in (export, discard).
 */
export function KeptWorkNotice({ work, onDiscarded }: { work: UnsentWork; onDiscarded: () => void }) {
  const { busy, message, run } = useAction<"export" | "discard">();
  const [discarding, setDiscarding] = useState(false);

  const count = work.items.length;
  return (
    <Alert color="yellow" icon={<IconAlertTriangle size={18} />} title="Unsent changes are kept here" data-testid="kept-work">
      <Stack gap="xs">
        <Text size="sm">
          {count === 1 ? "1 change" : `${count} changes`} of {work.email} on {work.server}{" "}
          {count === 1 ? "was" : "were"} not sent. Sign in to that account to publish{" "}
          {count === 1 ? "it" : "them"}; another account can sign in once {count === 1 ? "it is" : "they are"}{" "}
          exported or discarded.
        </Text>
        <UnsentList work={work} testId="kept-work-items" />
        {message && (
          <Text size="sm" c={message.ok ? "green" : "red"} data-testid="kept-work-message">
            {message.text}
          </Text>
        )}
        <Group>
          <Button
            size="xs"
            variant="default"
            leftSection={<IconDownload size={14} />}
            loading={busy === "export"}
            onClick={() => void run("export", exportWork)}
            data-testid="kept-work-export"
          >
            Export…
          </Button>
          {!discarding && (
            <Button size="xs" variant="subtle" color="red" onClick={() => setDiscarding(true)} data-testid="kept-work-discard">
              Discard…
            </Button>
          )}
        </Group>
        {discarding && (
          <DiscardConfirm
            count={count}
            busy={busy === "discard"}
            label={`Discard ${count} change${count === 1 ? "" : "s"}`}
            onDiscard={() =>
              void run("discard", async () => {
                await commands.discardKeptWork();
                onDiscarded();
              })
            }
          />
        )}
      </Stack>
    </Alert>
  );
}
