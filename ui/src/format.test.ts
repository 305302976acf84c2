import { describe, expect, it } from "vitest";

import { formatBytes, formatMoney, formatMonth, last12Months, monthKey } from "./format";

describe("formatMoney", () => {
  it("writes exactly the currency's minor digits, from the decimal string", () => {
    expect(formatMoney({ amount: "0", currency: "EUR" })).toBe("0.00 EUR");
    expect(formatMoney({ amount: "19.5", currency: "EUR" })).toBe("19.50 EUR");
    expect(formatMoney({ amount: "1000", currency: "JPY" })).toBe("1000 JPY");
    expect(formatMoney({ amount: "1.2", currency: "BHD" })).toBe("1.200 BHD");
    // Beyond what a float holds exactly: the text is kept as is.
    expect(formatMoney({ amount: "90071992547409931.1", currency: "EUR" })).toBe(
      "90071992547409931.10 EUR",
    );
    expect(formatMoney(null)).toBe("—");
  });
});

describe("months", () => {
  it("names months, keys them in local time, and lists the 12 ending at one", () => {
    expect(formatMonth("2026-11")).toBe("Nov 2026");
    expect(formatMonth("soon")).toBe("soon");
    expect(monthKey(new Date(2026, 0, 31, 23, 59))).toBe("2026-01");
    const months = last12Months("2026-10");
    expect(months).toHaveLength(12);
    expect(months[0]).toBe("2025-11");
    expect(months[11]).toBe("2026-10");
  });
});

describe("formatBytes", () => {
  it("counts in bytes, then KB and MB of 1024", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1.0 KB");
    expect(formatBytes(12_595)).toBe("12.3 KB");
    expect(formatBytes(1_572_864)).toBe("1.5 MB");
  });
});
