// How a command's result is shown, everywhere: a spinner with what is loading, the error with
// "Try again", or the data. Test ids: `<testId>-loading`, `<testId>-error`, `<testId>-retry`.
import { Alert, Button, Group, Loader, Stack, Text } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import type { ReactNode } from "react";

import type { CommandError } from "../api/commands";
import type { Command } from "../hooks/useCommand";

/** How a failure reads: a title, the message (else the error's own), a colour (else red). */
export interface Failure {
  title?: string;
  message?: string;
  color?: string;
}

const SIZES = {
  /** The whole page waits. */
  page: { py: "xl", gap: "md", loader: "md", text: "md", justify: "center" },
  /** A tab or a panel waits. */
  section: { py: "md", gap: "md", loader: "sm", text: "sm", justify: "center" },
  /** One field of a form waits. */
  inline: { py: 0, gap: "xs", loader: "xs", text: "sm", justify: "flex-start" },
} as const;

export function CommandResult<T>({
  command,
  testId,
  errorTestId = `${testId}-error`,
  loading,
  failure,
  size = "section",
  children,
}: {
  command: Command<T>;
  testId: string;
  /** When `<testId>-error` is taken by something else. */
  errorTestId?: string;
  /** What is loading, beside the spinner: "Loading the client…". */
  loading: string;
  /** The failure's title ("Could not load the client"), or how a given error reads. */
  failure: string | ((error: CommandError) => Failure);
  size?: keyof typeof SIZES;
  children: (data: T) => ReactNode;
}) {
  if (command.error) {
    const shown = typeof failure === "string" ? { title: failure } : failure(command.error);
    return (
      <Alert
        color={shown.color ?? "red"}
        icon={<IconAlertTriangle size={18} />}
        title={shown.title}
        data-testid={errorTestId}
      >
        <Stack gap="xs" align="flex-start">
          <Text size="sm">{shown.message ?? command.error.message}</Text>
          <Button size="xs" variant="light" onClick={command.reload} data-testid={`${testId}-retry`}>
            Try again
          </Button>
        </Stack>
      </Alert>
    );
  }
  if (command.data === undefined) {
    const s = SIZES[size];
    return (
      <Group justify={s.justify} gap={s.gap} py={s.py} data-testid={`${testId}-loading`}>
        <Loader size={s.loader} />
        <Text size={s.text}>{loading}</Text>
      </Group>
    );
  }
  return <>{children(command.data)}</>;
}
