import { afterEach, describe, expect, it } from "vitest";

import {
  addMonths,
  formatBytes,
  formatDate,
  formatDateTime,
  formatDecimal,
  formatMoney,
  formatMonth,
  formatNumber,
  last12Months,
  lastFullMonth,
  monthKey,
  setFormatLocale,
} from "./format";

afterEach(() => setFormatLocale(undefined));

describe("formatMoney", () => {
  it("writes exactly the currency's minor digits, from the decimal string", () => {
    setFormatLocale("en-US");
    expect(formatMoney({ amount: "0", currency: "EUR" })).toBe("0.00 EUR");
    expect(formatMoney({ amount: "19.5", currency: "EUR" })).toBe("19.50 EUR");
    expect(formatMoney({ amount: "1000", currency: "JPY" })).toBe("1,000 JPY");
    expect(formatMoney({ amount: "1.2", currency: "BHD" })).toBe("1.200 BHD");
    expect(formatMoney({ amount: "-0.5", currency: "EUR" })).toBe("-0.50 EUR");
    // More digits than the currency has are kept, as sent.
    expect(formatMoney({ amount: "11.5", currency: "JPY" })).toBe("11.5 JPY");
    // Beyond what a float holds exactly: the digits are kept as they are.
    expect(formatMoney({ amount: "90071992547409931.1", currency: "EUR" })).toBe(
      "90,071,992,547,409,931.10 EUR",
    );
    expect(formatMoney(null)).toBe("—");
  });
});

describe("the locale", () => {
  it("writes dates and numbers as the given locale does", () => {
    // Noon UTC: the same calendar day in every time zone the tests may run in.
    const noon = "2026-12-01T12:00:00Z";
    setFormatLocale("de-DE");
    expect(formatDate(noon)).toBe("1.12.2026");
    expect(formatDateTime(noon)).toMatch(/^1\.12\.2026, \d{2}:00:00$/);
    expect(formatMoney({ amount: "1234.5", currency: "EUR" })).toBe("1.234,50 EUR");
    expect(formatDecimal("-0.92")).toBe("-0,92");
    expect(formatNumber(1.07, 2, true)).toBe("1,07");
    expect(formatBytes(12_595)).toBe("12,3 KB");
    expect(formatMonth("2026-11")).toBe("Nov. 2026");

    setFormatLocale("en-US");
    expect(formatDate(noon)).toBe("12/1/2026");
    expect(formatMoney({ amount: "1234.5", currency: "EUR" })).toBe("1,234.50 EUR");
    expect(formatMonth("2026-11")).toBe("Nov 2026");
    expect(formatMonth("2026-11", true)).toBe("November 2026");
  });

  it("is the webview's default unless one is set", () => {
    const noon = "2026-12-01T12:00:00Z";
    expect(formatDate(noon)).toBe(new Date(noon).toLocaleDateString());
    expect(formatDateTime(noon)).toBe(new Date(noon).toLocaleString());
    expect(formatDate("not a date")).toBe("not a date");
  });
});

describe("months", () => {
  it("key instants by their UTC month, count months, and list the 12 ending at one", () => {
    expect(monthKey(new Date("2026-01-31T23:59:00Z"))).toBe("2026-01");
    expect(monthKey(new Date("2026-02-01T00:00:00Z"))).toBe("2026-02");
    expect(addMonths("2026-01", -1)).toBe("2025-12");
    expect(addMonths("2025-12", 1)).toBe("2026-01");
    expect(addMonths("soon", 1)).toBe("soon");
    expect(lastFullMonth(new Date("2026-01-05T00:00:00Z"))).toBe("2025-12");
    expect(formatMonth("soon")).toBe("soon");
    const months = last12Months("2026-10");
    expect(months).toHaveLength(12);
    expect(months[0]).toBe("2025-11");
    expect(months[11]).toBe("2026-10");
    expect(last12Months("soon")).toEqual([]);
  });
});

describe("formatBytes", () => {
  it("counts in bytes, then KB and MB of 1024", () => {
    setFormatLocale("en-US");
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1,023 B");
    expect(formatBytes(1024)).toBe("1.0 KB");
    expect(formatBytes(12_595)).toBe("12.3 KB");
    expect(formatBytes(1_572_864)).toBe("1.5 MB");
  });
});
