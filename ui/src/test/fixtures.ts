import type { Account } from "../bindings/Account";
import type { ClientDetail } from "../bindings/ClientDetail";
import type { ClientRow } from "../bindings/ClientRow";
import type { ComplianceStatus } from "../bindings/ComplianceStatus";
import type { Plan } from "../bindings/Plan";
import type { SyncSummary } from "../bindings/SyncSummary";

export const ACCOUNT: Account = {
  server: "https://cp.example.com",
  email: "ops@msp.example",
  msp_tenant: "t-msp",
  last_sync_at: "2026-11-28T10:00:00Z",
};

export function row(
  id: string,
  company_name: string,
  server_count: number,
  status: ComplianceStatus = "compliant",
  extra: Partial<ClientRow> = {},
): ClientRow {
  return {
    id,
    company_name,
    contact_email: `it@${id}.example`,
    plan_id: "basic",
    plan_name: "Basic",
    server_count,
    user_count: server_count * 2,
    compliance: { status, over: [], approaching: [] },
    monthly_total: { amount: `${server_count * 10}.00`, currency: "EUR" },
    drafts: [],
    conflicts: [],
    // As the desk would send them: every place 0 (tests that sort give their own), the
    // search text folded (here the names are plain ASCII, so lower-casing is the fold).
    order: { company_name: 0, servers: 0, users: 0, plan: 0, compliance: 0, monthly_total: 0 },
    search_text: `${company_name}\nit@${id}.example\nbasic\n${id}`.toLowerCase(),
    ...extra,
  };
}

/** Places in each column's order (as the desk computes them for these three rows). */
function places(company_name: number, servers: number, compliance: number) {
  return { company_name, servers, users: servers, plan: company_name, compliance, monthly_total: servers };
}

export const ROWS: ClientRow[] = [
  row("acme", "Acme Corp", 3, "compliant", { order: places(0, 0, 0) }),
  row("bolt", "Bolt Ltd", 12, "over_quota", { order: places(1, 2, 2) }),
  row("cobalt", "Cobalt GmbH", 7, "approaching", { drafts: ["quotas"], order: places(2, 1, 1) }),
];

export const PLANS: Plan[] = [
  {
    id: "basic",
    name: "Basic",
    license_fee_per_instance: "9.00",
    currency: "EUR",
    default_quotas: { max_servers: 5, max_users: 10, max_apps_per_server: 20, storage_quota_gb: 100 },
  },
  {
    id: "pro",
    name: "Pro",
    license_fee_per_instance: "19.00",
    currency: "EUR",
    default_quotas: { max_servers: 20, max_users: 50, max_apps_per_server: null, storage_quota_gb: 500 },
  },
];

export const SUMMARY: SyncSummary = {
  pushed: 0,
  conflicts: 0,
  failed: [],
  pages: 3,
  changes: 42,
  resynced: false,
  clients: 3,
  removed_clients: 0,
  notices: 0,
  rows: 120,
};

export function detail(extra: Partial<ClientDetail> = {}): ClientDetail {
  return {
    client: {
      id: "acme",
      company_name: "Acme Corp",
      contact_email: "it@acme.example",
      plan_id: "basic",
      plan_name: "Basic",
      quotas: { max_servers: 5, max_users: 10, max_apps_per_server: null, storage_quota_gb: 100 },
      usage: { servers: 4, users: 3, storage_gb: 120, busiest_server_apps: 7 },
      compliance: { status: "over_quota", over: ["storage_quota_gb"], approaching: ["max_servers"] },
      version: 3,
      created_at: "2026-01-02T03:04:05Z",
      updated_at: "2026-11-01T00:00:00Z",
    },
    quotas: { max_servers: 5, max_users: 10, max_apps_per_server: null, storage_quota_gb: 100 },
    compliance: { status: "over_quota", over: ["storage_quota_gb"], approaching: ["max_servers"] },
    servers: [
      {
        id: "s1",
        name: "web-1",
        provider: "hetzner",
        server_type: "cx22",
        storage_gb: 40,
        region: "fsn1",
        price: { hourly: "0.01", monthly: "4.50", currency: "EUR" },
        created_at: "2026-02-01T00:00:00Z",
        deleted_at: null,
      },
      {
        id: "s2",
        name: "old-db",
        provider: "digitalocean",
        server_type: "s-2vcpu",
        storage_gb: 80,
        region: null,
        price: { hourly: "0.02", monthly: "12.00", currency: "EUR" },
        created_at: "2026-01-05T00:00:00Z",
        deleted_at: "2026-03-01T00:00:00Z",
      },
    ],
    users: [
      {
        id: "u1",
        email: "ann@acme.example",
        name: "Ann",
        created_at: "2026-01-03T00:00:00Z",
        state: "active",
        invitation_expires_at: null,
      },
    ],
    catalog: { mode: "all", enabled: [] },
    branding: {
      company_name: null,
      logo_url: null,
      favicon_url: null,
      primary_color: null,
      secondary_color: null,
      accent_color: null,
      custom_domain: null,
      custom_css: null,
    },
    drafts: [],
    conflicts: [],
    monthly_total: { amount: "45.10", currency: "EUR" },
    ...extra,
  };
}
