import { forEachDiagnostic } from "@codemirror/lint";
import { EditorView } from "@codemirror/view";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";

import type { Branding } from "../../bindings/Branding";
import type { BrandingCheck } from "../../bindings/BrandingCheck";
import type { BrandingView } from "../../bindings/BrandingView";
import type { DomainVerification } from "../../bindings/DomainVerification";
import type { PendingAsset } from "../../bindings/PendingAsset";
import type { UpdateBranding } from "../../bindings/UpdateBranding";
import { ROWS, detail } from "../../test/fixtures";
import { mockCommands } from "../../test/ipc";
import { renderApp } from "../../test/render";
import { ClientPage } from "../ClientPage";
import { SAVE_DELAY_MS } from "./useBrandingDraft";

const SYNCED_BODY: UpdateBranding = {
  company_name: "Acme Portal",
  logo_url: "https://cdn.acme.example/logo.png",
  favicon_url: null,
  primary_color: "#1A4D8F",
  secondary_color: "#FFFFFF",
  accent_color: null,
  custom_domain: "portal.acme.example",
  custom_css: ".login { border-radius: 8px; }",
};

const PENDING: DomainVerification = {
  status: "pending",
  record_name: "_mspdesk-challenge.portal.acme.example",
  record_value: "mspdesk-verify=4f1c2a",
  checked_at: null,
  reason: null,
};

const LOGO: PendingAsset = {
  kind: "logo",
  content_type: "image/png",
  width: 320,
  height: 80,
  size_bytes: 12_595,
  data_url: "data:image/png;base64,iVBORw0KGgo=",
};

/** The rules the tests' desk applies (a stand-in for the Rust side's, not a copy of them). */
function rules(body: UpdateBranding): BrandingCheck {
  const check: BrandingCheck = { errors: [], warnings: [] };
  for (const field of ["primary_color", "secondary_color", "accent_color"] as const) {
    const value = body[field];
    if (value !== null && !/^#[0-9a-fA-F]{6}$/.test(value)) {
      check.errors.push({ field, message: "Enter a colour as #RRGGBB.", reason: null, line: null, column: null });
    }
  }
  if (body.primary_color?.toUpperCase() === "#FFFF00") {
    check.warnings.push({
      field: "primary_color",
      message: "White text on the primary colour is hard to read.",
      ratio: 1.07,
      suggestion: "#8A7400",
    });
  }
  (body.custom_css ?? "").split("\n").forEach((text, i) => {
    const at = text.indexOf("@import");
    if (at >= 0) {
      // Worded as the desk words it: the position in the sentence, the reason on its own.
      check.errors.push({
        field: "custom_css",
        message: `line ${i + 1}, column ${at + 1}: @import is not allowed.`,
        reason: "@import is not allowed.",
        line: i + 1,
        column: at + 1,
      });
    }
  });
  return check;
}

type DeskOptions = {
  body?: UpdateBranding;
  hasDraft?: boolean;
  verification?: DomainVerification | null;
  extra?: Record<string, unknown>;
};

/** A desk that keeps a branding draft like the Rust side does. */
function desk(options: DeskOptions = {}) {
  const synced: Branding = {
    ...SYNCED_BODY,
    version: 3,
    custom_domain_verification: options.verification === undefined ? PENDING : options.verification,
    warnings: [],
  };
  const state = {
    stored: options.body ?? SYNCED_BODY,
    hasDraft: options.hasDraft ?? false,
    assets: [] as PendingAsset[],
  };
  const view = (): BrandingView => ({
    client: "acme",
    branding: state.stored,
    has_draft: state.hasDraft,
    synced,
    assets: state.assets,
    check: rules(state.stored),
  });
  const ipc = mockCommands({
    client_detail: () => detail({ branding: state.stored }),
    list_clients: ROWS,
    branding_view: () => view(),
    check_branding: (args: Record<string, unknown>) => rules(args.body as UpdateBranding),
    branding_preview: (args: Record<string, unknown>) => {
      const body = args.body as UpdateBranding;
      return `<!doctype html><html data-theme="${String(args.theme)}"><body style="--primary: ${body.primary_color ?? ""}"><h1>${body.company_name ?? ""}</h1></body></html>`;
    },
    save_branding_draft: (args: Record<string, unknown>) => {
      const body = args.body as UpdateBranding;
      const errors = rules(body).errors;
      if (errors.length > 0) {
        throw { code: "validation", message: "Some fields are not valid.", fields: errors.map(({ field, message }) => ({ field, message })) };
      }
      state.stored = body;
      state.hasDraft = true;
      return view();
    },
    choose_branding_image: () => {
      state.assets = [LOGO];
      state.stored = { ...state.stored, logo_url: "mspdesk-asset:logo" };
      state.hasDraft = true;
      return view();
    },
    clear_branding_image: (args: Record<string, unknown>) => {
      state.assets = state.assets.filter((a) => a.kind !== args.kind);
      state.stored = { ...state.stored, [args.kind === "logo" ? "logo_url" : "favicon_url"]: null };
      state.hasDraft = true;
      return view();
    },
    publish_draft: () => {
      state.hasDraft = false;
      state.assets = [];
      return "published";
    },
    discard_draft: () => {
      state.hasDraft = false;
      state.stored = SYNCED_BODY;
      state.assets = [];
      return null;
    },
    ...options.extra,
  });
  return { ipc, state };
}

