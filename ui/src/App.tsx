import { AppShell, Group, NavLink, ScrollArea, Text, Title } from "@mantine/core";
import { IconBuildingSkyscraper, IconReceipt2, IconSettings } from "@tabler/icons-react";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router";

import { BillingPage } from "./pages/BillingPage";
import { ClientsPage } from "./pages/ClientsPage";
import { SettingsPage } from "./pages/SettingsPage";

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

export function App() {
  return (
    <AppShell header={{ height: 52 }} navbar={{ width: 220, breakpoint: 0 }} padding="lg">
      <AppShell.Header>
        <Group h="100%" px="md">
          <Title order={4} data-testid="app-title">
            MSP Desk
          </Title>
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
          <Route path="/billing" element={<BillingPage />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="*" element={<Navigate to="/clients" replace />} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}
