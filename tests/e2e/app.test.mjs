// The real app, driven as a user would: the built binary through tauri-driver, signed in to a
// real Control Panel (with the demo MSP) whose tokens land in the real keyring.
//
// Started by `cargo xtask test`, which provides (as environment variables):
//   TAURI_DRIVER_PORT   where tauri-driver listens
//   MSPDESK_APP         the built binary
//   MSPDESK_DATA_HOME   the XDG_DATA_HOME the app runs with (a fresh folder)
//   MSPDESK_SCREENSHOTS where to save screenshots
//   MSPDESK_E2E_SERVER  the Control Panel (the app's sign-in form is prefilled with it)
//   MSPDESK_E2E_SAVE_DIR where the app's save dialog answers (debug builds) that exports go
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createConnection, createServer } from "node:net";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { remote } from "webdriverio";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests with \`cargo xtask test\``);
  return value;
};

const IDENTIFIER = "io.mspdesk.desktop";
const DEMO_EMAIL = "admin@demo-msp.example";
const DEMO_PASSWORD = "demo-password-2026";
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The version in the workspace's Cargo.toml: what the Rust command must report. */
function cargoVersion() {
  const toml = readFileSync(join(repoRoot, "Cargo.toml"), "utf8");
  const section = toml.split("[workspace.package]")[1] ?? "";
  const match = section.match(/^version\s*=\s*"([^"]+)"/m);
  assert.ok(match, "no version in [workspace.package] of Cargo.toml");
  return match[1];
}

/** The Control Panel's API, as an operator or a client (not through the app). */
async function api(path, { method = "GET", token, body } = {}) {
  const response = await fetch(`${env("MSPDESK_E2E_SERVER")}/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function operatorToken() {
  const login = await api("/auth/login", {
    method: "POST",
    body: { email: DEMO_EMAIL, password: DEMO_PASSWORD },
  });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return login.body.token;
}

/**
 * A TCP proxy in front of the Control Panel that the test can take offline (refusing new
 * connections and cutting open ones) and bring back: the app signs in through it.
 */
function startProxy(upstream) {
  const target = new URL(upstream);
  const sockets = new Set();
  const proxy = { online: true, url: "" };
  const server = createServer((client) => {
    if (!proxy.online) {
      client.destroy();
      return;
    }
    const up = createConnection(Number(target.port), target.hostname);
    for (const s of [client, up]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(up).pipe(client);
  });
  proxy.setOnline = (online) => {
    proxy.online = online;
    if (!online) for (const s of sockets) s.destroy();
  };
  proxy.close = () => new Promise((done) => server.close(done));
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      proxy.url = `http://127.0.0.1:${server.address().port}`;
      resolve(proxy);
    }),
  );
}

