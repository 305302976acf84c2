import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Channel } from "@tauri-apps/api/core";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { Progress } from "../bindings/Progress";
import type { SyncSummary } from "../bindings/SyncSummary";
import { ACCOUNT, SUMMARY } from "../test/fixtures";
import { deferred, mockCommands } from "../test/ipc";
import { renderApp } from "../test/render";
import { checkServerUrl, SignInPage } from "./SignInPage";

async function fill(server: string | null, email = "ops@msp.example", password = "secret") {
  const user = userEvent.setup();
  if (server !== null) {
    await user.clear(screen.getByTestId("signin-server"));
    await user.type(screen.getByTestId("signin-server"), server);
  }
  await user.type(screen.getByTestId("signin-email"), email);
  await user.type(screen.getByTestId("signin-password"), password);
  return user;
}

beforeEach(() => localStorage.clear());

describe("server address check", () => {
  it("accepts https anywhere and http only for loopback", () => {
    expect(checkServerUrl("https://cp.example.com")).toEqual({ ok: true, insecure: false });
    expect(checkServerUrl("http://127.0.0.1:8080")).toEqual({ ok: true, insecure: true });
    expect(checkServerUrl("http://localhost:3000")).toEqual({ ok: true, insecure: true });
    expect(checkServerUrl("http://[::1]:3000")).toEqual({ ok: true, insecure: true });
    expect(checkServerUrl("http://cp.example.com").ok).toBe(false);
    expect(checkServerUrl("http://127.0.0.1.evil.com").ok).toBe(false);
    expect(checkServerUrl("ftp://cp.example.com").ok).toBe(false);
    expect(checkServerUrl("").ok).toBe(false);
  });
});

describe("sign-in screen", () => {
  it("prefills the default server and warns about http on loopback", async () => {
    mockCommands({ default_server: "http://127.0.0.1:8080" });
    renderApp(<SignInPage onSignedIn={vi.fn()} />);
    expect(screen.getByTestId("page-signin")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("signin-server")).toHaveValue("http://127.0.0.1:8080"));
    expect(screen.getByTestId("signin-http-warning")).toBeVisible();
  });

  it("refuses http for a remote server before calling Rust", async () => {
    const ipc = mockCommands({ default_server: null, sign_in: ACCOUNT });
    renderApp(<SignInPage onSignedIn={vi.fn()} />);
    const user = await fill("http://cp.example.com");
    expect(screen.queryByTestId("signin-http-warning")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("signin-submit"));
    expect(
      await screen.findByText(/An http:\/\/ address is only allowed for a server on this computer/),
    ).toBeInTheDocument();
    expect(ipc.argsOf("sign_in")).toHaveLength(0);
  });

  it("explains a missing keyring with the app's message", async () => {
    const message =
      "No system keyring is available to keep your sign-in safe. Install and unlock a Secret Service provider (such as GNOME Keyring), then sign in again.";
    mockCommands({
      default_server: "https://cp.example.com",
      sign_in: () => {
        throw { code: "keyring_unavailable", message };
      },
    });
    const onSignedIn = vi.fn();
    renderApp(<SignInPage onSignedIn={onSignedIn} />);
    await waitFor(() => expect(screen.getByTestId("signin-server")).toHaveValue("https://cp.example.com"));
    const user = await fill(null);
    await user.click(screen.getByTestId("signin-submit"));
    expect(await screen.findByTestId("signin-error")).toHaveTextContent(message);
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it("signs in, starts the first sync with progress, remembers the server", async () => {
    const sync = deferred<SyncSummary>();
    const ipc = mockCommands({
      default_server: null,
      sign_in: ACCOUNT,
      sync_now: (args: Record<string, unknown>) => {
        (args.onProgress as Channel<Progress>).onmessage({ pages: 2, rows: 17, step: "clients" });
        return sync.promise;
      },
    });
    const onSignedIn = vi.fn();
    renderApp(<SignInPage onSignedIn={onSignedIn} />);
    const user = await fill("https://cp.example.com");
    await user.click(screen.getByTestId("signin-submit"));

    expect(await screen.findByTestId("sync-progress")).toHaveTextContent("2 pages, 17 changes");
    expect(ipc.argsOf("sign_in")).toEqual([
      { server: "https://cp.example.com", email: "ops@msp.example", password: "secret" },
    ]);
    expect(onSignedIn).not.toHaveBeenCalled();

    sync.resolve(SUMMARY);
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledWith(ACCOUNT, { summary: SUMMARY }));
    expect(JSON.parse(localStorage.getItem("mspdesk.servers") ?? "[]")).toEqual(["https://cp.example.com"]);
  });

  it("goes on to the app when the first sync finds the server offline", async () => {
    mockCommands({
      default_server: null,
      sign_in: ACCOUNT,
      sync_now: () => {
        throw { code: "offline", message: "The server cannot be reached." };
      },
    });
    const onSignedIn = vi.fn();
    renderApp(<SignInPage onSignedIn={onSignedIn} />);
    const user = await fill("https://cp.example.com");
    await user.click(screen.getByTestId("signin-submit"));
    await waitFor(() => expect(onSignedIn).toHaveBeenCalled());
    const [, first] = onSignedIn.mock.calls[0] as [unknown, { error: { code: string } }];
    expect(first.error.code).toBe("offline");
  });
});

describe("work kept by an earlier sign-out", () => {
  const KEPT = {
    server: "https://cp.example.com",
    email: "ann@msp.example",
    items: [{ kind: "draft", draft: "branding", id: "acme", company_name: "Acme Corp", summary: "branding draft of Acme Corp" }],
  };

  it("is named with whose it is, and discarded only once confirmed", async () => {
    let kept: typeof KEPT | null = KEPT;
    const ipc = mockCommands({
      default_server: null,
      unsent_work: () => kept,
      discard_kept_work: () => {
        kept = null;
        return null;
      },
    });
    const user = userEvent.setup();
    renderApp(<SignInPage onSignedIn={vi.fn()} />);
    const notice = await screen.findByTestId("kept-work");
    expect(notice).toHaveTextContent("1 change of ann@msp.example on https://cp.example.com was not sent");
    expect(screen.getByTestId("kept-work-items")).toHaveTextContent("branding draft of Acme Corp");
    // The form is filled in for that account.
    expect(screen.getByTestId("signin-server")).toHaveValue("https://cp.example.com");
    expect(screen.getByTestId("signin-email")).toHaveValue("ann@msp.example");
    await user.click(screen.getByTestId("kept-work-discard"));
    expect(screen.getByTestId("unsent-discard")).toBeDisabled();
    await user.click(screen.getByTestId("unsent-discard-sure"));
    await user.click(screen.getByTestId("unsent-discard"));
    await waitFor(() => expect(screen.queryByTestId("kept-work")).not.toBeInTheDocument());
    expect(ipc.argsOf("discard_kept_work")).toHaveLength(1);
  });
});
