import type { ExpectedStock } from "../domain/expected-stock.js";
import type { ProductRecord, SiesaRow, SourceRecord } from "../domain/model.js";
import type { StockDeduction, Tenant } from "../domain/tenant.js";
import type { RecordMapper } from "../ports/records.js";

export type { ExpectedStock };

/** The columns of a stock row the stream reads (docs/integrations/stock-and-locations.md). */
export const STOCK_COLUMNS = {
  item: "f120_id",
  reference: "f120_referencia",
  warehouse: "f150_id",
  installation: "f400_id_instalacion",
  onHand: "f400_cant_existencia_1",
  committed: "f400_cant_comprometida_1",
  pos: "f400_cant_pos_1",
} as const;

/** The quantity columns of a stock row. */
export const STOCK_QUANTITIES = [STOCK_COLUMNS.onHand, STOCK_COLUMNS.committed, STOCK_COLUMNS.pos] as const;

/**
 * Not a Siesa column: what a reader adds to a stock row that Siesa answered more than once in one
 * read with other quantities (a read while the stock moves): JSON of each such column and its values
 * as text, in order. Whichever came first would be Siesa's order's choice, so the mapping takes neither.
 */
export const DIFFERING_REPEATS = "~differing repeats";

/** A quantity as text, so that `7` and `"7"` are one value. */
const quantityText = (value: SiesaRow[string] | undefined): string => {
  const n =
    typeof value === "number" || (typeof value === "string" && value.trim() !== "")
      ? Number(value)
      : Number.NaN;
  return Number.isFinite(n) ? String(n) : JSON.stringify(value ?? null);
};

/**
 * One row of each stock key (the first), marked with DIFFERING_REPEATS when the key's rows disagree
 * on a quantity: Siesa repeats rows within an answer.
 */
export function oneRowPerKey(rows: Iterable<{ key: string; row: SiesaRow }>): Map<string, SiesaRow> {
  const byKey = new Map<string, SiesaRow[]>();
  for (const { key, row } of rows) {
    const same = byKey.get(key);
    if (same) same.push(row);
    else byKey.set(key, [row]);
  }
  const out = new Map<string, SiesaRow>();
  for (const [key, keyRows] of byKey) {
    const [first] = keyRows;
    if (!first) continue;
    // Nearly every key comes once: nothing to compare.
    if (keyRows.length === 1) {
      out.set(key, first);
      continue;
    }
    const differing: Record<string, string[]> = {};
    for (const column of STOCK_QUANTITIES) {
      const values = [...new Set(keyRows.map((row) => quantityText(row[column])))];
      if (values.length > 1) differing[column] = values.sort(byValue);
    }
    out.set(
      key,
      Object.keys(differing).length === 0
        ? first
        : { ...first, [DIFFERING_REPEATS]: JSON.stringify(differing) },
    );
  }
  return out;
}

/** Numbers in numeric order, before any text. */
const byValue = (a: string, b: string): number => {
  const [x, y] = [Number(a), Number(b)];
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  if (Number.isFinite(x) !== Number.isFinite(y)) return Number.isFinite(x) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
};

/** f120_id's offset from the least SQL int: a negative id's text is `-` and this distance. */
const INT_OFFSET = 2 ** 31;

/**
 * An f120_id in ten digits, so that a warehouse's keys sort in item order as text: a unit of stock
 * work (a warehouse's range of ids) is then one span of the ledger, read with one Query at a
 * fraction of the read units of a read by key (docs/benchmarks.md). A negative id (an SQL int may be
 * one) is `-` and its distance from the least int: it sorts before the others, in order.
 */
const itemText = (item: number): string =>
  item >= 0 ? String(item).padStart(10, "0") : `-${String(item + INT_OFFSET).padStart(10, "0")}`;

/**
 * A stock record's key: warehouse, item and installation (`NB1|0000001042|001`). The warehouse comes
 * first so that one location's rows are one span of the stream's ledger, then the item in id order.
 */
export const stockKey = (warehouse: string, item: number, installation: string): string =>
  `${warehouse}|${itemText(item)}|${installation}`;

