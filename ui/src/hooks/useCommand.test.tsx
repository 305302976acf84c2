import { act, renderHook, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { CommandError } from "../api/commands";
import { CommandResult } from "../components/CommandResult";
import { AppStateProvider, useRefresh } from "../state/AppState";
import { ACCOUNT } from "../test/fixtures";
import { deferred, mockCommands } from "../test/ipc";
import { renderApp } from "../test/render";
import { useCommand, type Command } from "./useCommand";

/** A command whose answers the test gives, one call at a time. */
function controlled<T>() {
  const calls: Array<{ arg: unknown; answer: ReturnType<typeof deferred<T>> }> = [];
  const run = (arg: unknown) => {
    const answer = deferred<T>();
    calls.push({ arg, answer });
    return answer.promise;
  };
  return { calls, run };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("useCommand", () => {
  it("loads, then holds the answer", async () => {
    const c = controlled<string>();
    const { result } = renderHook(() => useCommand(() => c.run("a"), []));
    expect(result.current).toMatchObject({ data: undefined, error: null, loading: true });
    await act(async () => c.calls[0]!.answer.resolve("A"));
    expect(result.current).toMatchObject({ data: "A", error: null, loading: false });
    expect(c.calls).toHaveLength(1);
  });

  it("keeps only the answer to the latest inputs, whatever order the answers come in", async () => {
    const c = controlled<string>();
    const { result, rerender } = renderHook(({ id }) => useCommand(() => c.run(id), [id]), {
      initialProps: { id: "a" },
    });
    rerender({ id: "b" });
    expect(c.calls.map((x) => x.arg)).toEqual(["a", "b"]);
    await act(async () => c.calls[1]!.answer.resolve("B"));
    await act(async () => c.calls[0]!.answer.resolve("A, too late"));
    expect(result.current).toMatchObject({ data: "B", loading: false });
  });

  it("renders nothing from an answer that arrives after unmount", async () => {
    const errors = vi.spyOn(console, "error");
    const c = controlled<string>();
    const seen: Array<string | undefined> = [];
    const { unmount } = renderHook(() => {
      const command = useCommand(() => c.run("a"), []);
      seen.push(command.data);
      return command;
    });
    unmount();
    await act(async () => c.calls[0]!.answer.resolve("A"));
    expect(seen).not.toContain("A");
    expect(errors).not.toHaveBeenCalled();
  });

  it("shows new inputs as loading, unless asked to keep the previous answer", async () => {
    const c = controlled<string>();
    const plain = renderHook(({ id }) => useCommand(() => c.run(id), [id]), { initialProps: { id: "a" } });
    await act(async () => c.calls[0]!.answer.resolve("A"));
    plain.rerender({ id: "b" });
    expect(plain.result.current).toMatchObject({ data: undefined, loading: true });

    const kept = renderHook(({ id }) => useCommand(() => c.run(id), [id], { keepPrevious: true }), {
      initialProps: { id: "a" },
    });
    await act(async () => c.calls[2]!.answer.resolve("A"));
    kept.rerender({ id: "b" });
    expect(kept.result.current).toMatchObject({ data: "A", loading: true });
    await act(async () => c.calls[3]!.answer.resolve("B"));
    expect(kept.result.current).toMatchObject({ data: "B", loading: false });
  });

  it("reports a failure as a CommandError, and loads again on reload", async () => {
    const c = controlled<string>();
    const { result } = renderHook(() => useCommand(() => c.run("a"), []));
    await act(async () => c.calls[0]!.answer.reject(new CommandError("offline", "No network.")));
    expect(result.current.error).toBeInstanceOf(CommandError);
    expect(result.current).toMatchObject({ data: undefined, loading: false, error: { code: "offline" } });

    act(() => result.current.reload());
    expect(result.current).toMatchObject({ data: undefined, error: null, loading: true });
    await act(async () => c.calls[1]!.answer.reject("not an Error"));
    expect(result.current.error).toMatchObject({ code: "internal", message: "not an Error" });

    act(() => result.current.reload());
    await act(async () => c.calls[2]!.answer.resolve("A"));
    expect(result.current).toMatchObject({ data: "A", error: null, loading: false });
  });

  it("loads again when the app's data version moves, showing the answer it has meanwhile", async () => {
    mockCommands({});
    const c = controlled<string>();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <AppStateProvider initialAccount={ACCOUNT} onSignedOut={() => {}} autoSyncMs={0}>
        {children}
      </AppStateProvider>
    );
    const { result } = renderHook(
      () => ({
        followed: useCommand(() => c.run("followed"), []),
        fixed: useCommand(() => c.run("fixed"), [], { followDataVersion: false }),
        refresh: useRefresh(),
      }),
      { wrapper },
    );
    await act(async () => c.calls.forEach((x) => x.answer.resolve("1")));
    act(() => result.current.refresh());
    expect(c.calls.map((x) => x.arg)).toEqual(["followed", "fixed", "followed"]);
    expect(result.current.followed).toMatchObject({ data: "1", loading: true });
    await act(async () => c.calls[2]!.answer.resolve("2"));
    expect(result.current.followed).toMatchObject({ data: "2", loading: false });
    expect(result.current.fixed).toMatchObject({ data: "1", loading: false });
  });

  it("waits until the inputs rest for delayMs", async () => {
    vi.useFakeTimers();
    try {
      const c = controlled<string>();
      const { rerender } = renderHook(({ text }) => useCommand(() => c.run(text), [text], { delayMs: 250 }), {
        initialProps: { text: "a" },
      });
      act(() => vi.advanceTimersByTime(100));
      rerender({ text: "ab" });
      act(() => vi.advanceTimersByTime(100));
      rerender({ text: "abc" });
      expect(c.calls).toHaveLength(0);
      act(() => vi.advanceTimersByTime(250));
      expect(c.calls.map((x) => x.arg)).toEqual(["abc"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not call while disabled, and calls again each time it is enabled", async () => {
    const c = controlled<string>();
    const { result, rerender } = renderHook(({ on }) => useCommand(() => c.run("a"), [], { enabled: on }), {
      initialProps: { on: false },
    });
    expect(c.calls).toHaveLength(0);
    expect(result.current).toMatchObject({ data: undefined, loading: false });
    rerender({ on: true });
    await act(async () => c.calls[0]!.answer.resolve("A"));
    rerender({ on: false });
    rerender({ on: true });
    expect(c.calls).toHaveLength(2);
    expect(result.current).toMatchObject({ data: "A", loading: true });
  });
});

describe("CommandResult", () => {
  const command = (over: Partial<Command<string>>): Command<string> => ({
    data: undefined,
    error: null,
    loading: true,
    reload: () => {},
    ...over,
  });

  it("shows what is loading, then the data", () => {
    const view = (c: Command<string>) => (
      <CommandResult command={c} testId="thing" loading="Loading the thing…" failure="Could not load the thing">
        {(data) => <p data-testid="thing-data">{data}</p>}
      </CommandResult>
    );
    const { rerender } = renderApp(view(command({})));
    expect(screen.getByTestId("thing-loading")).toHaveTextContent("Loading the thing…");
    rerender(view(command({ data: "Thing", loading: false })));
    expect(screen.getByTestId("thing-data")).toHaveTextContent("Thing");
    expect(screen.queryByTestId("thing-loading")).not.toBeInTheDocument();
  });

  it("shows the error with its title and Try again, or as the screen words it", async () => {
    const reload = vi.fn();
    const error = new CommandError("offline", "No network.");
    const { unmount } = renderApp(
      <CommandResult command={command({ error, reload })} testId="thing" loading="…" failure="Could not load the thing">
        {() => null}
      </CommandResult>,
    );
    expect(screen.getByTestId("thing-error")).toHaveTextContent("Could not load the thing");
    expect(screen.getByTestId("thing-error")).toHaveTextContent("No network.");
    await userEvent.setup().click(screen.getByRole("button", { name: "Try again" }));
    expect(reload).toHaveBeenCalledTimes(1);
    unmount();

    renderApp(
      <CommandResult
        command={command({ error })}
        testId="thing"
        errorTestId="thing-load-error"
        loading="…"
        failure={(e) => ({ message: e.code === "offline" ? "You are offline." : e.message, color: "gray" })}
      >
        {() => null}
      </CommandResult>,
    );
    await waitFor(() => expect(screen.getByTestId("thing-load-error")).toHaveTextContent("You are offline."));
    expect(screen.getByTestId("thing-retry")).toBeInTheDocument();
  });
});
