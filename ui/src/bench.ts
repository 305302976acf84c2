// The benchmark hook (`cargo xtask bench`): inert unless the app was started with MSPDESK_BENCH,
// which makes it set `window.__MSPDESK_BENCH__` before this code runs. Then the UI reports what
// only the webview can measure: the Unix time of its first paint and of the client list's first
// paint with rows, and for each keystroke in the client search the time to the next painted
// frame (the typed character) and to the frame showing the filtered list.
import { commands } from "./api/commands";

declare global {
  interface Window {
    __MSPDESK_BENCH__?: boolean;
  }
}

/** Whether the app runs under the benchmark. */
export function benchOn(): boolean {
  return typeof window !== "undefined" && window.__MSPDESK_BENCH__ === true;
}

/** Runs `f` once the frame after now has been painted (a task queued from the next frame's
 * animation callback runs after that frame's rendering). */
export function afterNextPaint(f: () => void) {
  requestAnimationFrame(() => setTimeout(f, 0));
}

function mark(name: string, value: number) {
  void commands.benchMark(name, value).catch(() => undefined);
}

/** Reports the Unix time (ms) of the next painted frame under `name`. */
export function markPaint(name: string) {
  if (!benchOn()) return;
  afterNextPaint(() => mark(name, performance.timeOrigin + performance.now()));
}

/** Reports the milliseconds from an input event (its `timeStamp`) to the next painted frame. */
export function markSince(name: string, eventTimeStamp: number) {
  if (!benchOn()) return;
  afterNextPaint(() => mark(name, performance.now() - eventTimeStamp));
}
