import { AppShell, Button, Center, Group, Kbd, Loader, NavLink, ScrollArea, Text, Title } from "@mantine/core";
import { IconBuildingSkyscraper, IconReceipt2, IconSearch, IconSettings } from "@tabler/icons-react";
import { useCallback, useState } from "react";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router";

import { commands } from "./api/commands";
import type { Account } from "./bindings/Account";
import { CommandPalette } from "./components/CommandPalette";
import { StatusBar } from "./components/StatusBar";
import { useCommand } from "./hooks/useCommand";
import { BillingPage } from "./pages/BillingPage";
import { ClientPage } from "./pages/ClientPage";
import { ClientsPage } from "./pages/ClientsPage";
import { SettingsPage } from "./pages/SettingsPage";
import { SignInPage } from "./pages/SignInPage";
import { AppStateProvider, type FirstSync } from "./state/AppState";

const MOD_KEY = typeof navigator !== "undefined" && /Mac/.test(navigator.platform) ? "⌘" : "Ctrl";

interface NavItem {
  path: string;
  label: string;
  icon: typeof IconSettings;
  testId: string;
}

// The seed's navigation: MSP > Clients, MSP > Billing, and Settings.
const MSP_ITEMS: NavItem[] = [
  { path: "/clients", label: "Clients", icon: IconBuildingSkyscraper, testId: "nav-clients" },
  { path: "/billing", label: "Billing", icon: IconReceipt2, testId: "nav-billing" },
];
const SETTINGS: NavItem = {
  path: "/settings",
  label: "Settings",
  icon: IconSettings,
  testId: "nav-settings",
};

function NavItemLink({ item }: { item: NavItem }) {
  const location = useLocation();
  const navigate = useNavigate();
  const Icon = item.icon;
  return (
    <NavLink
      label={item.label}
      leftSection={<Icon size={18} stroke={1.6} />}
      active={location.pathname.startsWith(item.path)}
      onClick={() => navigate(item.path)}
      data-testid={item.testId}
    />
  );
}

/** The signed-in window: navigation, the screens, and the status bar. */
export function Shell() {
  const [palette, setPalette] = useState(false);
  return (
    <AppShell
      header={{ height: 52 }}
      navbar={{ width: 220, breakpoint: 0 }}
      footer={{ height: 36 }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md">
          <Title order={4} data-testid="app-title">
            MSP Desk
          </Title>
          <Button
            variant="default"
            size="xs"
            ml="auto"
            leftSection={<IconSearch size={14} />}
            rightSection={<Kbd size="xs">{MOD_KEY}+K</Kbd>}
            onClick={() => setPalette(true)}
            data-testid="palette-open"
          >
            Search
          </Button>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="xs" data-testid="sidebar">
        <AppShell.Section grow component={ScrollArea}>
          <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="xs" pb={4}>
            MSP
          </Text>
          {MSP_ITEMS.map((item) => (
            <NavItemLink key={item.path} item={item} />
          ))}
        </AppShell.Section>
        <AppShell.Section>
          <NavItemLink item={SETTINGS} />
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main>
        <Routes>
          <Route path="/" element={<Navigate to="/clients" replace />} />
          <Route path="/clients" element={<ClientsPage />} />
          <Route path="/clients/:id" element={<ClientPage />} />
          <Route path="/billing" element={<BillingPage />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="*" element={<Navigate to="/clients" replace />} />
        </Routes>
      </AppShell.Main>

      <AppShell.Footer>
        <StatusBar />
      </AppShell.Footer>
      <CommandPalette opened={palette} setOpened={setPalette} />
    </AppShell>
  );
}

type SessionState =
  | { kind: "loading" }
  | { kind: "signed-out" }
  | { kind: "signed-in"; account: Account; firstSync: FirstSync };

/** The app: the sign-in screen until there is a session, then the shell. */
export function App() {
  // The stored session at start; then what signing in and out made of it.
  const stored = useCommand(() => commands.session().catch(() => null), []).data;
  const [changed, setChanged] = useState<SessionState | null>(null);
  const navigate = useNavigate();
  const state: SessionState =
    changed ??
    (stored === undefined
      ? { kind: "loading" }
      : stored
        ? { kind: "signed-in", account: stored, firstSync: null }
        : { kind: "signed-out" });

  const signedOut = useCallback(() => setChanged({ kind: "signed-out" }), []);
  const signedIn = useCallback(
    (account: Account, firstSync: FirstSync) => {
      setChanged({ kind: "signed-in", account, firstSync });
      navigate("/clients", { replace: true });
    },
    [navigate],
  );

  if (state.kind === "loading") {
    return (
      <Center mih="100vh" data-testid="app-loading">
        <Loader />
      </Center>
    );
  }
  if (state.kind === "signed-out") {
    return <SignInPage onSignedIn={signedIn} />;
  }
  return (
    <AppStateProvider
      key={state.account.email + state.account.server}
      initialAccount={state.account}
      firstSync={state.firstSync}
      onSignedOut={signedOut}
    >
      <Shell />
    </AppStateProvider>
  );
}