/** The row of a stock record's key; undefined for a key that is not one. */
export function parseStockKey(
  key: string,
): { warehouse: string; item: number; installation: string } | undefined {
  const [warehouse, item, installation, ...rest] = key.split("|");
  if (warehouse === undefined || item === undefined || installation === undefined || rest.length > 0)
    return undefined;
  if (!/^-?\d{10}$/.test(item)) return undefined;
  const id = item.startsWith("-") ? Number(item.slice(1)) - INT_OFFSET : Number(item);
  return { warehouse, item: id, installation };
}

/**
 * Siesa's quantities carry four decimals: sums are rounded there, so 0.1 + 0.2 stays 0.3; `+ 0` turns
 * the -0 a rounding can give into 0 (JSON and CSV would show "0" but a comparison would not).
 */
const round = (n: number) => Math.round(n * 10_000) / 10_000 + 0;

function quantity(row: SiesaRow, column: string, problems: Record<string, string>): number {
  const value = row[column];
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && value !== ""
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(n)) problems[column] = `must be a number (got ${JSON.stringify(value ?? null)})`;
  return n;
}

/** The expected quantity by the tenant's rule. */
export function expectedOf(
  q: Pick<ExpectedStock, "onHand" | "committed" | "pos">,
  subtract: readonly StockDeduction[],
): number {
  let expected = q.onHand;
  if (subtract.includes("committed")) expected -= q.committed;
  if (subtract.includes("pos")) expected -= q.pos;
  return round(expected);
}

/**
 * The stock stream's mapping: a stock row to the expected stock the snapshot keeps. A row whose
 * quantities are not numbers is rejected naming the column; nothing is guessed as zero.
 */
export function stockMapper(tenant: Tenant): RecordMapper {
  const subtract = tenant.streams?.stock?.subtract ?? ["committed", "pos"];
  return {
    // A row no complete read returns any more has no expected stock: the snapshot drops it.
    inactive: { active: false },
    map(source: SourceRecord) {
      const row = source.item;
      const problems: Record<string, string> = {};
      const parsed = parseStockKey(source.key);
      // A code with the key's separator makes a key of more parts than a warehouse, an item and an installation.
      const separated = [STOCK_COLUMNS.warehouse, STOCK_COLUMNS.installation].filter((column) =>
        String(row[column] ?? "").includes("|"),
      );
      for (const column of separated) {
        problems[column] =
          `${JSON.stringify(String(row[column]).trim())} holds '|', which separates the parts of a stock row's key: the row cannot be kept`;
      }
      if (!parsed && separated.length === 0)
        problems[STOCK_COLUMNS.item] = `the row's key ${JSON.stringify(source.key)} names no item`;
      const onHand = quantity(row, STOCK_COLUMNS.onHand, problems);
      const committed = quantity(row, STOCK_COLUMNS.committed, problems);
      const pos = quantity(row, STOCK_COLUMNS.pos, problems);
      const repeats = row[DIFFERING_REPEATS];
      if (typeof repeats === "string") {
        for (const [column, values] of Object.entries(JSON.parse(repeats) as Record<string, string[]>))
          problems[column] =
            `Siesa answered this row twice in one read, with ${values.join(" and ")}: neither is taken; the next run reads it again`;
      }
      if (!parsed || Object.keys(problems).length > 0) {
        const reason = Object.entries(problems)
          .map(([field, problem]) => `${field} ${problem}`)
          .join("; ");
        return { ok: false, reason, fields: problems };
      }
      const reference = row[STOCK_COLUMNS.reference];
      const stock: ExpectedStock = {
        item: parsed.item,
        reference: typeof reference === "string" && reference !== "" ? reference : null,
        warehouse: parsed.warehouse,
        installation: parsed.installation,
        onHand: round(onHand),
        committed: round(committed),
        pos: round(pos),
        expected: expectedOf({ onHand, committed, pos }, subtract),
      };
      const record: ProductRecord = { key: source.key, externalId: source.key, payload: { ...stock } };
      return { ok: true, record };
    },
  };
}
