import { createHash } from "node:crypto";
import type { SiesaRow, SourceRecord } from "../../../core/domain/model.js";

/** Siesa pads CHAR columns (and sometimes keys) with trailing spaces: trim both. */
export function trimRow(raw: Record<string, unknown>): SiesaRow {
  const row: SiesaRow = {};
  for (const [key, value] of Object.entries(raw)) {
    row[key.trim()] =
      typeof value === "string"
        ? value.trim()
        : typeof value === "number" || typeof value === "boolean" || value === null
          ? value
          : value === undefined
            ? null
            : JSON.stringify(value);
  }
  return row;
}

/**
 * An integer column, whether it came as a number or as a numeric string: read as the mapping's
 * `toInteger` reads it, so that a row whose f120_id maps has that id as its key.
 */
export function integerOf(value: SiesaRow[string] | undefined): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === "string" && /^[+-]?\d+$/.test(value.trim())) {
    const n = Number(value.trim());
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

/**
 * The record's identity: its `f120_id`. A row without an integer id still gets a stable key
 * (a hash of its content) so it reaches the mapping, which rejects it with a reason, instead of
 * vanishing here.
 */
export function recordKey(item: SiesaRow): string {
  const id = integerOf(item.f120_id);
  if (id !== undefined) return String(id);
  const canonical = JSON.stringify(
    Object.keys(item)
      .sort()
      .map((k) => [k, item[k]]),
  );
  return `row:${createHash("sha256").update(canonical).digest("hex").slice(0, 16)}`;
}

/**
 * De-duplicates items by key and barcodes by (reference, barcode), then joins barcodes to items by
 * their trimmed `f120_referencia`, the only column the two queries share (barcode rows have no
 * `f120_id` and no company). Rows are expected already trimmed; items of one ERP company. A barcode
 * whose reference matches no item is joined to nothing.
 */
export function buildRecords(items: readonly SiesaRow[], barcodes: readonly SiesaRow[]): SourceRecord[] {
  const byReference = new Map<string, Map<string, SiesaRow>>();
  for (const barcode of barcodes) {
    const reference = String(barcode.f120_referencia ?? "");
    if (reference === "") continue;
    const set = byReference.get(reference) ?? new Map<string, SiesaRow>();
    byReference.set(reference, set);
    set.set(String(barcode.f131_id ?? ""), barcode);
  }
  const records = new Map<string, SourceRecord>();
  for (const item of items) {
    const key = recordKey(item);
    if (records.has(key)) continue;
    const reference = String(item.f120_referencia ?? "");
    const joined = reference === "" ? undefined : byReference.get(reference);
    records.set(key, { key, item, barcodes: joined ? [...joined.values()] : [] });
  }
  return [...records.values()];
}
