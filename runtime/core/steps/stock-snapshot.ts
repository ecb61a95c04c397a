import type { RecordError, RunRecord } from "../domain/model.js";
import { streamScope } from "../domain/stream.js";
import { type ExceptionsOptions, MAX_EXCEPTIONS_PAGE, type RunState } from "../ports/pipeline.js";
import type { Ledger, LedgerEntry } from "../ports/records.js";
import { type ExpectedStock, parseStockKey, stockKey } from "../streams/stock.js";
import { latestRuns } from "./stream-runs.js";

/** Which rows of the snapshot: one location (warehouse code), one item (f120_id), after a row's key. */
export interface StockFilter {
  location?: string;
  item?: number;
  /** The key of the last row of the previous page. */
  after?: string;
  /** The complete run the previous page came from: a download's pages are all one run's. */
  run?: string;
}

/**
 * A row as served: its expected stock, or for a row the served run rejected and no earlier read
 * could map, its identity without quantities.
 */
export type ServedStock =
  | ExpectedStock
  | (Pick<ExpectedStock, "item" | "reference" | "warehouse" | "installation"> & {
      onHand: null;
      committed: null;
      pos: null;
      expected: null;
    });

export interface StockRow {
  key: string;
  stock: ServedStock;
  /**
   * Why the run served rejected the row as Siesa sends it now (its mapping refused it): `stock` is
   * then what the last read that could map it found, which Siesa no longer holds, or no quantities.
   */
  rejected?: string;
}

/** What snapshotRows reads: the stream ledger, and the served run's exceptions (its rejected rows). */
export interface SnapshotReads {
  ledger: Pick<Ledger, "all">;
  runs: {
    exceptions(
      tenantId: string,
      runId: string,
      options: ExceptionsOptions,
    ): Promise<{ exceptions: RecordError[]; cursor?: string }>;
  };
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
  runs: Pick<RunState, "list" | "getById">,
  tenantId: string,
  asked?: string,
): Promise<{ run?: RunRecord; last?: RunRecord }> {
  const { newest, lastComplete: last } = await latestRuns(runs, tenantId, "stock");
  if (!last) return {};
  if (asked === undefined || asked === last.runId) return { run: last, last };
  if (newest?.runId !== last.runId || last.baselineRunId !== asked) return { last };
  // By id: failed runs between the two may lie beyond the history searched.
  const run = await runs.getById(asked);
  return { ...(run?.complete && run.tenantId === tenantId ? { run } : {}), last };
}

/**
 * The rows of the snapshot of the complete run `asOf` (snapshotRun says whether it is still exact),
 * those it rejected marked. Each read is one span of the ledger, and of the run's exceptions: a
 * location's rows (`NB1|`), an item's in a location (`NB1|0000001042|`), or for an item alone, its
 * span in each location in turn.
 */
export async function* snapshotRows(
  deps: SnapshotReads,
  tenantId: string,
  asOf: string,
  { location, item, after }: StockFilter,
): AsyncGenerator<StockRow[]> {
  if (location !== undefined || item === undefined) {
    const prefix = location === undefined ? undefined : itemPrefix(location, item);
    yield* rowsOf(deps, tenantId, asOf, prefix, after);
    return;
  }
  // The locations from the one `after` is in: an item's rows in each are one span.
  for (let at = after; ; ) {
    const location = await nextLocation(deps, tenantId, asOf, at);
    if (location === undefined) return;
    const prefix = itemPrefix(location, item);
    yield* rowsOf(deps, tenantId, asOf, prefix, after?.startsWith(prefix) ? after : undefined);
    at = pastLocation(location);
  }
}

/** A location's span of keys, or one item's within it (the key's layout is stockKey's). */
const itemPrefix = (location: string, item?: number) =>
  item === undefined ? `${location}|` : stockKey(location, item, "");

/**
 * The snapshot's rows of one span, after `after`, in key order: the ledger's entries as of `asOf`,
 * merged with the rows that run rejected. A rejected row keeps in the ledger the values of the last
 * read that mapped it (Siesa no longer holds them), and one no read could map has no entry.
 */
async function* rowsOf(
  deps: SnapshotReads,
  tenantId: string,
  asOf: string,
  prefix: string | undefined,
  after: string | undefined,
): AsyncGenerator<StockRow[]> {
  const rejections = rejectedRows(deps.runs, tenantId, asOf, prefix, after);
  let rejection = await rejections.next();
  const range = { ...(prefix !== undefined ? { prefix } : {}), ...(after !== undefined ? { after } : {}) };
  try {
    for await (const page of deps.ledger.all(streamScope(tenantId, "stock"), range)) {
      const rows: StockRow[] = [];
      for (const entry of page) {
        while (!rejection.done && rejection.value.key < entry.key) {
          rows.push(rejection.value);
          rejection = await rejections.next();
          // Many rejected rows in a row (a run that rejected most) go out a page at a time.
          if (rows.length >= MAX_EXCEPTIONS_PAGE) yield rows.splice(0);
        }
        const rejected = !rejection.done && rejection.value.key === entry.key ? rejection.value : undefined;
        if (rejected) rejection = await rejections.next();
        const values = valuesAsOf(entry, asOf);
        if (values) {
          const stock = values as unknown as ExpectedStock;
          rows.push(
            rejected ? { key: entry.key, stock, rejected: rejected.rejected } : { key: entry.key, stock },
          );
        } else if (rejected) rows.push(rejected);
      }
      if (rows.length > 0) yield rows;
    }
    const rest: StockRow[] = [];
    for (; !rejection.done; rejection = await rejections.next()) {
      rest.push(rejection.value);
      if (rest.length >= MAX_EXCEPTIONS_PAGE) yield rest.splice(0);
    }
    if (rest.length > 0) yield rest;
  } finally {
    await rejections.return(undefined);
  }
}

