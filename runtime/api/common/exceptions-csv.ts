import type { RecordError } from "../../core/domain/model.js";

/**
 * A run's exceptions as CSV (RFC 4180): a header row, then one row per exception, CRLF line ends.
 * A field with a quote, comma or line break is quoted (its quotes doubled). A field a spreadsheet
 * would take for a formula (it starts with = + - @) gets a leading apostrophe: a product's answer is
 * outside text, and must open as text.
 */

export const EXCEPTION_COLUMNS = ["f120_id", "reference", "outcome", "step", "field", "reason"] as const;

export function csvField(value: string): string {
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const row = (fields: readonly string[]) => `${fields.map(csvField).join(",")}\r\n`;

export const csvHeader = (): string => row(EXCEPTION_COLUMNS);

export const csvRows = (exceptions: readonly RecordError[]): string =>
  exceptions
    .map((e) => row([e.key, e.reference ?? "", e.outcome, e.step ?? "", e.field ?? "", e.reason]))
    .join("");
