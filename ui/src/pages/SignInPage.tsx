import {
  Alert,
  Autocomplete,
  Button,
  Center,
  Paper,
  PasswordInput,
  Progress as ProgressBar,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { IconAlertTriangle, IconLock } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";

import { commands, errorMessage, fieldErrors, toCommandError } from "../api/commands";
import type { Account } from "../bindings/Account";
import type { Progress } from "../bindings/Progress";
import { KeptWorkNotice } from "../components/UnsentWork";
import { useCommand } from "../hooks/useCommand";
import type { FirstSync } from "../state/AppState";

const SERVERS_KEY = "mspdesk.servers";
const MAX_SERVERS = 5;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function rememberedServers(): string[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(SERVERS_KEY) ?? "[]");
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === "string") : [];
  } catch {
    return [];
  }
}

export function rememberServer(server: string) {
  const list = [server, ...rememberedServers().filter((s) => s !== server)].slice(0, MAX_SERVERS);
  localStorage.setItem(SERVERS_KEY, JSON.stringify(list));
}

export type ServerCheck =
  | { ok: true; insecure: boolean }
  | { ok: false; message: string };

/** https:// anywhere; http:// only for this computer (loopback), with a warning. */
export function checkServerUrl(value: string): ServerCheck {
  const text = value.trim();
  if (text === "") return { ok: false, message: "Enter the address of your Control Panel." };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: "Enter a full address, such as https://cp.example.com." };
  }
  if (url.protocol === "https:") return { ok: true, insecure: false };
  if (url.protocol === "http:") {
    if (LOOPBACK.has(url.hostname)) return { ok: true, insecure: true };
    return {
      ok: false,
      message:
        "An http:// address is only allowed for a server on this computer (localhost). Use https:// for a remote server.",
    };
  }
  return { ok: false, message: "The address must start with https://." };
}

type Phase =
  | { kind: "form" }
  | { kind: "signing-in" }
  | { kind: "syncing"; progress: Progress | null };

export function SignInPage({
  onSignedIn,
}: {
  onSignedIn: (account: Account, firstSync: FirstSync) => void;
}) {
  /** What the user typed; until then the app's default server, else the last one used. */
  const [typedServer, setServer] = useState<string | null>(null);
  const [typedEmail, setEmail] = useState<string | null>(null);
  const [password, setPassword] = useState("");
  const [touchedServer, setTouchedServer] = useState(false);
  const [phase, setPhase] = useState<Phase>({ kind: "form" });
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [servers] = useState(rememberedServers);

  const defaultServer = useCommand(() => commands.defaultServer().catch(() => null), []).data;
  // Work kept by an earlier sign-out: its account and server are the ones to sign in to.
  const kept = useCommand(() => commands.unsentWork().catch(() => null), [], { followDataVersion: false });
  const keptWork = kept.data && kept.data.items.length > 0 ? kept.data : null;
  const server =
    typedServer ??
    keptWork?.server ??
    (defaultServer === undefined ? "" : defaultServer || servers[0] || "");
  const email = typedEmail ?? keptWork?.email ?? "";

  const check = checkServerUrl(server);
  const serverError =
    fields.server ?? (touchedServer && !check.ok ? check.message : undefined);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTouchedServer(true);
    setError(null);
    const local: Record<string, string> = {};
    if (!check.ok) local.server = check.message;
    if (email.trim() === "") local.email = "Enter your e-mail address.";
    if (password === "") local.password = "Enter your password.";
    setFields(local);
    if (Object.keys(local).length > 0) return;

    setPhase({ kind: "signing-in" });
    let account: Account;
    try {
      account = await commands.signIn(server.trim(), email.trim(), password);
    } catch (e) {
      setFields(fieldErrors(e));
      setError(errorMessage(e));
      setPhase({ kind: "form" });
      return;
    }
    rememberServer(server.trim());
    setPhase({ kind: "syncing", progress: null });
    try {
      const summary = await commands.syncNow((progress) =>
        setPhase({ kind: "syncing", progress }),
      );
      // The account again: it now carries the time of this first sync.
      const synced = await commands.session().catch(() => null);
      onSignedIn(synced ?? account, { summary });
    } catch (e) {
      onSignedIn(account, { error: toCommandError(e) });
    }
  }

  const busy = phase.kind !== "form";

  return (
    <Center mih="100vh" p="md" data-testid="page-signin">
      <Paper withBorder shadow="sm" p="xl" w={440} maw="100%">
        <form onSubmit={submit} noValidate>
          <Stack>
            <Stack gap={2}>
              <Title order={2}>MSP Desk</Title>
              <Text c="dimmed" size="sm">
                Sign in to your Control Panel.
              </Text>
            </Stack>

            {keptWork && <KeptWorkNotice work={keptWork} onDiscarded={kept.reload} />}

            {error && (
              <Alert
                color="red"
                icon={<IconAlertTriangle size={18} />}
                title="Could not sign in"
                data-testid="signin-error"
              >
                {error}
              </Alert>
            )}

            <Autocomplete
              label="Server"
              placeholder="https://cp.example.com"
              data={servers}
              value={server}
              onChange={(v) => {
                setServer(v);
                setFields(({ server: _drop, ...rest }) => rest);
              }}
              onBlur={() => setTouchedServer(true)}
              error={serverError}
              disabled={busy}
              required
              data-testid="signin-server"
            />
            {check.ok && check.insecure && (
              <Alert
                color="yellow"
                icon={<IconAlertTriangle size={18} />}
                data-testid="signin-http-warning"
              >
                This address is not encrypted (http://). That is fine for a server on this
                computer, such as the demo server; use https:// for anything else.
              </Alert>
            )}
            <TextInput
              label="E-mail"
              type="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              error={fields.email}
              disabled={busy}
              required
              data-testid="signin-email"
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={fields.password}
              disabled={busy}
              required
              data-testid="signin-password"
            />
            <Button
              type="submit"
              leftSection={<IconLock size={16} />}
              loading={phase.kind === "signing-in"}
              disabled={phase.kind === "syncing"}
              data-testid="signin-submit"
            >
              Sign in
            </Button>

            {phase.kind === "syncing" && (
              <Stack gap={4} data-testid="sync-progress">
                <Text size="sm" fw={500}>
                  Fetching your clients…
                </Text>
                <ProgressBar value={100} animated striped aria-label="First sync" />
                <Text size="xs" c="dimmed" data-testid="sync-progress-text">
                  {phase.progress
                    ? `${phase.progress.pages} pages, ${phase.progress.rows} changes — ${phase.progress.step}`
                    : "Starting…"}
                </Text>
              </Stack>
            )}
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
