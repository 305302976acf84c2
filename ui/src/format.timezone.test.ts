// Months are UTC whatever the desktop's time zone (the Rust `Period` counts them in UTC). This
// file runs in a zone 14 hours ahead of UTC, where local months start 14 hours early.
import { afterAll, describe, expect, it, vi } from "vitest";

import { formatMonth, last12Months, lastFullMonth, monthKey } from "./format";

vi.stubEnv("TZ", "Pacific/Kiritimati");
afterAll(() => {
  vi.unstubAllEnvs();
});

describe("months away from UTC", () => {
  it("still follow UTC", () => {
    // The zone took effect: 23:30 UTC on 31 January is already 1 February here.
    const lateJanuary = new Date("2026-01-31T23:30:00Z");
    expect(lateJanuary.getMonth()).toBe(1);
    expect(monthKey(lateJanuary)).toBe("2026-01");
    // Here it is 1 March, but February (UTC) is not over: the last full month is January.
    expect(lastFullMonth(new Date("2026-02-28T12:00:00Z"))).toBe("2026-01");
    expect(last12Months("2026-03")[0]).toBe("2025-04");
    expect(formatMonth("2026-03")).toMatch(/Mar/);
  });
});
