// The Branding tab's state: the form over the desk's branding draft. Every edit is checked
// offline with the server's rules (debounced); a body without errors is saved by itself a
// moment later, one save after the other, and once more when the tab is left; publishing and
// discarding wait for the saves in flight. BrandingTab.tsx only shows it.
import { useCallback, useEffect, useReducer, useRef, useState } from "react";

import { CommandError, commands, errorMessage } from "../../api/commands";
import type { AssetKind } from "../../bindings/AssetKind";
import type { BrandingCheck } from "../../bindings/BrandingCheck";
import type { BrandingView } from "../../bindings/BrandingView";
import type { ClientDetail } from "../../bindings/ClientDetail";
import type { DomainVerification } from "../../bindings/DomainVerification";
import type { PreviewTheme } from "../../bindings/PreviewTheme";
import type { UpdateBranding } from "../../bindings/UpdateBranding";
import { discardedNotice, publishedNotice, type Notice } from "../../components/DraftActions";
import { useCommand, type Command } from "../../hooks/useCommand";

/** How long the form waits after the last keystroke before checking and previewing. */
export const CHECK_DELAY_MS = 250;
/** How long after the last keystroke a draft without errors is saved. */
export const SAVE_DELAY_MS = 600;

export const FIELDS: Array<keyof UpdateBranding> = [
  "company_name",
  "logo_url",
  "favicon_url",
  "primary_color",
  "secondary_color",
  "accent_color",
  "custom_domain",
  "custom_css",
];

const URL_FIELD: Record<AssetKind, "logo_url" | "favicon_url"> = { logo: "logo_url", favicon: "favicon_url" };

/** Whether two bodies are the same branding, field by field. */
export function sameBranding(a: UpdateBranding | null, b: UpdateBranding | null): boolean {
  if (a === null || b === null) return a === b;
  return FIELDS.every((f) => a[f] === b[f]);
}

/** A domain as compared: trimmed, lower case, without the final dot. */
export function domainKey(domain: string | null | undefined): string {
  return (domain ?? "").trim().toLowerCase().replace(/\.$/, "");
}

/** Messages by field name (`branding.custom_css` counts as `custom_css`). */
export function byField(list: Array<{ field: string; message: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { field, message } of list) {
    const key = field.replace(/^branding\./, "");
    out[key] = out[key] ? `${out[key]} ${message}` : message;
  }
  return out;
}

/** A check and the body it is of. */
export type Checked = { body: UpdateBranding; check: BrandingCheck };
export type SaveFailure = { body: UpdateBranding; message: string; fields: Record<string, string> };
export type Busy = null | "publish" | "discard" | "verify" | AssetKind;
/** Where the form stands with the desk, worst first. */
export type SaveState = "errors" | "refused" | "saving" | "unsaved" | "draft" | "synced";

interface State {
  view: BrandingView | null;
  /** The form. */
  draft: UpdateBranding | null;
  /** The body the desk holds (the stored draft, else the synced branding). */
  saved: UpdateBranding | null;
  /** The body the form was last set to from the desk, with the desk's check of it. */
  adopted: Checked | null;
  saving: boolean;
  saveFailure: SaveFailure | null;
}

type Action =
  /** A view from the desk; `force` replaces the form even when it holds an unsaved edit. */
  | { type: "view"; view: BrandingView; force: boolean }
  | { type: "edit"; field: keyof UpdateBranding; value: string | null }
  | { type: "saving"; on: boolean }
  | { type: "saved"; body: UpdateBranding; view: BrandingView }
  | { type: "refused"; failure: SaveFailure }
  /** An image chosen or cleared: the desk changed the draft's URL of it. */
  | { type: "image"; view: BrandingView; kind: AssetKind };

const INITIAL: State = { view: null, draft: null, saved: null, adopted: null, saving: false, saveFailure: null };

export function reduce(state: State, action: Action): State {
  switch (action.type) {
    case "view": {
      const { view, force } = action;
      // Without `force` the form follows only when it holds no unsaved edit, so a reload
      // never swallows what the user is typing.
      const follow = force || state.draft === null || sameBranding(state.draft, state.saved);
      if (!follow) return { ...state, view, saved: view.branding };
      return {
        ...state,
        view,
        saved: view.branding,
        draft: view.branding,
        adopted: { body: view.branding, check: view.check },
        saveFailure: null,
      };
    }
    case "edit":
      if (state.draft === null || state.draft[action.field] === action.value) return state;
      return { ...state, draft: { ...state.draft, [action.field]: action.value } };
    case "saving":
      return { ...state, saving: action.on };
    case "saved":
      return { ...state, view: action.view, saved: action.body, saveFailure: null };
    case "refused":
      return { ...state, saveFailure: action.failure };
    case "image": {
      const field = URL_FIELD[action.kind];
      const draft = state.draft === null ? null : { ...state.draft, [field]: action.view.branding[field] };
      return { ...state, view: action.view, saved: action.view.branding, draft };
    }
  }
}

