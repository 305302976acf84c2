// Every date, number and month the UI shows is written here, in one locale (the webview's by
// default), and every month is counted here, in UTC like the Rust `Period`.
import type { Money } from "./bindings/Money";

/** The locale of dates and numbers; undefined is the runtime's (the webview's) default. */
let formatLocale: string | undefined;

/**
 * Writes dates and numbers in `locale` from now on (a BCP 47 tag such as "de-DE"; undefined:
 * the webview's default). For when the desk reports the operating system's regional format,
 * which can differ from the language the webview reports (English with German dates).
 */
export function setFormatLocale(locale: string | undefined) {
  formatLocale = locale;
  formatters.clear();
}

const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat | Intl.RelativeTimeFormat>();

function cached<T extends Intl.DateTimeFormat | Intl.NumberFormat | Intl.RelativeTimeFormat>(
  key: string,
  make: () => T,
): T {
  let f = formatters.get(key);
  if (!f) {
    f = make();
    formatters.set(key, f);
  }
  return f as T;
}

function dateFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return cached(`date ${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(formatLocale, options));
}

function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return cached(`number ${JSON.stringify(options)}`, () => new Intl.NumberFormat(formatLocale, options));
}

/** The currency's minor digits (EUR 2, JPY 0, BHD 3), as the platform knows them. */
function minorDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
        .maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * A decimal string in the locale's digits grouping and decimal sign, exactly as written (never
 * through a floating-point number), with at least `minDigits` fraction digits: "1234.5" →
 * "1,234.50" in en-US, "1.234,50" in de-DE. Text that is not a decimal is returned as it is.
 */
export function formatDecimal(text: string, minDigits = 0): string {
  const m = DECIMAL.exec(text);
  if (!m) return text;
  const [, sign = "", whole = "0", fraction = ""] = m;
  const nf = numberFormat({ maximumFractionDigits: 0 });
  // The locale's layout of a signed integer (where the minus goes), with our digits in it.
  const parts = nf.formatToParts(sign ? -1 : 1);
  const grouped = nf.format(BigInt(whole));
  // The fraction's digits in the locale's numerals too.
  const digits = fraction.padEnd(minDigits, "0").replace(/\d/g, (d) => nf.format(Number(d)));
  const decimal = digits
    ? `${numberFormat({ minimumFractionDigits: 1 }).formatToParts(1.5).find((p) => p.type === "decimal")?.value ?? "."}${digits}`
    : "";
  return parts.map((p) => (p.type === "integer" ? grouped + decimal : p.value)).join("");
}

/**
 * "1,234.50 EUR": the amount as the server sent it, with exactly the currency's minor digits
 * (more only when the server sent more), in the locale's notation; "—" when unknown.
 */
export function formatMoney(money: Money | null | undefined): string {
  if (!money) return "—";
  return `${formatDecimal(money.amount, minorDigits(money.currency))} ${money.currency}`;
}

/** A number with at most `fractionDigits` decimals (exactly that many when `fixed`). */
export function formatNumber(value: number, fractionDigits = 0, fixed = false): string {
  return numberFormat({
    maximumFractionDigits: fractionDigits,
    minimumFractionDigits: fixed ? fractionDigits : 0,
  }).format(value);
}

/** "512 B", "12.3 KB", "1.5 MB" (1 KB = 1024 bytes, as file dialogs count). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${formatNumber(bytes)} B`;
  if (bytes < 1024 * 1024) return `${formatNumber(bytes / 1024, 1, true)} KB`;
  return `${formatNumber(bytes / (1024 * 1024), 1, true)} MB`;
}

const DATE_TIME: Intl.DateTimeFormatOptions = {
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
};

/** An absolute date and time in the local time zone ("1.12.2026, 09:30:00" in de-DE). */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat(DATE_TIME).format(date);
}

/** A date in the local time zone ("1.12.2026" in de-DE, "12/1/2026" in en-US). */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat({}).format(date);
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "5 minutes ago", "just now". */
export function formatRelative(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  const rtf = cached("relative", () => new Intl.RelativeTimeFormat(formatLocale, { numeric: "auto" }));
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

const PERIOD = /^(\d{4})-(\d{2})$/;

/** The first instant of a "YYYY-MM" period, in UTC; null when the text is not one. */
function periodStart(period: string): Date | null {
  const m = PERIOD.exec(period);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : null;
}

/** "YYYY-MM" of the month an instant falls in, in UTC (as the Rust `Period` counts months). */
export function monthKey(date: Date = new Date()): string {
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** The month `delta` months from `period` ("2026-01", -1 → "2025-12"); the text when not a month. */
export function addMonths(period: string, delta: number): string {
  const start = periodStart(period);
  if (!start) return period;
  return monthKey(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + delta, 1)));
}

/** The last full month before `now` ("YYYY-MM", UTC). */
export function lastFullMonth(now: Date = new Date()): string {
  return addMonths(monthKey(now), -1);
}

/** The 12 months ending at `period` ("YYYY-MM"), oldest first. */
export function last12Months(period: string): string[] {
  if (!periodStart(period)) return [];
  return Array.from({ length: 12 }, (_, i) => addMonths(period, i - 11));
}

/** "2026-11" → "Nov 2026" ("November 2026" with `long`); the text itself when it is not a month. */
export function formatMonth(period: string, long = false): string {
  const start = periodStart(period);
  if (!start) return period;
  return dateFormat({ month: long ? "long" : "short", year: "numeric", timeZone: "UTC" }).format(start);
}