/**
 * The rows the run `runId` rejected in a span, after `after`, in key order, without quantities: read
 * from its exceptions of that span, a page at a time as the merge needs them (usually one, empty).
 */
async function* rejectedRows(
  runs: SnapshotReads["runs"],
  tenantId: string,
  runId: string,
  prefix: string | undefined,
  after: string | undefined,
): AsyncGenerator<StockRow & { rejected: string }> {
  // The span's last key: `\uffff` sorts after every character a stock key holds after its prefix.
  const span = {
    ...((after ?? prefix) !== undefined ? { from: after ?? prefix } : {}),
    ...(prefix !== undefined ? { through: `${prefix}\uffff` } : {}),
  };
  let cursor: string | undefined;
  do {
    const page = await runs.exceptions(tenantId, runId, {
      ...span,
      limit: MAX_EXCEPTIONS_PAGE,
      ...(cursor ? { cursor } : {}),
    });
    for (const { key, outcome, reason, reference } of page.exceptions) {
      const row = parseStockKey(key);
      if (outcome !== "rejected" || !row || (after !== undefined && key <= after)) continue;
      const { warehouse, item, installation } = row;
      yield {
        key,
        stock: {
          item,
          reference: reference || null,
          warehouse,
          installation,
          onHand: null,
          committed: null,
          pos: null,
          expected: null,
        },
        rejected: reason,
      };
    }
    cursor = page.cursor;
  } while (cursor);
}

/** A key past every key of the location and before the next one's (`}` follows `|`). */
const pastLocation = (location: string) => `${location}}`;

/**
 * The first location after `after` with a row of the snapshot of the run `asOf`: the location of the
 * ledger's first key after it, or of the run's first exception after it, whichever sorts first (a
 * location whose every row the run rejected the first time has no entry in the ledger). One entry of
 * each is read.
 */
async function nextLocation(
  deps: SnapshotReads,
  tenantId: string,
  asOf: string,
  after: string | undefined,
): Promise<string | undefined> {
  const [entries, { exceptions }] = await Promise.all([
    firstPage(
      deps.ledger.all(streamScope(tenantId, "stock"), {
        ...(after !== undefined ? { after } : {}),
        pageSize: 1,
      }),
    ),
    // `from` is inclusive: the exception at `after` itself lies in the location `after` is in.
    deps.runs.exceptions(tenantId, asOf, { ...(after !== undefined ? { from: after } : {}), limit: 1 }),
  ]);
  const locations = [entries[0]?.key, exceptions[0]?.key]
    .filter((key) => key !== undefined)
    .map((key) => key.split("|")[0] as string);
  return locations.sort()[0];
}

/** How many of a location's first entries are looked at for one of the snapshot's rows. */
const LOCATION_PROBE_ENTRIES = 25;

/**
 * The locations (warehouse codes) whose first entries in the ledger hold a row of the snapshot of the
 * complete run `asOf`, or whose rows it rejected, in key order: a few small reads a location.
 */
export async function snapshotLocations(
  deps: SnapshotReads,
  tenantId: string,
  asOf: string,
): Promise<string[]> {
  const partition = streamScope(tenantId, "stock");
  const locations: string[] = [];
  for (let after: string | undefined; ; ) {
    const location = await nextLocation(deps, tenantId, asOf, after);
    if (location === undefined) return locations;
    after = pastLocation(location);
    const entries = await firstPage(
      deps.ledger.all(partition, { prefix: `${location}|`, pageSize: LOCATION_PROBE_ENTRIES }),
    );
    if (
      entries.some((entry) => valuesAsOf(entry, asOf)) ||
      (await rejectsIn(deps.runs, tenantId, asOf, location))
    )
      locations.push(location);
  }
}

/** Whether the run `runId` rejected a row of the location (served, without quantities). */
async function rejectsIn(
  runs: SnapshotReads["runs"],
  tenantId: string,
  runId: string,
  location: string,
): Promise<boolean> {
  for await (const _ of rejectedRows(runs, tenantId, runId, `${location}|`, undefined)) return true;
  return false;
}

/** The first page of a read (empty when it yields none), and no more of it. */
export async function firstPage<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  for await (const page of pages) return page;
  return [];
}