export interface BrandingDraft {
  /** The branding as loaded (view and form), its load's error, and Try again. */
  load: Command<{ view: BrandingView; draft: UpdateBranding }>;
  view: BrandingView | null;
  draft: UpdateBranding | null;
  /** The latest check of the form (or of an earlier edit while the form's is pending). */
  check: BrandingCheck | null;
  /** Why the form could not be checked. */
  checkError: string | null;
  /** The form's errors by field: the check's, and a refused save's for the same body. */
  fieldErrors: Record<string, string>;
  saveState: SaveState;
  saveFailure: SaveFailure | null;
  /** The form differs from what the desk holds. */
  unsaved: boolean;
  busy: Busy;
  notice: Notice;
  /** The latest answer of Verify for the synced domain. */
  verification: { domain: string; value: DomainVerification } | null;
  verifyError: string | null;
  /** Sets one field of the form ("" clears it). */
  set: (field: keyof UpdateBranding, value: string) => void;
  publish: () => Promise<void>;
  discard: () => Promise<void>;
  chooseImage: (kind: AssetKind) => Promise<void>;
  clearImage: (kind: AssetKind) => Promise<void>;
  verify: () => Promise<void>;
}

export function useBrandingDraft(detail: ClientDetail, onChanged: () => void): BrandingDraft {
  const id = detail.client.id;
  const [state, dispatch] = useReducer(reduce, INITIAL);
  const { view, draft, saved, adopted, saveFailure } = state;
  const [busy, setBusy] = useState<Busy>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [verification, setVerification] = useState<BrandingDraft["verification"]>(null);
  const [verifyError, setVerifyError] = useState<string | null>(null);

  // The desk's view, loaded again with the app's data version: taken once per answer.
  const loaded = useCommand(() => commands.brandingView(id), [id]);
  const [taken, setTaken] = useState<BrandingView | undefined>(undefined);
  if (loaded.data !== undefined && loaded.data !== taken) {
    setTaken(loaded.data);
    dispatch({ type: "view", view: loaded.data, force: false });
  }

  // The check of an edited form (the desk's own check came with what it sent). A check made
  // before the form was last set from the desk is older than the desk's.
  const needsCheck = draft !== null && draft !== adopted?.body;
  const checking = useCommand(
    async () => {
      if (draft === null) return null;
      return { adopted, checked: { body: draft, check: await commands.checkBranding(id, draft) } };
    },
    [id, draft, adopted],
    { enabled: needsCheck, delayMs: CHECK_DELAY_MS, keepPrevious: true, followDataVersion: false },
  );
  const fromCheck = needsCheck && checking.data?.adopted === adopted ? checking.data.checked : null;
  const checked = fromCheck ?? adopted;
  const checkError = needsCheck ? (checking.error?.message ?? null) : null;

  // The latest values, for callbacks that outlive a render (the save queue, unmount).
  const latest = useRef({ ...state, checked, onChanged });
  useEffect(() => {
    latest.current = { ...state, checked, onChanged };
  });
  const saveQueue = useRef<Promise<unknown>>(Promise.resolve());
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  /** Saves `body` after any save in flight (saves never overtake each other). */
  const save = useCallback(
    (body: UpdateBranding): Promise<void> => {
      const run = async () => {
        const hadDraft = latest.current.view?.has_draft ?? false;
        if (mounted.current) dispatch({ type: "saving", on: true });
        try {
          const next = await commands.saveBrandingDraft(id, body);
          // The next save in the queue may start before this one is rendered.
          latest.current = { ...latest.current, view: next, saved: body };
          if (!mounted.current) return;
          dispatch({ type: "saved", body, view: next });
          if (!hadDraft && next.has_draft) latest.current.onChanged();
        } catch (e) {
          if (mounted.current) {
            const fields = e instanceof CommandError && e.fields ? byField(e.fields) : {};
            dispatch({ type: "refused", failure: { body, message: errorMessage(e), fields } });
          }
          throw e;
        } finally {
          if (mounted.current) dispatch({ type: "saving", on: false });
        }
      };
      const result = saveQueue.current.then(run, run);
      saveQueue.current = result.catch(() => undefined);
      return result;
    },
    [id],
  );

  // Save a draft that passes the check, a moment after the last change.
  const checkedOk = checked !== null && checked.body === draft && checked.check.errors.length === 0;
  const failedBody = saveFailure?.body ?? null;
  // Publishing and discarding save (or drop) the draft themselves; no save may slip in between.
  const holding = busy === "publish" || busy === "discard";
  useEffect(() => {
    if (draft === null || holding || !checkedOk || sameBranding(draft, saved) || failedBody === draft) return;
    const timer = setTimeout(
      () => {
        save(draft).catch(() => undefined);
      },
      Math.max(SAVE_DELAY_MS - CHECK_DELAY_MS, 0),
    );
    return () => clearTimeout(timer);
  }, [draft, saved, checkedOk, failedBody, holding, save]);

  // Leaving the tab saves a valid edit that is still waiting for its turn.
  useEffect(
    () => () => {
      const { draft: body, saved: stored, checked: last } = latest.current;
      if (body && !sameBranding(body, stored) && last?.body === body && last.check.errors.length === 0) {
        save(body).catch(() => undefined);
      }
    },
    [save],
  );

  /** Takes the desk's view now, replacing the form (after a publish or a discard). */
  const reloadNow = useCallback(async () => {
    const next = await commands.brandingView(id);
    if (mounted.current) dispatch({ type: "view", view: next, force: true });
  }, [id]);

  function set(field: keyof UpdateBranding, value: string) {
    // Only an empty field is cleared: whitespace being typed stays in the form.
    const next = value === "" ? null : value;
    // Inputs echo values set from outside (the CSS editor when a published, sanitised sheet
    // replaces its text): that is no edit, and must not clear the notice of what happened.
    if (draft === null || draft[field] === next) return;
    setNotice(null);
    dispatch({ type: "edit", field, value: next });
  }

  async function publishOrDiscard(action: "publish" | "discard") {
    setNotice(null);
    setBusy(action);
    try {
      if (action === "discard") {
        await saveQueue.current;
        // Unsaved edits without a stored draft are only dropped from the form.
        if (latest.current.view?.has_draft) await commands.discardDraft(id, "branding");
        await reloadNow();
        setNotice(discardedNotice("branding"));
      } else {
        const { draft: body, saved: stored } = latest.current;
        if (body && !sameBranding(body, stored)) await save(body);
        else await saveQueue.current;
        const outcome = await commands.publishDraft(id, "branding");
        await reloadNow();
        setNotice(publishedNotice("branding", outcome));
      }
      onChanged();
    } catch (e) {
      const offline = e instanceof CommandError && e.code === "offline";
      setNotice({
        color: offline ? "gray" : "red",
        text: offline ? "Publishing needs the Control Panel: you are offline. The draft is kept on this desk." : errorMessage(e),
        testId: "branding-error",
      });
    } finally {
      setBusy(null);
    }
  }

  async function image(kind: AssetKind, action: "choose" | "clear") {
    setNotice(null);
    setBusy(kind);
    const hadDraft = view?.has_draft ?? false;
    try {
      const next =
        action === "choose" ? await commands.chooseBrandingImage(id, kind) : await commands.clearBrandingImage(id, kind);
      if (next === null) return;
      dispatch({ type: "image", view: next, kind });
      if (!hadDraft && next.has_draft) onChanged();
    } catch (e) {
      setNotice({ color: "red", text: errorMessage(e), testId: `branding-${kind}-error` });
    } finally {
      setBusy(null);
    }
  }

  async function verify() {
    const domain = domainKey(view?.synced?.custom_domain);
    setVerifyError(null);
    setBusy("verify");
    try {
      const value = await commands.verifyCustomDomain(id);
      setVerification({ domain, value });
    } catch (e) {
      const offline = e instanceof CommandError && e.code === "offline";
      setVerifyError(offline ? "Verifying needs the Control Panel: you are offline." : errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  const check = checked?.check ?? view?.check ?? null;
  const fieldErrors = byField((check?.errors ?? []).filter((e) => e.field !== "custom_css"));
  if (saveFailure && saveFailure.body === draft) {
    for (const [field, message] of Object.entries(saveFailure.fields)) fieldErrors[field] ??= message;
  }
  const unsaved = !sameBranding(draft, saved);
  const saveState: SaveState =
    (check?.errors.length ?? 0) > 0
      ? "errors"
      : saveFailure && saveFailure.body === draft
        ? "refused"
        : state.saving
          ? "saving"
          : unsaved
            ? "unsaved"
            : view?.has_draft
              ? "draft"
              : "synced";

  const ready = view !== null && draft !== null;
  return {
    load: {
      data: ready ? { view, draft } : undefined,
      // A failed reload leaves the form as it is.
      error: ready ? null : loaded.error,
      loading: loaded.loading,
      reload: loaded.reload,
    },
    view,
    draft,
    check,
    checkError,
    fieldErrors,
    saveState,
    saveFailure,
    unsaved,
    busy,
    notice,
    verification,
    verifyError,
    set,
    publish: () => publishOrDiscard("publish"),
    discard: () => publishOrDiscard("discard"),
    chooseImage: (kind) => image(kind, "choose"),
    clearImage: (kind) => image(kind, "clear"),
    verify,
  };
}

/** The portal's sign-in page rendered offline from the form (debounced): its HTML, or why not. */
export function useBrandingPreview(id: string, draft: UpdateBranding | null, theme: PreviewTheme): Command<string | null> {
  return useCommand(
    () => (draft === null ? Promise.resolve(null) : commands.brandingPreview(id, draft, theme)),
    [id, draft, theme],
    { enabled: draft !== null, delayMs: CHECK_DELAY_MS, keepPrevious: true, followDataVersion: false },
  );
}
