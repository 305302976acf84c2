import { describe, expect, it } from "vitest";

import { formatMoney } from "./format";

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
