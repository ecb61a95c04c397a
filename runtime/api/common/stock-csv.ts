import type { StockRow } from "../../core/steps/stock-snapshot.js";
import { csvField } from "./exceptions-csv.js";

/**
 * Expected stock as CSV (RFC 4180, CRLF line ends), one row per item, warehouse and installation.
 * Codes and references are Siesa's text, written as csvField writes outside text; quantities are
 * our own numbers, written as numbers (a negative one keeps its minus sign: it is no formula).
 * `rejected`: why the served run rejected the row (its quantities are then an earlier read's, or
 * empty when no read could map it), else empty.
 */

export const STOCK_CSV_COLUMNS = [
  "warehouse",
  "f120_id",
  "reference",
  "installation",
  "on_hand",
  "committed",
  "pos",
  "expected",
  "rejected",
] as const;

/** A quantity as a number, or empty for a rejected row no read could map. */
const quantity = (n: number | null) => (n === null ? "" : String(n));

export const stockCsvHeader = (): string => `${STOCK_CSV_COLUMNS.join(",")}\r\n`;

export const stockCsvRows = (rows: readonly StockRow[]): string =>
  rows
    .map(({ stock: s, rejected }) =>
      [
        csvField(s.warehouse),
        String(s.item),
        csvField(s.reference ?? ""),
        csvField(s.installation),
        quantity(s.onHand),
        quantity(s.committed),
        quantity(s.pos),
        quantity(s.expected),
        csvField(rejected ?? ""),
      ].join(","),
    )
    .map((line) => `${line}\r\n`)
    .join("");