async function openTab() {
  const user = userEvent.setup();
  renderApp(
    <Routes>
      <Route path="/clients/:id" element={<ClientPage />} />
    </Routes>,
    "/clients/acme",
  );
  await user.click(await screen.findByTestId("tab-branding"));
  await screen.findByTestId("branding-panel");
  return user;
}

const preview = () => screen.getByTestId("branding-preview");
const wait = (ms: number) => act(() => new Promise((resolve) => setTimeout(resolve, ms)));

/** The CodeMirror view inside the CSS editor (once the lazy editor has loaded). */
async function cssEditor(): Promise<EditorView> {
  const host = await screen.findByTestId("branding-css");
  const element = await waitFor(() => {
    const found = host.querySelector<HTMLElement>(".cm-editor");
    expect(found).not.toBeNull();
    return found as HTMLElement;
  });
  const view = EditorView.findFromDOM(element);
  if (!view) throw new Error("no CodeMirror view in branding-css");
  return view;
}

function setCss(view: EditorView, text: string) {
  act(() => {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  });
}

describe("branding tab", () => {
  it("shows the synced branding and its preview in a sandboxed frame", async () => {
    const { ipc } = desk();
    await openTab();
    expect(ipc.argsOf("branding_view")).toEqual([{ id: "acme" }]);
    expect(screen.getByTestId("branding-company")).toHaveValue("Acme Portal");
    expect(screen.getByTestId("branding-primary")).toHaveValue("#1A4D8F");
    expect(screen.getByTestId("branding-secondary")).toHaveValue("#FFFFFF");
    expect(screen.getByTestId("branding-accent")).toHaveValue("");
    expect(screen.getByTestId("branding-domain")).toHaveValue("portal.acme.example");
    // A remote logo is named, never loaded.
    expect(screen.getByTestId("branding-logo-remote")).toHaveTextContent("https://cdn.acme.example/logo.png");
    expect(screen.queryByTestId("branding-logo-thumb")).not.toBeInTheDocument();
    expect(document.querySelector('img[src^="https:"]')).toBeNull();
    expect(screen.queryByTestId("branding-draft-badge")).not.toBeInTheDocument();
    expect(screen.getByTestId("branding-publish")).toBeDisabled();
    expect(screen.getByTestId("branding-save-state")).toHaveTextContent("No changes since the last sync");

    const frame = preview();
    expect(frame.tagName).toBe("IFRAME");
    expect(frame).toHaveAttribute("sandbox", "");
    expect(frame.getAttribute("sandbox")).not.toMatch(/allow-scripts|allow-same-origin/);
    expect(frame).toHaveAttribute("title", "Portal preview");
    await waitFor(() => expect(frame.getAttribute("srcdoc")).toContain("<h1>Acme Portal</h1>"));
    expect(ipc.lastArgsOf("branding_preview")).toEqual({ id: "acme", body: SYNCED_BODY, theme: "light" });
    // The first check came with the view: nothing to check again.
    expect(ipc.argsOf("check_branding")).toEqual([]);

    const editor = await cssEditor();
    expect(editor.state.doc.toString()).toBe(".login { border-radius: 8px; }");
  });

  it("checks, previews and saves a colour as it is typed, and applies a suggested shade", async () => {
    const { ipc, state } = desk();
    const user = await openTab();
    await waitFor(() => expect(preview().getAttribute("srcdoc")).toContain("--primary: #1A4D8F"));

    const primary = screen.getByTestId("branding-primary");
    await user.clear(primary);
    await user.type(primary, "#FFFF00");
    await waitFor(() => expect(preview().getAttribute("srcdoc")).toContain("--primary: #FFFF00"));
    expect(ipc.lastArgsOf("check_branding")).toEqual({ id: "acme", body: { ...SYNCED_BODY, primary_color: "#FFFF00" } });
    // Debounced: not one check per keystroke.
    expect(ipc.argsOf("check_branding").length).toBeLessThan(4);

    const warning = await screen.findByTestId("branding-warning-primary_color");
    expect(warning).toHaveTextContent("white text on this colour reaches 1.07:1; WCAG AA needs 4.5:1");
    // A low contrast is a warning: the draft is saved all the same.
    await waitFor(() => expect(ipc.lastArgsOf("save_branding_draft")).toEqual({ id: "acme", body: { ...SYNCED_BODY, primary_color: "#FFFF00" } }));
    expect(await screen.findByTestId("branding-draft-badge")).toBeInTheDocument();

    await user.click(within(warning).getByRole("button", { name: /Use #8A7400/ }));
    expect(screen.getByTestId("branding-primary")).toHaveValue("#8A7400");
    await waitFor(() => expect(screen.queryByTestId("branding-warning-primary_color")).not.toBeInTheDocument());
    await waitFor(() => expect(state.stored.primary_color).toBe("#8A7400"));
    await waitFor(() => expect(preview().getAttribute("srcdoc")).toContain("--primary: #8A7400"));
    expect(screen.getByTestId("branding-save-state")).toHaveTextContent("Draft saved");
  });

  it("renders the preview again in the dark theme", async () => {
    const { ipc } = desk();
    const user = await openTab();
    await waitFor(() => expect(preview().getAttribute("srcdoc")).toContain('data-theme="light"'));
    await user.click(within(screen.getByTestId("preview-theme")).getByText("Dark"));
    await waitFor(() => expect(preview().getAttribute("srcdoc")).toContain('data-theme="dark"'));
    expect(ipc.lastArgsOf("branding_preview")).toMatchObject({ theme: "dark" });
  });

  it("shows a CSS error at its line, blocks saving and publishing, and saves once it is fixed", async () => {
    const { ipc, state } = desk();
    await openTab();
    const editor = await cssEditor();
    setCss(editor, ".login { color: red; }\n  @import url(https://evil.example/x.css);\n");

    const errors = await screen.findByTestId("branding-css-errors");
    // The position is said once (it used to be "Line 2, column 3: line 2, column 3: …").
    expect(errors).toHaveTextContent(/^line 2, column 3: @import is not allowed\.$/);
    expect(screen.getByTestId("branding-save-state")).toHaveTextContent("Not saved: fix the errors below");
    expect(screen.getByTestId("branding-publish")).toBeDisabled();
    // The same error is a diagnostic in the editor, on "@import" of line 2.
    await waitFor(() => {
      const found: Array<{ from: number; to: number; message: string }> = [];
      forEachDiagnostic(editor.state, (d, from, to) => found.push({ from, to, message: d.message }));
      expect(found).toHaveLength(1);
      const [first] = found as [{ from: number; to: number; message: string }];
      expect(first.message).toBe("@import is not allowed.");
      expect(editor.state.sliceDoc(first.from, first.to)).toBe("@import");
      expect(editor.state.doc.lineAt(first.from).number).toBe(2);
    });
    await wait(SAVE_DELAY_MS + 300);
    expect(ipc.argsOf("save_branding_draft")).toEqual([]);

    setCss(editor, ".login { color: red; }\n");
    await waitFor(() => expect(screen.queryByTestId("branding-css-errors")).not.toBeInTheDocument());
    await waitFor(() =>
      expect(ipc.lastArgsOf("save_branding_draft")).toEqual({ id: "acme", body: { ...SYNCED_BODY, custom_css: ".login { color: red; }\n" } }),
    );
    expect(state.stored.custom_css).toBe(".login { color: red; }\n");
    await waitFor(() => expect(screen.getByTestId("branding-save-state")).toHaveTextContent("Draft saved"));
    expect(screen.getByTestId("branding-publish")).toBeEnabled();
  });

  it("shows a field's error under its input and a refused save", async () => {
    const { ipc } = desk({
      extra: {
        save_branding_draft: () => {
          throw { code: "validation", message: "Some fields are not valid.", fields: [{ field: "custom_domain", message: "The Control Panel's own host name cannot be a custom domain." }] };
        },
      },
    });
    const user = await openTab();
    const accent = screen.getByTestId("branding-accent");
    await user.type(accent, "#12");
    expect(await screen.findByText("Enter a colour as #RRGGBB.")).toBeInTheDocument();

    await user.type(accent, "3456");
    await waitFor(() => expect(screen.queryByText("Enter a colour as #RRGGBB.")).not.toBeInTheDocument());
    await waitFor(() => expect(ipc.argsOf("save_branding_draft")).toHaveLength(1));
    expect(await screen.findByText("The Control Panel's own host name cannot be a custom domain.")).toBeInTheDocument();
    expect(screen.getByTestId("branding-save-state")).toHaveTextContent("Not saved: Some fields are not valid.");
    // A refused body is not sent again and again.
    await wait(SAVE_DELAY_MS + 300);
    expect(ipc.argsOf("save_branding_draft")).toHaveLength(1);
  });

  it("shows the TXT record with its status, and verifies the domain now", async () => {
    const verified: DomainVerification = { ...PENDING, status: "verified", checked_at: new Date().toISOString() };
    let answer: () => DomainVerification = () => {
      throw { code: "offline", message: "The Control Panel cannot be reached." };
    };
    const { ipc } = desk({ extra: { verify_custom_domain: () => answer() } });
    const user = await openTab();
    const card = screen.getByTestId("branding-verification");
    expect(within(card).getByTestId("branding-verification-status")).toHaveTextContent("Pending");
    expect(screen.getByTestId("branding-record-name")).toHaveTextContent("_mspdesk-challenge.portal.acme.example");
    expect(screen.getByTestId("branding-record-value")).toHaveTextContent("mspdesk-verify=4f1c2a");
    expect(screen.getByTestId("branding-record-value-copy")).toBeInTheDocument();
    expect(screen.getByTestId("branding-checked-at")).toHaveTextContent("Not checked yet");

    await user.click(screen.getByTestId("branding-verify"));
    expect(await screen.findByTestId("branding-verify-error")).toHaveTextContent("you are offline");
    expect(screen.getByTestId("branding-verification-status")).toHaveTextContent("Pending");

    answer = () => verified;
    await user.click(screen.getByTestId("branding-verify"));
    await waitFor(() => expect(screen.getByTestId("branding-verification-status")).toHaveTextContent("Verified"));
    expect(ipc.argsOf("verify_custom_domain")).toEqual([{ id: "acme" }, { id: "acme" }]);
    expect(screen.getByTestId("branding-checked-at")).toHaveTextContent(/Checked/);
    expect(screen.queryByTestId("branding-verify-error")).not.toBeInTheDocument();

    // Another domain in the draft has no record yet.
    const domain = screen.getByTestId("branding-domain");
    await user.clear(domain);
    await user.type(domain, "login.acme.example");
    expect(screen.queryByTestId("branding-verification")).not.toBeInTheDocument();
    expect(screen.getByTestId("branding-domain-hint")).toHaveTextContent("Publish to get the TXT record for this domain");
  });

  it("shows a failed verification with its reason", async () => {
    desk({ verification: { ...PENDING, status: "failed", reason: "Another tenant verified this domain first.", checked_at: "2026-11-28T09:00:00Z" } });
    await openTab();
    expect(screen.getByTestId("branding-verification-status")).toHaveTextContent("Failed");
    expect(screen.getByTestId("branding-verification-reason")).toHaveTextContent("Another tenant verified this domain first.");
  });

  it("keeps a verified domain verified when the last check could not reach DNS, and says so", async () => {
    const reason = "the last check could not look TXT _mspdesk-challenge.acme.example up (the DNS server did not answer within 3 s); the domain stays verified until a check finds the record gone";
    desk({ verification: { ...PENDING, status: "verified", reason, checked_at: "2026-11-28T09:00:00Z" } });
    await openTab();
    expect(screen.getByTestId("branding-verification-status")).toHaveTextContent("Verified");
    expect(screen.getByTestId("branding-verification-reason")).toHaveTextContent("stays verified");
  });

  it("chooses a logo file, shows it with its size, and removes it", async () => {
    const { ipc } = desk();
    const user = await openTab();
    await user.click(screen.getByTestId("branding-logo-choose"));
    await waitFor(() => expect(ipc.argsOf("choose_branding_image")).toEqual([{ id: "acme", kind: "logo" }]));
    const thumb = await screen.findByTestId("branding-logo-thumb");
    expect(thumb).toHaveAttribute("src", LOGO.data_url);
    expect(screen.getByTestId("branding-logo-size")).toHaveTextContent("320 × 80 px · 12.3 KB");
    expect(screen.queryByTestId("branding-logo-url")).not.toBeInTheDocument();
    expect(await screen.findByTestId("branding-draft-badge")).toBeInTheDocument();
    await waitFor(() => expect(ipc.lastArgsOf("branding_preview")).toMatchObject({ body: { logo_url: "mspdesk-asset:logo" } }));

    await user.click(screen.getByTestId("branding-logo-remove"));
    await waitFor(() => expect(ipc.argsOf("clear_branding_image")).toEqual([{ id: "acme", kind: "logo" }]));
    await waitFor(() => expect(screen.queryByTestId("branding-logo-thumb")).not.toBeInTheDocument());
    expect(screen.getByTestId("branding-logo-url")).toHaveValue("");
  });

  it("does nothing when the dialog is cancelled and shows a refused image's message", async () => {
    let answer: () => unknown = () => null;
    const { ipc } = desk({ extra: { choose_branding_image: () => answer() } });
    const user = await openTab();
    await user.click(screen.getByTestId("branding-favicon-choose"));
    await waitFor(() => expect(ipc.argsOf("choose_branding_image")).toEqual([{ id: "acme", kind: "favicon" }]));
    expect(screen.queryByTestId("branding-favicon-error")).not.toBeInTheDocument();
    expect(screen.queryByTestId("branding-draft-badge")).not.toBeInTheDocument();

    answer = () => {
      throw { code: "validation", message: "A favicon must be square (this one is 64 × 32 px).", fields: [{ field: "favicon", message: "A favicon must be square (this one is 64 × 32 px)." }] };
    };
    await user.click(screen.getByTestId("branding-favicon-choose"));
    expect(await screen.findByTestId("branding-favicon-error")).toHaveTextContent("must be square (this one is 64 × 32 px)");
  });

  it("publishes with kind branding, saving a pending edit first; offline keeps the draft", async () => {
    let online = false;
    const { ipc, state } = desk({
      hasDraft: true,
      body: { ...SYNCED_BODY, company_name: "Acme Drafted" },
      extra: {
        publish_draft: () => {
          if (!online) throw { code: "offline", message: "The Control Panel cannot be reached." };
          state.hasDraft = false;
          return "published";
        },
      },
    });
    const user = await openTab();
    expect(screen.getByTestId("branding-draft-badge")).toBeInTheDocument();
    expect(screen.getByTestId("branding-company")).toHaveValue("Acme Drafted");

    await user.click(screen.getByTestId("branding-publish"));
    expect(await screen.findByTestId("branding-error")).toHaveTextContent("you are offline");
    expect(screen.getByTestId("branding-draft-badge")).toBeInTheDocument();

    online = true;
    await user.type(screen.getByTestId("branding-company"), "!");
    await user.click(screen.getByTestId("branding-publish"));
    expect(await screen.findByTestId("branding-published")).toBeInTheDocument();
    expect(ipc.lastArgsOf("publish_draft")).toEqual({ id: "acme", kind: "branding" });
    // The edit typed just before was saved before publishing.
    const calls = ipc.calls.map((c) => c.cmd);
    expect(calls.lastIndexOf("save_branding_draft")).toBeLessThan(calls.lastIndexOf("publish_draft"));
    expect(ipc.lastArgsOf("save_branding_draft")).toMatchObject({ body: { company_name: "Acme Drafted!" } });
    await waitFor(() => expect(screen.queryByTestId("branding-draft-badge")).not.toBeInTheDocument());
  });

  it("shows a publish conflict and discards the draft back to the synced branding", async () => {
    const { ipc } = desk({
      hasDraft: true,
      body: { ...SYNCED_BODY, company_name: "Acme Drafted" },
      extra: { publish_draft: "conflict" },
    });
    const user = await openTab();
    await user.click(screen.getByTestId("branding-publish"));
    expect(await screen.findByTestId("branding-conflict")).toHaveTextContent(/not published/);

    await user.click(screen.getByTestId("branding-discard"));
    expect(await screen.findByTestId("branding-discarded")).toBeInTheDocument();
    expect(ipc.argsOf("discard_draft")).toEqual([{ id: "acme", kind: "branding" }]);
    expect(screen.getByTestId("branding-company")).toHaveValue("Acme Portal");
    expect(screen.queryByTestId("branding-draft-badge")).not.toBeInTheDocument();
  });
});
