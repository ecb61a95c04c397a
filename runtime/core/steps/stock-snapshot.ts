import type { RunRecord } from "../domain/model.js";
import { streamScope } from "../domain/stream.js";
import type { RunState } from "../ports/pipeline.js";
import type { Ledger, LedgerEntry } from "../ports/records.js";
import type { ExpectedStock } from "../streams/stock.js";
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

/** The rows of the snapshot of the complete run `asOf` (snapshotRun says whether it is still exact). */
export async function* snapshotRows(
  ledger: Pick<Ledger, "all">,
  tenantId: string,
  asOf: string,
  { location, item, after }: StockFilter,
): AsyncGenerator<StockRow[]> {
  const range = {
    ...(location !== undefined ? { prefix: `${location}|` } : {}),
    ...(after !== undefined ? { after } : {}),
  };
  for await (const page of ledger.all(streamScope(tenantId, "stock"), range)) {
    const rows: StockRow[] = [];
    for (const entry of page) {
      const values = valuesAsOf(entry, asOf);
      if (!values) continue;
      const stock = values as unknown as ExpectedStock;
      if (item !== undefined && stock.item !== item) continue;
      rows.push({ key: entry.key, stock });
    }
    if (rows.length > 0) yield rows;
  }
}

/** How many of a location's first entries are looked at for one of the snapshot's rows. */
const LOCATION_PROBE_ENTRIES = 25;

/**
 * The locations (warehouse codes) of the ledger's rows, in key order, one small read each: the read
 * of a location's first entries goes on after its last possible key (`|` is followed by `}`). With
 * `asOf`, only those whose first entries hold a row of that run's snapshot.
 */
export async function snapshotLocations(
  ledger: Pick<Ledger, "all">,
  tenantId: string,
  asOf?: string,
): Promise<string[]> {
  const partition = streamScope(tenantId, "stock");
  const locations: string[] = [];
  for (let after: string | undefined; ; ) {
    const first = await firstPage(ledger.all(partition, { ...(after ? { after } : {}), pageSize: 1 }));
    const location = first[0]?.key.split("|")[0];
    if (location === undefined) return locations;
    after = `${location}}`;
    if (asOf === undefined) {
      locations.push(location);
      continue;
    }
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
