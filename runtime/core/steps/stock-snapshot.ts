import type { RecordError, RunRecord } from "../domain/model.js";
import { streamScope } from "../domain/stream.js";
import { type ExceptionsOptions, MAX_EXCEPTIONS_PAGE, type RunState } from "../ports/pipeline.js";
import type { Ledger, LedgerEntry } from "../ports/records.js";
import { type ExpectedStock, stockKey } from "../streams/stock.js";
import { findRun, lastCompleteRun } from "./stream-runs.js";

/** Which rows of the snapshot: one location (warehouse code), one item (f120_id), after a row's key. */
export interface StockFilter {
  location?: string;
  item?: number;
  /** The key of the last row of the previous page. */
  after?: string;
  /** The complete run the previous page came from: a download's pages are all one run's. */
  run?: string;
}

export interface StockRow {
  key: string;
  stock: ExpectedStock;
  /**
   * Why the run served rejected the row as Siesa sends it now (its mapping refused it): `stock` is
   * then what the last read that could map it found, which Siesa no longer holds.
   */
  rejected?: string;
}

/**
 * The values an entry holds as of the complete run `asOf`: its own when that run or an earlier one
 * wrote it, else those a later, incomplete run kept aside (LedgerEntry.previous); none for a row
 * that run did not hold (gone from Siesa, or first read by an incomplete run).
 */
export function valuesAsOf(entry: LedgerEntry, asOf: string): Record<string, unknown> | undefined {
  if (entry.runId <= asOf) return entry.active === false ? undefined : entry.values;
  const { previous } = entry;
  if (!previous || previous.runId > asOf || previous.active === false) return undefined;
  return previous.values;
}

/**
 * Which complete stock run's snapshot is served (`run`), if any, and the stream's last complete run.
 * Without `asked`: the last complete run (neither while no stock run has completed). With `asked` (a
 * download's next page): that run while it is the last complete one, or while the run that replaced
 * it started from it and is the stream's newest, as each entry that run wrote kept its values
 * (`previous`); once a later run writes, those are gone and no run is served.
 */
export async function snapshotRun(
  runs: Pick<RunState, "list">,
  tenantId: string,
  asked?: string,
): Promise<{ run?: RunRecord; last?: RunRecord }> {
  const [last, newest] = await Promise.all([
    lastCompleteRun(runs, tenantId, "stock"),
    asked === undefined ? undefined : findRun(runs, tenantId, "stock", () => true),
  ]);
  if (!last) return {};
  if (asked === undefined || asked === last.runId) return { run: last, last };
  if (newest?.runId !== last.runId || last.baselineRunId !== asked) return { last };
  const run = await findRun(runs, tenantId, "stock", (r) => r.runId === asked && r.complete === true);
  return { ...(run ? { run } : {}), last };
}

/**
 * The expected stock the tenant's last complete stock run read, in key order (location, item,
 * installation), and that run: what a count on the shelves is compared with. Undefined when no stock
 * run has completed yet.
 */
export async function stockSnapshot(
  deps: { runs: Pick<RunState, "list">; ledger: Pick<Ledger, "all"> },
  tenantId: string,
  filter: StockFilter = {},
): Promise<{ run: RunRecord; rows: AsyncGenerator<StockRow[]> } | undefined> {
  const run = await lastCompleteRun(deps.runs, tenantId, "stock");
  if (!run) return undefined;
  return { run, rows: snapshotRows(deps.ledger, tenantId, run.runId, filter) };
}

/**
 * The rows of the snapshot of the complete run `asOf` (snapshotRun says whether it is still exact).
 * Each read is one span of the ledger: a location's rows (`NB1|`), an item's in a location
 * (`NB1|0000001042|`), or for an item alone, its span in each location in turn.
 */
export async function* snapshotRows(
  ledger: Pick<Ledger, "all">,
  tenantId: string,
  asOf: string,
  { location, item, after }: StockFilter,
): AsyncGenerator<StockRow[]> {
  if (location !== undefined || item === undefined) {
    const prefix = location === undefined ? undefined : itemPrefix(location, item);
    yield* rowsOf(ledger, tenantId, asOf, prefix, after);
    return;
  }
  // The locations from the one `after` is in: an item's rows in each are one span.
  for (let at = after; ; ) {
    const location = await nextLocation(ledger, tenantId, at);
    if (location === undefined) return;
    const prefix = itemPrefix(location, item);
    yield* rowsOf(ledger, tenantId, asOf, prefix, after?.startsWith(prefix) ? after : undefined);
    at = pastLocation(location);
  }
}

