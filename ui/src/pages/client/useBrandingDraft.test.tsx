import { act, renderHook, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { BrandingCheck } from "../../bindings/BrandingCheck";
import type { BrandingView } from "../../bindings/BrandingView";
import type { UpdateBranding } from "../../bindings/UpdateBranding";
import { detail } from "../../test/fixtures";
import { deferred, mockCommands } from "../../test/ipc";
import { CHECK_DELAY_MS, SAVE_DELAY_MS, reduce, useBrandingDraft } from "./useBrandingDraft";

const BODY: UpdateBranding = {
  company_name: "Acme Portal",
  logo_url: null,
  favicon_url: null,
  primary_color: "#1A4D8F",
  secondary_color: null,
  accent_color: null,
  custom_domain: null,
  custom_css: null,
};

const CLEAN: BrandingCheck = { errors: [], warnings: [] };

function view(body: UpdateBranding, hasDraft = false): BrandingView {
  return { client: "acme", branding: body, has_draft: hasDraft, synced: null, assets: [], check: CLEAN };
}

/** A check that tells which body it was of (a warning naming the company). */
function checkOf(body: UpdateBranding): BrandingCheck {
  return {
    errors: body.primary_color === "#12" ? [{ field: "primary_color", message: "Enter a colour as #RRGGBB.", reason: null, line: null, column: null }] : [],
    warnings: [{ field: "company_name", message: body.company_name ?? "", ratio: 1, suggestion: null }],
  };
}

const wait = (ms: number) => act(() => new Promise((resolve) => setTimeout(resolve, ms)));

/** A desk whose saves finish when the test says so. */
function desk() {
  const saves: Array<{ body: UpdateBranding; done: ReturnType<typeof deferred<void>> }> = [];
  const ipc = mockCommands({
    branding_view: () => view(BODY),
    check_branding: (args: Record<string, unknown>) => checkOf(args.body as UpdateBranding),
    save_branding_draft: async (args: Record<string, unknown>) => {
      const body = args.body as UpdateBranding;
      const done = deferred<void>();
      saves.push({ body, done });
      await done.promise;
      return view(body, true);
    },
  });
  return { ipc, saves };
}

async function loaded(onChanged = vi.fn()) {
  const hook = renderHook(() => useBrandingDraft(detail(), onChanged));
  await waitFor(() => expect(hook.result.current.load.data).toBeDefined());
  return hook;
}

describe("the branding draft's state", () => {
  it("lets a reload replace the form only when it holds no unsaved edit, or when forced", () => {
    const first = reduce(
      { view: null, draft: null, saved: null, adopted: null, saving: false, saveFailure: null },
      { type: "view", view: view(BODY), force: false },
    );
    expect(first.draft).toBe(BODY);
    expect(first.adopted).toEqual({ body: BODY, check: CLEAN });

    const synced = { ...BODY, company_name: "From a sync" };
    expect(reduce(first, { type: "view", view: view(synced), force: false }).draft).toBe(synced);

    const edited = reduce(first, { type: "edit", field: "company_name", value: "Typing" });
    const reloaded = reduce(edited, { type: "view", view: view(synced), force: false });
    expect(reloaded.draft?.company_name).toBe("Typing");
    expect(reloaded.saved).toBe(synced);
    expect(reduce(edited, { type: "view", view: view(synced), force: true }).draft).toBe(synced);
  });
});

describe("useBrandingDraft", () => {
  it("checks an edit once its typing rests, then saves it; the desk's own check is not asked again", async () => {
    const { ipc, saves } = desk();
    const onChanged = vi.fn();
    const { result } = await loaded(onChanged);
    expect(result.current.saveState).toBe("synced");
    expect(ipc.argsOf("check_branding")).toEqual([]);

    act(() => result.current.set("company_name", "A"));
    act(() => result.current.set("company_name", "Ac"));
    act(() => result.current.set("company_name", "Acm"));
    expect(result.current.saveState).toBe("unsaved");
    await waitFor(() => expect(saves).toHaveLength(1));
    expect(ipc.argsOf("check_branding")).toEqual([{ id: "acme", body: { ...BODY, company_name: "Acm" } }]);
    expect(saves[0]!.body.company_name).toBe("Acm");
    await waitFor(() => expect(result.current.saveState).toBe("saving"));

    await act(async () => saves[0]!.done.resolve());
    expect(result.current.saveState).toBe("draft");
    // The first draft of this client: the page hears of it.
    expect(onChanged).toHaveBeenCalledTimes(1);
  });

  it("never lets a save overtake the one in flight", async () => {
    const { saves } = desk();
    const { result } = await loaded();
    act(() => result.current.set("company_name", "First"));
    await waitFor(() => expect(saves).toHaveLength(1));

    act(() => result.current.set("company_name", "Second"));
    await wait(SAVE_DELAY_MS + 200);
    expect(saves).toHaveLength(1);

    await act(async () => saves[0]!.done.resolve());
    await waitFor(() => expect(saves).toHaveLength(2));
    expect(saves.map((s) => s.body.company_name)).toEqual(["First", "Second"]);
    await act(async () => saves[1]!.done.resolve());
    expect(result.current.saveState).toBe("draft");
  });

  it("does not save a body with errors", async () => {
    const { saves } = desk();
    const { result } = await loaded();
    act(() => result.current.set("primary_color", "#12"));
    await waitFor(() => expect(result.current.saveState).toBe("errors"));
    expect(result.current.fieldErrors).toEqual({ primary_color: "Enter a colour as #RRGGBB." });
    await wait(SAVE_DELAY_MS + 200);
    expect(saves).toHaveLength(0);
  });

  it("saves a checked edit still waiting for its turn when the tab is left", async () => {
    const { saves } = desk();
    const { result, unmount } = await loaded();
    act(() => result.current.set("company_name", "Leaving"));
    // The check of the edit has arrived; the save's own delay has not passed.
    await waitFor(() => expect(result.current.check?.warnings[0]?.message).toBe("Leaving"), {
      timeout: CHECK_DELAY_MS + 500,
    });
    expect(saves).toHaveLength(0);
    unmount();
    await waitFor(() => expect(saves).toHaveLength(1));
    expect(saves[0]!.body.company_name).toBe("Leaving");
  });
});
