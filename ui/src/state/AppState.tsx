// App-wide state of a signed-in desk: the account, the sync (status, progress, Sync now/Cancel),
// and a data version that screens depend on so they reload after a sync or a change.
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from "react";

import { commands, errorMessage, events, toCommandError, type CommandError } from "../api/commands";
import type { Account } from "../bindings/Account";
import type { Progress } from "../bindings/Progress";
import type { SignOut } from "../bindings/SignOut";
import type { SyncSummary } from "../bindings/SyncSummary";
import { DEFAULT_SYNC_INTERVAL, useSyncIntervalMinutes } from "./syncInterval";

/** Automatic sync while signed in, by default (Settings > Sync changes it). */
export const AUTO_SYNC_MS = DEFAULT_SYNC_INTERVAL * 60 * 1000;

export type Reachability = "online" | "offline" | "unknown";

/** How the first sync (started by the sign-in screen) ended. */
export type FirstSync = { summary: SyncSummary } | { error: CommandError } | null;

export interface SyncState {
  running: boolean;
  progress: Progress | null;
  reachability: Reachability;
  /** The last sync's failure (other than offline or cancelled), for the status bar. */
  error: string | null;
  lastSummary: SyncSummary | null;
}

export interface AppState {
  account: Account;
  /** Bumped after every sync and every change: screens reload when it changes. */
  dataVersion: number;
  refresh: () => void;
  sync: SyncState;
  syncNow: () => Promise<void>;
  cancelSync: () => Promise<void>;
  /** Signs out as `choice` says about unsent work (see SignOutDialog). */
  signOut: (choice: SignOut) => Promise<void>;
}

const AppStateContext = createContext<AppState | null>(null);

export function useAppState(): AppState {
  const state = useContext(AppStateContext);
  if (!state) {
    throw new Error("useAppState outside AppStateProvider");
  }
  return state;
}

/** The app state, or null outside a signed-in desk. */
export function useOptionalAppState(): AppState | null {
  return useContext(AppStateContext);
}

/** The data version, or 0 outside a signed-in desk (for screens rendered alone in tests). */
export function useDataVersion(): number {
  return useContext(AppStateContext)?.dataVersion ?? 0;
}

/** `refresh`, or a no-op outside a signed-in desk. */
export function useRefresh(): () => void {
  return useContext(AppStateContext)?.refresh ?? noop;
}

function noop() {}

function initialSync(first: FirstSync): SyncState {
  const base: SyncState = {
    running: false,
    progress: null,
    reachability: "unknown",
    error: null,
    lastSummary: null,
  };
  if (!first) return base;
  if ("summary" in first) return { ...base, reachability: "online", lastSummary: first.summary };
  const { code } = first.error;
  if (code === "offline") return { ...base, reachability: "offline" };
  if (code === "cancelled") return base;
  return { ...base, error: first.error.message };
}

export function AppStateProvider({
  initialAccount,
  firstSync = null,
  onSignedOut,
  autoSyncMs,
  children,
}: {
  initialAccount: Account;
  firstSync?: FirstSync;
  /** Called after sign out or when the session expired. */
  onSignedOut: () => void;
  /** Overrides the interval chosen in Settings (tests); 0 turns automatic sync off. */
  autoSyncMs?: number;
  children: ReactNode;
}) {
  const [account, setAccount] = useState(initialAccount);
  const [dataVersion, setDataVersion] = useState(0);
  const [sync, setSync] = useState<SyncState>(() => initialSync(firstSync));
  const running = useRef(false);
  const chosenMinutes = useSyncIntervalMinutes();
  const intervalMs = autoSyncMs ?? chosenMinutes * 60 * 1000;

  const refresh = useCallback(() => setDataVersion((v) => v + 1), []);

  const reloadAccount = useCallback(() => {
    commands
      .session()
      .then((a) => {
        if (a) setAccount(a);
      })
      .catch(() => {});
  }, []);

  const syncNow = useCallback(async () => {
    if (running.current) return;
    running.current = true;
    setSync((s) => ({ ...s, running: true, progress: null }));
    try {
      const summary = await commands.syncNow((progress) =>
        setSync((s) => ({ ...s, progress })),
      );
      setSync((s) => ({ ...s, reachability: "online", error: null, lastSummary: summary }));
    } catch (error) {
      const { code } = toCommandError(error);
      setSync((s) => {
        if (code === "offline") return { ...s, reachability: "offline", error: null };
        if (code === "cancelled") return s;
        return { ...s, error: errorMessage(error) };
      });
    } finally {
      running.current = false;
      setSync((s) => ({ ...s, running: false, progress: null }));
      refresh();
      reloadAccount();
    }
  }, [refresh, reloadAccount]);

  const cancelSync = useCallback(async () => {
    await commands.cancelSync().catch(() => false);
  }, []);

  const signOut = useCallback(async (choice: SignOut) => {
    await commands.signOut(choice);
    onSignedOut();
  }, [onSignedOut]);

  // Events from Rust: sync status (also for syncs this window did not start) and session expiry.
  useEffect(() => {
    let disposed = false;
    const unlisten: Array<() => void> = [];
    const keep = (p: Promise<() => void>) =>
      p
        .then((u) => (disposed ? u() : unlisten.push(u)))
        .catch(() => {});
    keep(
      events.onSyncStatus((status) => {
        switch (status.state) {
          case "syncing":
            setSync((s) => ({ ...s, running: true }));
            break;
          case "synced":
            setSync((s) => ({
              ...s,
              running: running.current,
              reachability: "online",
              error: null,
              lastSummary: status.summary,
            }));
            if (!running.current) {
              refresh();
              reloadAccount();
            }
            break;
          case "offline":
            setSync((s) => ({ ...s, running: running.current, reachability: "offline" }));
            break;
          case "failed":
            setSync((s) => ({
              ...s,
              running: running.current,
              reachability: status.error.code === "offline" ? "offline" : s.reachability,
              error: status.error.code === "offline" ? null : status.error.message,
            }));
            break;
        }
      }),
    );
    keep(events.onSessionExpired(onSignedOut));
    return () => {
      disposed = true;
      unlisten.forEach((u) => u());
    };
  }, [onSignedOut, refresh, reloadAccount]);

  // Automatic sync while signed in.
  useEffect(() => {
    if (intervalMs <= 0) return;
    const timer = window.setInterval(() => void syncNow(), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs, syncNow]);

  const value = useMemo<AppState>(
    () => ({ account, dataVersion, refresh, sync, syncNow, cancelSync, signOut }),
    [account, dataVersion, refresh, sync, syncNow, cancelSync, signOut],
  );
  return <AppStateContext.Provider value={value}>{children}</AppStateContext.Provider>;
}
