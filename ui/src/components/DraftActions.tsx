import { Alert, Button, Group, Text } from "@mantine/core";
import { IconAlertTriangle, IconCheck } from "@tabler/icons-react";

import type { PublishOutcome } from "../bindings/PublishOutcome";

/** A draft tab whose publish and discard this module handles: its name shows in texts and test ids. */
export type DraftTab = "branding" | "catalog";

/** What happened to a draft, shown until the next edit. */
export type Notice = { color: string; text: string; testId: string } | null;

/** The notice after discarding `tab`'s draft. */
export function discardedNotice(tab: DraftTab): Notice {
  return { color: "blue", text: "The draft was discarded.", testId: `${tab}-discarded` };
}

/** The notice after publishing `tab`'s draft: published, or kept because the server changed. */
export function publishedNotice(tab: DraftTab, outcome: PublishOutcome): Notice {
  return outcome === "published"
    ? { color: "green", text: `The ${tab} was published.`, testId: `${tab}-published` }
    : {
        color: "orange",
        text: `The server's ${tab} changed since this draft was made, so it was not published. Your draft is kept: resolve the conflict, or discard the draft.`,
        testId: `${tab}-conflict`,
      };
}

/** Discard and Publish, side by side (Publish last, as the main action). */
export function DraftButtons({
  tab,
  busy,
  canDiscard,
  canPublish,
  onDiscard,
  onPublish,
}: {
  tab: DraftTab;
  /** The action in progress (any, when something else of the tab is busy: both are disabled). */
  busy: string | null;
  canDiscard: boolean;
  canPublish: boolean;
  onDiscard: () => void;
  onPublish: () => void;
}) {
  return (
    <Group gap="xs" justify="flex-end">
      <Button
        variant="subtle"
        color="red"
        onClick={onDiscard}
        disabled={!canDiscard || busy !== null}
        loading={busy === "discard"}
        data-testid={`${tab}-discard`}
      >
        Discard draft
      </Button>
      <Button
        onClick={onPublish}
        disabled={!canPublish || busy !== null}
        loading={busy === "publish"}
        data-testid={`${tab}-publish`}
      >
        Publish
      </Button>
    </Group>
  );
}

/** The draft's standing conflict with the server (with a way to resolve it), then the notice. */
export function DraftAlerts({
  tab,
  conflict,
  onOpenConflicts,
  notice,
}: {
  tab: DraftTab;
  conflict: boolean;
  onOpenConflicts?: () => void;
  notice: Notice;
}) {
  return (
    <>
      {conflict && (
        <Alert color="orange" icon={<IconAlertTriangle size={18} />} data-testid={`${tab}-conflict-info`}>
          <Group justify="space-between">
            <Text size="sm">The server's {tab} changed since your draft was made.</Text>
            {onOpenConflicts && (
              <Button size="xs" variant="light" color="orange" onClick={onOpenConflicts} data-testid={`${tab}-resolve`}>
                Resolve…
              </Button>
            )}
          </Group>
        </Alert>
      )}
      {notice && (
        <Alert
          color={notice.color}
          icon={notice.color === "green" ? <IconCheck size={18} /> : undefined}
          data-testid={notice.testId}
        >
          {notice.text}
        </Alert>
      )}
    </>
  );
}