describe("MSP Desk window", () => {
  let browser;
  let proxy;

  before(async () => {
    proxy = await startProxy(env("MSPDESK_E2E_SERVER"));
    browser = await remote({
      hostname: "127.0.0.1",
      port: Number(env("TAURI_DRIVER_PORT")),
      logLevel: "warn",
      capabilities: {
        browserName: "wry",
        "wdio:enforceWebDriverClassic": true,
        "tauri:options": { application: env("MSPDESK_APP") },
      },
    });
  });

  after(async () => {
    await browser?.deleteSession();
    await proxy?.close();
  });

  async function byTestId(id, timeout = 15000) {
    const el = await browser.$(`[data-testid="${id}"]`);
    await el.waitForDisplayed({ timeout });
    return el;
  }

  /** Replaces an input's text as a user would (select all, type): React sees every key. */
  async function setValue(id, value) {
    const el = await byTestId(id);
    await el.click();
    await browser.keys(["Control", "a"]);
    await browser.keys(["Backspace"]);
    await el.addValue(value);
    if ((await el.getValue()) !== value) {
      throw new Error(`${id} holds ${await el.getValue()}, not ${value}`);
    }
  }

  async function screenshot(name) {
    // WebKitGTK paints a moment after the DOM changes.
    await browser.pause(400);
    const png = await browser.takeScreenshot();
    writeFileSync(join(env("MSPDESK_SCREENSHOTS"), `${name}.png`), png, "base64");
  }

  /** The text an element holds (textContent: WebKitGTK's WebDriver leaves out text that CSS
   * truncates with an ellipsis, though it is on screen). */
  async function textOf(id) {
    await byTestId(id);
    return browser.execute(
      (testId) => document.querySelector(`[data-testid="${testId}"]`)?.textContent ?? "",
      id,
    );
  }

  async function waitForText(id, pattern, timeout = 20000) {
    const el = await byTestId(id, timeout);
    await browser.waitUntil(async () => pattern.test(await textOf(id)), {
      timeout,
      timeoutMsg: `${id} never matched ${pattern}`,
    });
    return el;
  }

  /** Opens the client whose name `search` finds (through the list, as a user would); its record. */
  async function openClient(search, token) {
    const client = (await api(`/clients?q=${encodeURIComponent(search)}`, { token })).body.items[0];
    await (await byTestId("nav-clients")).click();
    // (The row's first cell: WebKitGTK's WebDriver does not click a table row itself.)
    await byTestId(`client-row-${client.id}`);
    await (await browser.$(`[data-testid="client-row-${client.id}"] td`)).click();
    await byTestId("page-client");
    return client;
  }

  it("opens on the sign-in form, prefilled with the local Control Panel", async () => {
    assert.equal(await browser.getTitle(), "MSP Desk");
    await byTestId("page-signin");
    const server = await byTestId("signin-server");
    assert.equal(await server.getValue(), env("MSPDESK_E2E_SERVER"));
    // A loopback http:// server is accepted, with a visible warning.
    await byTestId("signin-http-warning");
    await screenshot("sign-in");
  });

  it("signs in, syncs at once, and lists the demo clients", async () => {
    // Through the test's proxy, so that a later step can take the server away.
    await setValue("signin-server", proxy.url);
    await setValue("signin-email", DEMO_EMAIL);
    await setValue("signin-password", DEMO_PASSWORD);
    await (await byTestId("signin-submit")).click();
    await byTestId("page-clients", 30000);
    await browser.waitUntil(
      async () => (await browser.$$('[data-testid^="client-row-"]')).length === 3,
      { timeout: 30000, timeoutMsg: "the three demo clients never showed" },
    );
    await screenshot("clients");
    const text = await textOf("page-clients");
    for (const name of ["Müller GmbH", "Łódź Hosting", "Société Générale"]) {
      assert.match(text, new RegExp(name));
    }
    await byTestId("status-online");
  });

  it("adds a client and sees it in the list and on the server", async () => {
    await (await byTestId("add-client")).click();
    await byTestId("add-client-dialog");
    await setValue("add-client-name", "E2E Kunde GmbH");
    await setValue("add-client-email", "it@e2e-kunde.example");
    await (await byTestId("add-client-submit")).click();
    await browser.waitUntil(
      async () => /E2E Kunde GmbH/.test(await textOf("page-clients")),
      { timeout: 20000, timeoutMsg: "the new client never showed in the list" },
    );
    const token = await operatorToken();
    const found = await api(`/clients?q=${encodeURIComponent("E2E Kunde")}`, { token });
    assert.equal(found.body.items.length, 1);
  });

  it("sets a quota of one server, publishes it, and shows the client at quota", async () => {
    const token = await operatorToken();
    const client = await openClient("E2E Kunde", token);
    await screenshot("client-overview");

    await (await byTestId("tab-quotas")).click();
    await setValue("quotas-quota-max_servers", "1");
    await (await byTestId("quotas-save")).click();
    await byTestId("quotas-draft-badge");
    await (await byTestId("quotas-publish")).click();
    await browser.waitUntil(
      async () => (await api(`/clients/${client.id}`, { token })).body.quotas.max_servers === 1,
      { timeout: 20000, timeoutMsg: "the quota never reached the server" },
    );
    await screenshot("client-quotas");

    // Two servers registered with the client's own token: the quota admits one.
    const clientToken = (await api(`/clients/${client.id}/token`, { method: "POST", token })).body
      .token;
    const server = (name) => ({
      name,
      provider: "hetzner",
      server_type: "cx22",
      storage_gb: 10,
    });
    const first = await api("/servers", { method: "POST", token: clientToken, body: server("e2e-1") });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await api("/servers", {
      method: "POST",
      token: clientToken,
      body: server("e2e-2"),
    });
    assert.equal(second.status, 409);
    assert.equal(second.body.code, "quota_exceeded");

    // Sync in the app: the overview shows one of one.
    await (await byTestId("sync-now")).click();
    await (await byTestId("tab-overview")).click();
    await waitForText("usage-max_servers-label", /1\s*\/\s*1/);
  });

  it("switches an app off in the catalog, publishes, and the server refuses it", async () => {
    const token = await operatorToken();
    const muller = await openClient("Müller", token);
    await (await byTestId("tab-catalog")).click();
    // (The switch's input is visually hidden: click it through the page.)
    const toggle = await browser.$('[data-testid="catalog-toggle-wordpress"]');
    await toggle.waitForExist({ timeout: 15000 });
    await browser.execute((el) => el.click(), toggle);
    await byTestId("catalog-draft-badge");
    await byTestId("catalog-diff");
    await screenshot("client-catalog");
    await (await byTestId("catalog-publish")).click();
    await byTestId("catalog-published");

    const clientToken = (await api(`/clients/${muller.id}/token`, { method: "POST", token })).body
      .token;
    const servers = (await api("/servers", { token: clientToken })).body.items;
    const live = servers.find((s) => !s.deleted_at);
    const refused = await api(`/servers/${live.id}/apps`, {
      method: "POST",
      token: clientToken,
      body: { template_id: "wordpress" },
    });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.code, "not_in_catalog");
  });

  it("keeps a quota draft offline, shows it pending, and publishes it once back online", async () => {
    const token = await operatorToken();
    const societe = await openClient("Société", token);

    proxy.setOnline(false);
    await (await byTestId("tab-quotas")).click();
    // Its users are unlimited: switch that off first (the switch's input is visually hidden).
    const unlimited = await browser.$('[data-testid="quotas-unlimited-max_users"]');
    await unlimited.waitForExist({ timeout: 15000 });
    await browser.execute((el) => el.click(), unlimited);
    await setValue("quotas-quota-max_users", "40");
    await (await byTestId("quotas-save")).click();
    await byTestId("quotas-draft-badge");
    await (await byTestId("sync-now")).click();
    await byTestId("status-offline", 30000);
    await waitForText("status-drafts", /Drafts:\s*1$/);

    proxy.setOnline(true);
    await (await byTestId("sync-now")).click();
    await byTestId("status-online", 30000);
    await browser.waitUntil(
      async () => (await api(`/clients/${societe.id}`, { token })).body.quotas.max_users === 40,
      { timeout: 20000, timeoutMsg: "the offline draft never reached the server" },
    );
    await waitForText("status-drafts", /Drafts:\s*0$/);
  });

  it("shows a conflict side by side and keeps the draft when asked", async () => {
    const token = await operatorToken();
    const societe = (await api(`/clients?q=${encodeURIComponent("Société")}`, { token })).body
      .items[0];
    // A draft here, and meanwhile another change of the same quota on the server.
    await setValue("quotas-quota-max_users", "45");
    await (await byTestId("quotas-save")).click();
    await byTestId("quotas-draft-badge");
    const current = (await api(`/clients/${societe.id}`, { token })).body;
    const changed = await fetch(`${env("MSPDESK_E2E_SERVER")}/api/v1/clients/${societe.id}/quotas`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "if-match": `"${current.version}"`,
      },
      body: JSON.stringify({ ...current.quotas, max_users: 50 }),
    });
    assert.equal(changed.status, 200, await changed.text());

    await (await byTestId("sync-now")).click();
    await waitForText("status-conflicts", /Conflicts:\s*1$/, 30000);
    await (await byTestId("status-conflicts")).click();
    await byTestId("conflicts-dialog");
    const row = await textOf("conflict-field-max_users");
    assert.match(row, /50/);
    assert.match(row, /45/);
    await screenshot("sync-conflict");
    await (await byTestId("conflict-keep-mine")).click();
    await browser.waitUntil(
      async () => (await api(`/clients/${societe.id}`, { token })).body.quotas.max_users === 45,
      { timeout: 20000, timeoutMsg: "keeping the draft never reached the server" },
    );
    await browser.keys(["Escape"]);
  });

  it("drafts branding offline with a live preview, shows a CSS error at its line, and publishes", async () => {
    const token = await operatorToken();
    const lodz = await openClient("Łódź", token);
    await (await byTestId("tab-branding")).click();
    await byTestId("branding-panel");

    proxy.setOnline(false);
    const srcdoc = () =>
      browser.execute(
        () => document.querySelector('[data-testid="branding-preview"]')?.getAttribute("srcdoc") ?? "",
      );
    const sandbox = await browser.execute(
      () => document.querySelector('[data-testid="branding-preview"]')?.getAttribute("sandbox"),
    );
    assert.equal(sandbox, "", "the preview frame is sandboxed without allow-scripts or allow-same-origin");

    await setValue("branding-company", "Łódź Hosting");
    // A bright yellow under white text: accepted, with a contrast warning and a suggestion.
    await setValue("branding-primary", "#FFD700");
    await browser.keys(["Tab"]);
    await browser.waitUntil(async () => (await srcdoc()).includes("--brand-primary:#FFD700"), {
      timeout: 15000,
      timeoutMsg: "the preview never showed the typed colour",
    });
    await waitForText("branding-warning-primary_color", /4\.5:1/);

    // A sheet whose second line imports a remote sheet: refused at its line, offline.
    const editor = await browser.$('[data-testid="branding-css"] .cm-content');
    await editor.waitForExist({ timeout: 15000 });
    await editor.click();
    await browser.keys(["Control", "a"]);
    await browser.keys(["Backspace"]);
    // (WebKitGTK's WebDriver can drop the second of two equal keys: no double letters here.)
    await browser.keys(".portal-title { font-size: 23px; }");
    await browser.keys(["Enter"]);
    await browser.keys("@import url(/x.css);");
    // The position is said once, as the desk words it.
    await waitForText("branding-css-errors", /^line 2, column 1: (?![^]*line 2)/);
    await waitForText("branding-save-state", /fix the errors/i);
    // Fix it: the error goes, the draft is saved and the preview carries the scoped rule.
    await browser.keys(["Control", "a"]);
    await browser.keys(["Backspace"]);
    await browser.keys(".portal-title { font-size: 23px; }");
    await browser.waitUntil(async () => (await srcdoc()).includes("font-size: 23px"), {
      timeout: 15000,
      timeoutMsg: "the preview never showed the scoped custom CSS",
    });
    // A logo from a file (the native dialog is answered by MSPDESK_E2E_LOGO_FILE: an SVG).
    await (await byTestId("branding-logo-choose")).click();
    await byTestId("branding-logo-thumb");
    await browser.waitUntil(async () => (await srcdoc()).includes('src="data:image/png;base64,'), {
      timeout: 15000,
      timeoutMsg: "the preview never showed the chosen logo",
    });
    await byTestId("branding-draft-badge");
    // Its top (the Publish row) clear of the app's fixed header.
    await browser.execute(() => {
      const panel = document.querySelector('[data-testid="branding-panel"]');
      if (panel) {
        panel.style.scrollMarginTop = "64px";
        panel.scrollIntoView({ block: "start" });
      }
    });
    await screenshot("client-branding");
    // (The segmented control's radio inputs are visually hidden: click through the page.)
    await browser.execute(() =>
      document.querySelector('[data-testid="preview-theme"] input[value="dark"]')?.click(),
    );
    await browser.waitUntil(async () => (await srcdoc()).includes('class="mspdesk-portal theme-dark"'), {
      timeout: 15000,
      timeoutMsg: "the preview never turned dark",
    });
    await screenshot("client-branding-dark");

    proxy.setOnline(true);
    await (await byTestId("branding-publish")).click();
    try {
      await byTestId("branding-published", 30000);
    } catch (e) {
      await screenshot("failed-branding-publish");
      throw e;
    }
    const clientToken = (await api(`/clients/${lodz.id}/token`, { method: "POST", token })).body
      .token;
    const branding = (await api("/branding", { token: clientToken })).body;
    assert.equal(branding.primary_color, "#FFD700");
    assert.equal(branding.company_name, "Łódź Hosting");
    assert.match(branding.custom_css, /\.mspdesk-portal \.portal-title/);
    assert.match(branding.logo_url, new RegExp(`/public/assets/${lodz.id}/logo`));
    assert.ok(
      branding.warnings.some((w) => w.field === "primary_color" && w.ratio < 4.5),
      JSON.stringify(branding.warnings),
    );
  });

  it("generates last month's report and exports CSV and PDF that agree with the screen", async () => {
    await (await byTestId("nav-billing")).click();
    await byTestId("page-billing");
    assert.equal(await (await browser.$('[data-testid="page-clients"]')).isExisting(), false);
    await (await byTestId("billing-generate")).click();
    await byTestId("billing-table", 20000);
    const screenTotal = (await textOf("billing-total-amount")).trim();
    assert.match(screenTotal, /^\d[\d,]*\.\d{2} EUR$/);
    await screenshot("billing");

    // The OS's save dialog cannot be clicked from here: the debug build answers it with a
    // path in MSPDESK_E2E_SAVE_DIR (set by `cargo xtask test`).
    const dir = env("MSPDESK_E2E_SAVE_DIR");
    // The page's default period: the last full month, in UTC like the app's periods.
    const now = new Date();
    const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    const period = `${last.getUTCFullYear()}-${String(last.getUTCMonth() + 1).padStart(2, "0")}`;
    async function exportAs(format) {
      // Named by the desk after the MSP that issues it (not the server's host).
      const path = join(dir, `Demo MSP - billing ${period} - all clients.${format}`);
      await (await byTestId(`billing-export-${format}`)).click();
      // The result names this file (not the previous export's).
      await waitForText("billing-exported", new RegExp(`all clients\\.${format}`));
      await byTestId("billing-open");
      await browser.waitUntil(() => existsSync(path), { timeout: 10000, timeoutMsg: `${path} never appeared` });
      return path;
    }
    const amount = screenTotal.replace(/ EUR$/, "").replaceAll(",", "");
    const csv = readFileSync(await exportAs("csv"), "utf8");
    const totalRow = csv.split(/\r?\n/).find((line) => line.includes(",TOTAL,"));
    assert.ok(totalRow, csv);
    const header = csv.split(/\r?\n/)[0].split(",");
    assert.equal(totalRow.split(",")[header.indexOf("total")], amount, "the CSV's grand total is the screen's");
    assert.equal(totalRow.split(",")[header.indexOf("issuer")], "Demo MSP", "the CSV names its issuer");
    const pdf = await exportAs("pdf");
    const text = execFileSync("pdftotext", ["-layout", pdf, "-"], { encoding: "utf8" });
    const grand = text.split("\n").find((line) => line.includes("Grand total"));
    assert.ok(grand && grand.includes(screenTotal.replace(/ EUR$/, "")), grand);
    assert.match(text, /Demo MSP/, "the PDF names the MSP that issues it");
    assert.doesNotMatch(text, /127\.0\.0\.1/);

    await (await byTestId("nav-clients")).click();
    await byTestId("page-clients");
  });

  it("opens the command palette with Ctrl+K", async () => {
    await browser.keys(["Control", "k"]);
    await byTestId("palette");
    await screenshot("palette");
    await browser.keys(["Escape"]);
  });

  it("shows the version and data folder reported by the Rust command", async () => {
    await (await byTestId("nav-settings")).click();
    const version = await byTestId("about-version");
    assert.equal(await version.getText(), cargoVersion());
    assert.equal(await (await byTestId("about-name")).getText(), "MSP Desk");

    // Only the Rust side knows the XDG_DATA_HOME this process got, so this path proves the
    // value came through the command and not from the UI bundle.
    const dataDir = join(env("MSPDESK_DATA_HOME"), IDENTIFIER);
    assert.equal(await (await byTestId("about-data-dir")).getText(), dataDir);
    assert.equal(await (await byTestId("about-log-dir")).getText(), join(dataDir, "logs"));
    await screenshot("settings");
    // The dark theme, looked at on the client list, then back to following the system.
    await (await byTestId("theme-dark")).click();
    assert.equal(
      await browser.execute(() => document.documentElement.getAttribute("data-mantine-color-scheme")),
      "dark",
    );
    await (await byTestId("nav-clients")).click();
    await byTestId("page-clients");
    await screenshot("clients-dark");
    await (await byTestId("nav-settings")).click();
    await (await byTestId("theme-system")).click();
  });

  it("writes its log file into the data folder", async () => {
    const logs = join(env("MSPDESK_DATA_HOME"), IDENTIFIER, "logs");
    assert.ok(existsSync(logs), `${logs} does not exist`);
    const files = readdirSync(logs).filter((f) => f.startsWith("mspdesk.") && f.endsWith(".log"));
    assert.equal(files.length, 1, `log files: ${files}`);
    const text = readFileSync(join(logs, files[0]), "utf8");
    assert.match(text, /MSP Desk started/);
    assert.match(text, new RegExp(`version=${cargoVersion().replaceAll(".", "\\.")}`));
  });

  it("names an unsent draft before signing out, keeps it, and says so at sign-in", async () => {
    const token = await operatorToken();
    const societe = await openClient("Société", token);
    await (await byTestId("tab-quotas")).click();
    await setValue("quotas-quota-max_users", "44");
    await (await byTestId("quotas-save")).click();
    await byTestId("quotas-draft-badge");

    await (await byTestId("nav-settings")).click();
    await (await byTestId("sign-out")).click();
    await byTestId("sign-out-dialog");
    await waitForText("sign-out-unsent", /quotas draft of Société/);
    await screenshot("sign-out-unsent");
    await (await byTestId("sign-out-keep")).click();
    await byTestId("page-signin");
    await waitForText("kept-work", /admin@demo-msp\.example/);
    await waitForText("kept-work-items", /quotas draft of Société/);
    await screenshot("sign-in-kept-work");
  });
});
