// The real app, driven as a user would: launch the built binary through tauri-driver, navigate
// the shell, and check that the About panel shows what the Rust side computed.
//
// Started by `cargo xtask test`, which provides (as environment variables):
//   TAURI_DRIVER_PORT   where tauri-driver listens
//   MSPDESK_APP         the built binary
//   MSPDESK_DATA_HOME   the XDG_DATA_HOME the app runs with (a fresh folder)
//   MSPDESK_SCREENSHOTS where to save screenshots
import assert from "node:assert/strict";
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
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The version in the workspace's Cargo.toml: what the Rust command must report. */
function cargoVersion() {
  const toml = readFileSync(join(repoRoot, "Cargo.toml"), "utf8");
  const section = toml.split("[workspace.package]")[1] ?? "";
  const match = section.match(/^version\s*=\s*"([^"]+)"/m);
  assert.ok(match, "no version in [workspace.package] of Cargo.toml");
  return match[1];
}

describe("MSP Desk window", () => {
  let browser;

  before(async () => {
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
  });

  async function byTestId(id) {
    const el = await browser.$(`[data-testid="${id}"]`);
    await el.waitForDisplayed({ timeout: 15000 });
    return el;
  }

  async function screenshot(name) {
    // WebKitGTK paints a moment after the DOM changes.
    await browser.pause(400);
    const png = await browser.takeScreenshot();
    writeFileSync(join(env("MSPDESK_SCREENSHOTS"), `${name}.png`), png, "base64");
  }

  it("opens on the client list with the seed's navigation", async () => {
    assert.equal(await browser.getTitle(), "MSP Desk");
    await byTestId("page-clients");
    assert.equal(await (await byTestId("nav-clients")).getText(), "Clients");
    assert.equal(await (await byTestId("nav-billing")).getText(), "Billing");
    assert.equal(await (await byTestId("nav-settings")).getText(), "Settings");
    await screenshot("clients");
  });

  it("navigates to Billing and back to Clients", async () => {
    await (await byTestId("nav-billing")).click();
    await byTestId("page-billing");
    assert.equal(await (await browser.$('[data-testid="page-clients"]')).isExisting(), false);
    await screenshot("billing");
    await (await byTestId("nav-clients")).click();
    await byTestId("page-clients");
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
    await screenshot("settings-about");
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
});
