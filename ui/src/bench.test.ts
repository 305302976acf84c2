import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "@testing-library/react";

import { benchOn, markPaint, markSince } from "./bench";
import { mockCommands } from "./test/ipc";

describe("the benchmark hook", () => {
  afterEach(() => {
    delete window.__MSPDESK_BENCH__;
  });

  it("reports nothing unless the app set the flag", async () => {
    const ipc = mockCommands({ bench_mark: null });
    expect(benchOn()).toBe(false);
    markPaint("first-paint");
    markSince("keystroke", performance.now());
    await new Promise((r) => setTimeout(r, 100));
    expect(ipc.calls).toEqual([]);
  });

  it("reports a paint's Unix time and a keystroke's delay once a frame is painted", async () => {
    window.__MSPDESK_BENCH__ = true;
    const ipc = mockCommands({ bench_mark: null });
    const before = Date.now();
    markPaint("first-paint");
    markSince("keystroke", performance.now() - 5);
    await waitFor(() => expect(ipc.argsOf("bench_mark")).toHaveLength(2));
    const [paint, key] = ipc.argsOf("bench_mark");
    expect(paint?.name).toBe("first-paint");
    expect(paint?.value as number).toBeGreaterThanOrEqual(before - 1);
    expect(paint?.value as number).toBeLessThan(Date.now() + 1);
    expect(key?.name).toBe("keystroke");
    expect(key?.value as number).toBeGreaterThanOrEqual(5);
  });
});
