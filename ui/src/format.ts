import type { Money } from "./bindings/Money";

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

/**
 * "12.30 EUR" — the decimal string as the server sent it, padded to the currency's minor
 * digits on the text (never through a floating-point number); "—" when unknown.
 */
export function formatMoney(money: Money | null | undefined): string {
  if (!money) return "—";
  const digits = minorDigits(money.currency);
  const [whole, fraction = ""] = money.amount.split(".");
  const padded = digits > 0 ? `${whole}.${fraction.padEnd(digits, "0")}` : money.amount;
  return `${fraction.length > digits ? money.amount : padded} ${money.currency}`;
}

/** An absolute date and time in the user's locale. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A date in the user's locale. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString();
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
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

/** "YYYY-MM" of a date, in local time. */
export function monthKey(date: Date = new Date()): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}`;
}

/** "2026-11" → "Nov 2026" (the text itself when it is not a month). */
export function formatMonth(period: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!m) return period;
  return new Date(Number(m[1]), Number(m[2]) - 1, 1).toLocaleString("en", { month: "short", year: "numeric" });
}

/** The 12 months ending at `period` ("YYYY-MM"), oldest first. */
export function last12Months(period: string): string[] {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!m) return [];
  const year = Number(m[1]);
  const month = Number(m[2]) - 1;
  const out: string[] = [];
  for (let i = 11; i >= 0; i -= 1) out.push(monthKey(new Date(year, month - i, 1)));
  return out;
}

/** "512 B", "12.3 KB", "1.5 MB" (1 KB = 1024 bytes, as file dialogs count). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