/** A location's span of keys, or one item's within it (the key's layout is stockKey's). */
const itemPrefix = (location: string, item?: number) =>
  item === undefined ? `${location}|` : stockKey(location, item, "");

async function* rowsOf(
  ledger: Pick<Ledger, "all">,
  tenantId: string,
  asOf: string,
  prefix: string | undefined,
  after: string | undefined,
): AsyncGenerator<StockRow[]> {
  const range = { ...(prefix !== undefined ? { prefix } : {}), ...(after !== undefined ? { after } : {}) };
  for await (const page of ledger.all(streamScope(tenantId, "stock"), range)) {
    const rows: StockRow[] = [];
    for (const entry of page) {
      const values = valuesAsOf(entry, asOf);
      if (values) rows.push({ key: entry.key, stock: values as unknown as ExpectedStock });
    }
    if (rows.length > 0) yield rows;
  }
}

/** A key past every key of the location and before the next one's (`}` follows `|`). */
const pastLocation = (location: string) => `${location}}`;

/** The location of the ledger's first key after `after` (the first key without), read as one entry. */
async function nextLocation(
  ledger: Pick<Ledger, "all">,
  tenantId: string,
  after: string | undefined,
): Promise<string | undefined> {
  const first = await firstPage(
    ledger.all(streamScope(tenantId, "stock"), { ...(after !== undefined ? { after } : {}), pageSize: 1 }),
  );
  return first[0]?.key.split("|")[0];
}

/** How many of a location's first entries are looked at for one of the snapshot's rows. */
const LOCATION_PROBE_ENTRIES = 25;

/**
 * The locations (warehouse codes) whose first entries in the ledger hold a row of the snapshot of the
 * complete run `asOf`, in key order: two small reads a location (its first key, its first entries).
 */
export async function snapshotLocations(
  ledger: Pick<Ledger, "all">,
  tenantId: string,
  asOf: string,
): Promise<string[]> {
  const partition = streamScope(tenantId, "stock");
  const locations: string[] = [];
  for (let after: string | undefined; ; ) {
    const location = await nextLocation(ledger, tenantId, after);
    if (location === undefined) return locations;
    after = pastLocation(location);
    const entries = await firstPage(
      ledger.all(partition, { prefix: `${location}|`, pageSize: LOCATION_PROBE_ENTRIES }),
    );
    if (entries.some((entry) => valuesAsOf(entry, asOf))) locations.push(location);
  }
}

/** The first page of a read, and no more of it. */
async function firstPage(pages: AsyncIterable<LedgerEntry[]>): Promise<LedgerEntry[]> {
  for await (const page of pages) return page;
  return [];
}

/**
 * Marks the rows that the run `runId` rejected, from its exceptions of the rows' span of keys in each
 * location (one read each, usually empty; an item's rows are its span in each location, never what
 * lies between): a rejected row keeps in the ledger the values of the last read that mapped it,
 * which is not what Siesa holds now.
 */
export async function markRejected(
  runs: {
    exceptions(
      tenantId: string,
      runId: string,
      options: ExceptionsOptions,
    ): Promise<{ exceptions: RecordError[]; cursor?: string }>;
  },
  tenantId: string,
  runId: string,
  rows: StockRow[],
): Promise<StockRow[]> {
  const spans = new Map<string, { from: string; through: string }>();
  for (const { key } of rows) {
    const location = key.split("|")[0] ?? "";
    const span = spans.get(location);
    if (span) span.through = key;
    else spans.set(location, { from: key, through: key });
  }
  const reasons = new Map<string, string>();
  for (const { from, through } of spans.values()) {
    let cursor: string | undefined;
    do {
      const page = await runs.exceptions(tenantId, runId, {
        from,
        through,
        limit: MAX_EXCEPTIONS_PAGE,
        ...(cursor ? { cursor } : {}),
      });
      for (const error of page.exceptions)
        if (error.outcome === "rejected") reasons.set(error.key, error.reason);
      cursor = page.cursor;
    } while (cursor);
  }
  if (reasons.size === 0) return rows;
  return rows.map((row) => {
    const rejected = reasons.get(row.key);
    return rejected === undefined ? row : { ...row, rejected };
  });
}
