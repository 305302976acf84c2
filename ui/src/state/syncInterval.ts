// The automatic sync interval: chosen in Settings, kept in localStorage, read by AppState.
import { useEffect, useState } from "react";

export const SYNC_INTERVAL_KEY = "mspdesk.syncIntervalMinutes";
/** The choices, in minutes; 0 is off. */
export const SYNC_INTERVALS = [0, 1, 5, 15, 60] as const;
export const DEFAULT_SYNC_INTERVAL = 5;
const EVENT = "mspdesk:sync-interval";

/** The chosen interval in minutes (0: off); the default when nothing valid is stored. */
export function syncIntervalMinutes(): number {
  try {
    const raw = window.localStorage.getItem(SYNC_INTERVAL_KEY);
    const n = raw === null ? NaN : Number(raw);
    return (SYNC_INTERVALS as readonly number[]).includes(n) ? n : DEFAULT_SYNC_INTERVAL;
  } catch {
    return DEFAULT_SYNC_INTERVAL;
  }
}

/** Stores the interval and tells this window's listeners at once. */
export function setSyncIntervalMinutes(minutes: number) {
  try {
    window.localStorage.setItem(SYNC_INTERVAL_KEY, String(minutes));
  } catch {
    // Storage unavailable: the choice lasts for this run only.
  }
  window.dispatchEvent(new CustomEvent(EVENT, { detail: minutes }));
}

/** The interval in minutes, updated when it is changed (here or in another window). */
export function useSyncIntervalMinutes(): number {
  const [minutes, setMinutes] = useState(syncIntervalMinutes);
  useEffect(() => {
    const update = () => setMinutes(syncIntervalMinutes());
    const onStorage = (e: StorageEvent) => {
      if (e.key === null || e.key === SYNC_INTERVAL_KEY) update();
    };
    window.addEventListener(EVENT, update);
    window.addEventListener("storage", onStorage);
    return () => {
      window.removeEventListener(EVENT, update);
      window.removeEventListener("storage", onStorage);
    };
  }, []);
  return minutes;
}
