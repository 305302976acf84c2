// The command palette (Ctrl/Cmd+K): go to a client by name, New client, Sync now, Generate a
// report. Built on a Mantine Modal: @mantine/spotlight 9.7 wants @mantine/core 9.7 exactly.
import { Group, Kbd, Modal, Stack, Text, TextInput, UnstyledButton } from "@mantine/core";
import { useHotkeys } from "@mantine/hooks";
import {
  IconBuildingSkyscraper,
  IconPlus,
  IconReceipt2,
  IconRefresh,
  IconSearch,
} from "@tabler/icons-react";
import { useMemo, useState, type ReactNode } from "react";
import { useNavigate } from "react-router";

import { ALL_CLIENTS, commands } from "../api/commands";
import { useCommand } from "../hooks/useCommand";
import { useAppState } from "../state/AppState";

interface Action {
  id: string;
  label: string;
  hint?: string;
  icon: ReactNode;
  run: () => void;
}

/** Router state that asks a screen to act on arrival (from the palette). */
export interface PaletteIntent {
  intent?: "new-client" | "generate-report";
}

const MAX_CLIENTS = 8;

export function CommandPalette({
  opened,
  setOpened,
}: {
  opened: boolean;
  setOpened: (update: (opened: boolean) => boolean) => void;
}) {
  const navigate = useNavigate();
  const { syncNow } = useAppState();
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const clients = useCommand(() => commands.listClients(ALL_CLIENTS).catch(() => []), [], { enabled: opened }).data;

  useHotkeys([["mod+K", () => setOpened((o) => !o)]], []);

  // Each opening starts with an empty search.
  const [wasOpened, setWasOpened] = useState(opened);
  if (opened !== wasOpened) {
    setWasOpened(opened);
    if (opened) {
      setQuery("");
      setActive(0);
    }
  }

  const close = () => setOpened(() => false);

  const actions = useMemo<Action[]>(() => {
    const q = query.trim().toLowerCase();
    const fixed: Action[] = [
      {
        id: "new-client",
        label: "New client",
        icon: <IconPlus size={16} />,
        run: () => navigate("/clients", { state: { intent: "new-client" } satisfies PaletteIntent }),
      },
      { id: "sync", label: "Sync now", icon: <IconRefresh size={16} />, run: () => void syncNow() },
      {
        id: "report",
        label: "Generate a report",
        hint: "Billing, all clients, last full month",
        icon: <IconReceipt2 size={16} />,
        run: () => navigate("/billing", { state: { intent: "generate-report" } satisfies PaletteIntent }),
      },
    ].filter((a) => q === "" || a.label.toLowerCase().includes(q));
    const matching = (clients ?? [])
      .filter((c) => q !== "" && c.company_name.toLowerCase().includes(q))
      .slice(0, MAX_CLIENTS)
      .map<Action>((c) => ({
        id: `client-${c.id}`,
        label: c.company_name,
        hint: `Go to client · ${c.plan_name}`,
        icon: <IconBuildingSkyscraper size={16} />,
        run: () => navigate(`/clients/${c.id}`),
      }));
    return [...matching, ...fixed];
  }, [query, clients, navigate, syncNow]);

  const choose = (action: Action | undefined) => {
    if (!action) return;
    close();
    action.run();
  };

  return (
    <Modal
      opened={opened}
      onClose={close}
      withCloseButton={false}
      padding="sm"
      size="lg"
      yOffset="12vh"
      data-testid="palette"
      aria-label="Command palette"
    >
      <Stack gap="xs">
        <TextInput
          placeholder="Go to a client, or type a command…"
          leftSection={<IconSearch size={16} />}
          rightSection={<Kbd size="xs">Esc</Kbd>}
          value={query}
          onChange={(e) => {
            setQuery(e.currentTarget.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown") {
              e.preventDefault();
              setActive((a) => Math.min(a + 1, actions.length - 1));
            } else if (e.key === "ArrowUp") {
              e.preventDefault();
              setActive((a) => Math.max(a - 1, 0));
            } else if (e.key === "Enter") {
              e.preventDefault();
              choose(actions[active]);
            }
          }}
          data-autofocus
          aria-label="Search commands and clients"
          data-testid="palette-search"
        />
        <Stack gap={2} role="listbox" aria-label="Results">
          {actions.length === 0 && (
            <Text size="sm" c="dimmed" p="xs" data-testid="palette-empty">
              Nothing matches “{query}”.
            </Text>
          )}
          {actions.map((a, i) => (
            <UnstyledButton
              key={a.id}
              role="option"
              aria-selected={i === active}
              onClick={() => choose(a)}
              onMouseEnter={() => setActive(i)}
              p="xs"
              style={{
                borderRadius: "var(--mantine-radius-sm)",
                background: i === active ? "var(--mantine-color-default-hover)" : undefined,
              }}
              data-testid={`palette-item-${a.id}`}
            >
              <Group gap="sm" wrap="nowrap">
                {a.icon}
                <Text size="sm">{a.label}</Text>
                {a.hint && (
                  <Text size="xs" c="dimmed">
                    {a.hint}
                  </Text>
                )}
              </Group>
            </UnstyledButton>
          ))}
        </Stack>
      </Stack>
    </Modal>
  );
}
