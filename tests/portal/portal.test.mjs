// The client portal in a real browser: Debian's headless Chromium, driven by puppeteer-core
// over the DevTools protocol. `cargo xtask test` starts a Control Panel with the demo MSP and
// passes MSPDESK_PORTAL_SERVER (its origin) and MSPDESK_SCREENSHOTS (where pictures go).
//
// 1. A client whose branding is as hostile as the API allows: custom CSS that passes the
//    sanitiser but tries every trick left to it, a company name full of markup, a custom
//    domain, uploaded images. A second local server counts every connection; the portal is
//    loaded, signed in to and browsed, and the counting server sees none, and every request
//    the browser makes goes to the Control Panel's origin.
// 2. A client whose logo and favicon are https URLs at the counting server: the browser may
//    fetch exactly those two images (the policy names their origin) and nothing else there.
// 3. A nicely branded client, photographed: the sign-in page and the overview, light and dark.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import puppeteer from 'puppeteer-core';

const SERVER = process.env.MSPDESK_PORTAL_SERVER ?? 'http://127.0.0.1:8080';
const SHOTS = process.env.MSPDESK_SCREENSHOTS ?? path.join(os.tmpdir(), 'portal-shots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const DEMO_EMAIL = 'admin@demo-msp.example';
const DEMO_PASSWORD = 'demo-password-2026';
const PASSWORD = 'quiet-harbour-lantern-73';

// --- the API ----------------------------------------------------------------------------------

async function call(method, route, { token, body, raw, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw) {
    payload = raw;
    h['content-type'] = 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(`${SERVER}/api/v1${route}`, { method, headers: h, body: payload });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function ok(method, route, options) {
  const res = await call(method, route, options);
  assert.ok(res.status < 300, `${method} ${route}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

let msp;

async function newClient(name, quotas = {}) {
  const plans = await ok('GET', '/plans', { token: msp });
  const created = await ok('POST', '/clients', {
    token: msp,
    body: {
      company_name: name,
      contact_email: 'it@client.example',
      plan_id: plans.items[0].id,
      quotas,
    },
  });
  const minted = await ok('POST', `/clients/${created.id}/token`, { token: msp });
  return { id: created.id, token: minted.token };
}

async function branding(client, changes) {
  const current = await ok('GET', '/branding', { token: client.token });
  return call('PUT', '/branding', {
    token: client.token,
    body: changes,
    headers: { 'if-match': `"${current.version}"` },
  });
}

async function upload(client, kind, bytes) {
  const current = await ok('GET', '/branding', { token: client.token });
  return ok('PUT', `/branding/assets/${kind}`, {
    token: client.token,
    raw: bytes,
    headers: { 'if-match': `"${current.version}"` },
  });
}

async function invite(client, email, name) {
  const user = await ok('POST', '/users', { token: client.token, body: { email, name } });
  const link = await ok('POST', `/users/${user.id}/invitation`, { token: client.token });
  return link.url;
}

// --- a PNG from a function of (x, y) -----------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size, pixel) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) row.set(pixel(x, y), 1 + x * 4);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/// A round mark: a ring in `ring` around a dot in `dot`, on transparency.
function mark(size, ring, dot) {
  const c = (size - 1) / 2;
  return png(size, (x, y) => {
    const d = Math.hypot(x - c, y - c) / (size / 2);
    if (d < 0.38) return [...dot, 255];
    if (d > 0.62 && d < 0.95) return [...ring, 255];
    return [0, 0, 0, 0];
  });
}

// --- a server that counts every connection made to it ---------------------------------------

function countingServer() {
  const seen = { connections: 0, requests: [] };
  const server = http.createServer((req, res) => {
    seen.requests.push(req.url);
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(mark(16, [255, 0, 0], [255, 0, 0]));
  });
  server.on('connection', () => {
    seen.connections += 1;
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, seen, port: server.address().port }));
  });
}

// --- the browser -------------------------------------------------------------------------------

let browser;
let counter;
let profile;

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  msp = (await ok('POST', '/auth/login', { body: { email: DEMO_EMAIL, password: DEMO_PASSWORD } })).token;
  counter = await countingServer();
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-chromium-'));
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-extensions',
    ],
  });
});

after(async () => {
  await browser?.close();
  counter?.server.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

/// A fresh page (own cookies) that records every request and every policy violation.
async function watchedPage() {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const seen = { requests: [], violations: [], dialogs: 0 };
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) seen.violations.push(m.text());
  });
  page.on('dialog', async (d) => {
    seen.dialogs += 1;
    await d.dismiss();
  });
  await page.setViewport({ width: 1280, height: 860 });
  return { page, seen, context };
}

// Forms are submitted from the keyboard, not by clicking: a client's own CSS may lay an
// overlay over its page (its own portal to spoil), which would swallow a click.
async function setPassword(page, url) {
  await page.goto(url, { waitUntil: 'load' });
  await page.type('input[name=password]', PASSWORD);
  await page.type('input[name=confirm]', PASSWORD);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
}

async function signOut(page) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.$eval('.portal-sign-out', (form) => form.requestSubmit()),
  ]);
}

async function signIn(page, email) {
  await page.type('input[name=email]', email);
  await page.type('input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
}

const origin = new URL(SERVER).origin;

// --- 1. the hostile client ----------------------------------------------------------------------

test('a hostile brand makes the browser load nothing from anywhere but the server', async () => {
  const client = await newClient('Hostile Ltd');
  const t = client.id;
  const asset = `/api/v1/public/assets/${t}`;
  const far = `127.0.0.1:${counter.port}`;

  // What reaches elsewhere is refused by the API, whatever its spelling.
  for (const css of [
    `@import url(http://${far}/x.css);`,
    `@import "//${far}/x.css";`,
    `@\\69 mport url(//${far}/x.css);`,
    `.a { background: url(http://${far}/bg.png) }`,
    `.a { background: u\\72l(//${far}/bg.png) }`,
    `.a { background: image-set("//${far}/a.png" 1x) }`,
    `@font-face { font-family: x; src: url(https://${far}/f.woff2) }`,
    `.a { behavior: url(//${far}/x.htc) }`,
    `.a { -moz-binding: url(//${far}/x.xml#x) }`,
    `.a { width: expression(alert(1)) }`,
    `</style><script>alert(1)</script>`,
  ]) {
    const res = await branding(client, { custom_css: css });
    assert.equal(res.status, 422, `${css} was accepted`);
  }
  const refusedLogo = await branding(client, { logo_url: `http://${far}/logo.png` });
  assert.equal(refusedLogo.status, 422, 'a plain-http logo is refused');

  // Everything else the sanitiser lets through, each rule on its own; what passes is kept.
  const candidates = [
    `html, body, :root, * { background-image: url(${asset}/logo) !important; }`,
    `body::before { content: "Enter your bank PIN below"; position: fixed; top: 0; left: 0; right: 0; bottom: 0; z-index: 2147483647; background: #fff; }`,
    `input[type=password][value^="a"] { background-image: url(${asset}/favicon?leak=a); }`,
    `input[name=email][value*="@"] { list-style-image: url(${asset}/logo?leak=email); }`,
    `.portal-title { background: image-set(url(${asset}/logo) 1x, url(${asset}/favicon) 2x); }`,
    `@media (min-width: 1px) { .portal-card { border-image: url(${asset}/favicon) 30 round; } }`,
    `@supports (display: grid) { .portal-footer::after { content: url(${asset}/logo); } }`,
    `@font-face { font-family: "Spy"; src: local("Arial"); unicode-range: U+0041; }`,
    `.portal-main { --spy: url(${asset}/logo); cursor: url(${asset}/favicon), auto; }`,
    `a[href^="http"] { mask-image: url(${asset}/logo); }`,
    `.portal-input:focus { outline: 40px solid red; }`,
    `.portal-button:hover { filter: url(${asset}/logo#blur); }`,
    `.portal-overview:has(.portal-chip) { shape-outside: url(${asset}/logo); }`,
    `.portal-header { background: url("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==") }`,
  ];
  const kept = [];
  for (const css of candidates) {
    const res = await branding(client, { custom_css: css });
    if (res.status === 200) kept.push(css);
    else assert.equal(res.status, 422, `${css}: ${JSON.stringify(res.body)}`);
  }
  assert.ok(kept.length >= 8, `only ${kept.length} hostile rules passed the sanitiser: ${kept}`);

  await upload(client, 'logo', mark(64, [200, 30, 30], [30, 30, 30]));
  await upload(client, 'favicon', mark(32, [200, 30, 30], [30, 30, 30]));
  const stored = await branding(client, {
    company_name: 'Hostile <script>window.__pwned=1</script> "Ltd"',
    primary_color: '#B00020',
    logo_url: (await ok('GET', '/branding', { token: client.token })).logo_url,
    favicon_url: (await ok('GET', '/branding', { token: client.token })).favicon_url,
    custom_domain: 'portal.hostile.example',
    custom_css: kept.join('\n'),
  });
  assert.equal(stored.status, 200, JSON.stringify(stored.body));

  const url = await invite(client, 'mallory@hostile.example', 'Mallory');
  const { page, seen, context } = await watchedPage();
  await setPassword(page, url);
  assert.ok(await page.$('.portal-overview'), 'signed in after setting the password');
  await signOut(page);
  await page.goto(`${SERVER}/portal/${t}`, { waitUntil: 'load' });
  await signIn(page, 'mallory@hostile.example');
  assert.ok(await page.$('.portal-overview'), 'the overview after signing in');
  await page.goto(`${SERVER}/portal/${t}/invitation/${'x'.repeat(43)}`, { waitUntil: 'load' });
  await page.goto(`${SERVER}/portal/${t}`, { waitUntil: 'load' });

  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
  assert.equal(seen.dialogs, 0);
  const elsewhere = seen.requests.filter((r) => new URL(r).origin !== origin && !r.startsWith('data:'));
  assert.deepEqual(elsewhere, [], 'every request went to the server');
  assert.equal(counter.seen.connections, 0, 'the counting server saw no connection');
  assert.ok(seen.requests.some((r) => r.endsWith('/branding.css')), 'the brand sheet was loaded');
  console.log(`hostile: ${kept.length} rules kept, ${seen.requests.length} requests, all to ${origin}; policy reports: ${seen.violations.length}`);
  await context.close();
});

// --- 2. images at another https origin ----------------------------------------------------------

test('a logo at another https origin is the only thing fetched from there', async () => {
  const client = await newClient('Elsewhere GmbH');
  const logo = `https://127.0.0.1:${counter.port}/brand/logo.png`;
  const favicon = `https://127.0.0.1:${counter.port}/brand/favicon.png`;
  const stored = await branding(client, { logo_url: logo, favicon_url: favicon });
  assert.equal(stored.status, 200, JSON.stringify(stored.body));
  const url = await invite(client, 'erin@elsewhere.example', 'Erin');
  const { page, seen, context } = await watchedPage();
  const response = await page.goto(url, { waitUntil: 'load' });
  const csp = response.headers()['content-security-policy'];
  assert.match(csp, new RegExp(`img-src 'self' https://127\\.0\\.0\\.1:${counter.port};`));
  await setPassword(page, url);
  assert.ok(await page.$('.portal-overview'));
  const elsewhere = [...new Set(seen.requests.filter((r) => new URL(r).origin !== origin))].sort();
  assert.ok(
    elsewhere.every((r) => r === logo || r === favicon),
    `only the declared images may come from elsewhere: ${elsewhere}`,
  );
  await context.close();
});

// --- 3. a nicely branded client, photographed ----------------------------------------------------

test('a branded client: sign-in and overview screenshots', async () => {
  const client = await newClient('Northwind Traders', {
    max_servers: 5,
    max_users: 10,
    max_apps_per_server: 4,
    storage_quota_gb: 500,
  });
  await upload(client, 'favicon', mark(32, [15, 110, 110], [180, 83, 9]));
  const stored = await branding(client, {
    company_name: 'Northwind Traders',
    primary_color: '#0F6E6E',
    secondary_color: '#12304A',
    accent_color: '#B45309',
    favicon_url: (await ok('GET', '/branding', { token: client.token })).favicon_url,
    custom_css: [
      '.portal-header { box-shadow: 0 2px 8px rgb(0 0 0 / 18%); }',
      '.portal-company { letter-spacing: 0.02em; }',
      '.portal-sign-in { max-width: 400px; }',
      '.portal-title { font-weight: 700; }',
    ].join('\n'),
  });
  assert.equal(stored.status, 200, JSON.stringify(stored.body));
  const catalog = await ok('GET', '/catalog', { token: client.token });
  await ok('PUT', '/catalog', {
    token: client.token,
    headers: { 'if-match': `"${catalog.version}"` },
    body: {
      mode: 'custom',
      enabled: ['nextcloud', 'onlyoffice', 'mattermost', 'gitea', 'grafana', 'uptime-kuma', 'bitwarden', 'wordpress', 'keycloak'],
    },
  });
  const servers = [
    ['files-eu-1', 'cx32', 160, 'fsn1', ['nextcloud', 'onlyoffice']],
    ['chat-and-code-eu-1', 'cx22', 80, 'nbg1', ['mattermost', 'gitea', 'uptime-kuma']],
    ['website-production-with-a-rather-long-name', 'cx22', 40, 'hel1', ['wordpress']],
  ];
  for (const [name, type, storage, region, apps] of servers) {
    const s = await ok('POST', '/servers', {
      token: client.token,
      body: { name, provider: 'hetzner', server_type: type, storage_gb: storage, region },
    });
    for (const app of apps) {
      await ok('POST', `/servers/${s.id}/apps`, { token: client.token, body: { template_id: app } });
    }
  }
  for (const [email, name] of [
    ['olivia@northwind.example', 'Olivia Bennett'],
    ['marcus@northwind.example', 'Marcus Lee'],
  ]) {
    await ok('POST', '/users', { token: client.token, body: { email, name } });
  }
  const url = await invite(client, 'sofia@northwind.example', 'Sofia Alvarez');

  const { page, context } = await watchedPage();
  await setPassword(page, url);
  await signOut(page);
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  await page.goto(`${SERVER}/portal/${client.id}`, { waitUntil: 'load' });
  await page.screenshot({ path: path.join(SHOTS, 'portal-sign-in.png') });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await page.screenshot({ path: path.join(SHOTS, 'portal-sign-in-dark.png') });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  await signIn(page, 'sofia@northwind.example');
  const text = await page.$eval('.portal-overview', (e) => e.textContent);
  for (const want of ['files-eu-1', 'Nextcloud', 'Mattermost', '3 of 5', 'Keycloak']) {
    assert.ok(text.includes(want), `the overview shows ${want}`);
  }
  await page.screenshot({ path: path.join(SHOTS, 'portal-overview.png'), fullPage: true });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await page.screenshot({ path: path.join(SHOTS, 'portal-overview-dark.png'), fullPage: true });
  // The screenshots are of the right page: the brand's colour is the header's.
  const header = await page.$eval('.portal-header', (e) => getComputedStyle(e).backgroundColor);
  assert.equal(header, 'rgb(18, 48, 74)');
  await context.close();
});
