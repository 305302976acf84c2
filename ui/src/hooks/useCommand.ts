// The one way a screen loads a command's result: call it when its inputs change (and when the
// app's data version moves), keep only the latest call's answer, never set state after unmount.
// `CommandResult` (../components/CommandResult.tsx) shows the loading, the error with "Try
// again", or the data.
import { useCallback, useEffect, useState, type DependencyList } from "react";

import { toCommandError, type CommandError } from "../api/commands";
import { useDataVersion } from "../state/AppState";

export interface Command<T> {
  /**
   * The answer for the current inputs; while the same inputs load again (a retry, a newer data
   * version) the previous answer, and with `keepPrevious` also the answer for earlier inputs.
   * Undefined until there is one, and after a failure.
   */
  data: T | undefined;
  /** Why the latest call failed (null while a new call is running). */
  error: CommandError | null;
  /** A call for the current inputs is running (or waiting out `delayMs`). */
  loading: boolean;
  /** Calls again with the same inputs. */
  reload: () => void;
}

export interface CommandOptions {
  /** False: do not call (yet). Turning it on again calls again. Default true. */
  enabled?: boolean;
  /** Show the previous inputs' answer while new inputs load (a filter), not nothing. */
  keepPrevious?: boolean;
  /** Call again when the app's data version moves (after a sync or a change). Default true. */
  followDataVersion?: boolean;
  /** Wait this long after the last change of the inputs before calling (debounce). */
  delayMs?: number;
}

/** What one call answered, and for which inputs. */
interface Settled<T> {
  deps: DependencyList;
  version: number;
  attempt: number;
  data: T | undefined;
  error: CommandError | null;
}

function sameDeps(a: DependencyList, b: DependencyList): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}

/**
 * Calls `run` now and whenever `deps` (the values `run` uses, as for `useEffect`) change. Only
 * the latest call's answer is kept: an answer to superseded inputs, or one arriving after
 * unmount, is dropped.
 */
export function useCommand<T>(
  run: () => Promise<T>,
  deps: DependencyList,
  { enabled = true, keepPrevious = false, followDataVersion = true, delayMs = 0 }: CommandOptions = {},
): Command<T> {
  const appVersion = useDataVersion();
  const version = followDataVersion ? appVersion : 0;
  const [attempt, setAttempt] = useState(0);
  const [settled, setSettled] = useState<Settled<T> | null>(null);
  const reload = useCallback(() => setAttempt((a) => a + 1), []);

  // Turned on again: call again, whatever was answered before.
  const [wasEnabled, setWasEnabled] = useState(enabled);
  if (wasEnabled !== enabled) {
    setWasEnabled(enabled);
    if (enabled) setAttempt((a) => a + 1);
  }

  useEffect(
    () => {
      if (!enabled) return;
      let live = true;
      const request = { deps, version, attempt };
      const call = () => {
        run().then(
          (data) => {
            if (live) setSettled({ ...request, data, error: null });
          },
          (error: unknown) => {
            if (live) setSettled({ ...request, data: undefined, error: toCommandError(error) });
          },
        );
      };
      const timer = delayMs > 0 ? setTimeout(call, delayMs) : undefined;
      if (timer === undefined) call();
      return () => {
        live = false;
        clearTimeout(timer);
      };
    },
    // `run` is new at every render; `deps` stand for what it uses (checked at every call site:
    // useCommand is one of exhaustive-deps' additionalHooks in eslint.config.js).
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [enabled, version, attempt, delayMs, ...deps],
  );

  const same = settled !== null && sameDeps(settled.deps, deps);
  if (same && settled.version === version && settled.attempt === attempt) {
    return { data: settled.data, error: settled.error, loading: false, reload };
  }
  const kept = settled !== null && settled.error === null && (same || keepPrevious) ? settled.data : undefined;
  return { data: kept, error: null, loading: enabled, reload };
}
