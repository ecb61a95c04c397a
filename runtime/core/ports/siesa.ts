import type { SourceRecord } from "../domain/model.js";

/**
 * `f120_id` in `[from, to)`. `expected` is an optional estimate of the rows inside, carried from the
 * split that produced the range so the next split can pick its number of pieces without counting.
 * It only tunes how many queries are made: correctness never depends on it.
 */
export type KeyRange = {
  from: number;
  to: number;
  expected?: number;
  /** The part of the stream the range lies in, when the stream has parts (stock: a warehouse code). */
  within?: string;
  /**
   * Where the range's leaves after its first begin, cut on the rows the stream's last complete run
   * read inside it, so that each leaf is one short page. Like `expected`, it only sets how many
   * requests reading the range takes: the leaves cover the range, so rows new since are read too.
   */
  cuts?: number[];
};

/** How a unit of extraction is read. */
export interface ExtractOptions {
  /** `false`: the records, never the smaller ranges (a retried unit whose records were planned). */
  split?: boolean;
  /**
   * The keys the stream's last complete run read over this range, when its units covered it (none
   * otherwise; some may lie outside the range): a reader may cut the range on them instead of
   * sampling Siesa for where its rows lie. Asked only by a reader that would otherwise sample.
   */
  known?: () => AsyncIterable<readonly string[]>;
}

/**
 * f120_id is a SQL int column (docs/integrations/INT-001-siesa.md): this covers every value it can hold. Kept
 * to that rather than widened: an id beyond it means Siesa broke the contract, so the run stops naming the id
 * (`assertNothingOutside`) for someone to look, instead of syncing past it or losing it.
 */
export const FULL_RANGE: KeyRange = { from: -2_147_483_648, to: 2_147_483_648 };

/** An id `f120_id` can hold, as a run of one item names it (`--item`, `POST /tenants/:id/items/:f120Id/sync`). */
export const isItemId = (id: number): boolean =>
  Number.isSafeInteger(id) && id >= FULL_RANGE.from && id < FULL_RANGE.to;

/** Half a range's estimate, when it has one. */
const halfOf = (range: KeyRange): { expected?: number } =>
  range.expected !== undefined ? { expected: Math.ceil(range.expected / 2) } : {};

/**
 * The two halves of a range, within its part: at its middle leaf when it is cut on known rows (each
 * half keeping its own leaves), else at the middle of its ids. Undefined for a range of one id.
 */
export function halvesOf(range: KeyRange): [KeyRange, KeyRange] | undefined {
  if (range.to - range.from < 2) return undefined;
  const within = range.within !== undefined ? { within: range.within } : {};
  const { cuts } = range;
  if (cuts !== undefined && cuts.length > 0) {
    const half = Math.floor(cuts.length / 2);
    const middle = cuts[half] as number;
    return [
      { from: range.from, to: middle, ...within, ...halfOf(range), cuts: cuts.slice(0, half) },
      { from: middle, to: range.to, ...within, ...halfOf(range), cuts: cuts.slice(half + 1) },
    ];
  }
  const middle = Math.floor(range.from / 2 + range.to / 2);
  return [
    { from: range.from, to: middle, ...within, ...halfOf(range) },
    { from: middle, to: range.to, ...within, ...halfOf(range) },
  ];
}

/** One unit of extraction: the complete records of a range, or the smaller ranges to read instead. */
export type RangeResult =
  | { kind: "records"; records: SourceRecord[] }
  | { kind: "split"; ranges: KeyRange[] };

export interface SiesaCredentials {
  conniKey: string;
  conniToken: string;
}

/**
 * What a run reads from Siesa (runtime/edges/http/siesa/ is the implementation): whole ranges of items
 * with their barcodes, and a second look at ids a complete extraction did not return before anything
 * is deactivated for their absence.
 */
/**
 * What a Siesa client learnt of the tenant's rate limit, to share with the tenant's other workers:
 * until when its calls wait (a window nearly used), and a pause one of them learnt.
 */
export interface SiesaPacing {
  pausedUntil(): number | undefined;
  pauseUntil(until: number): void;
}

export interface SiesaReader {
  /** Absent when the reader knows no rate limit (a test's stand-in). */
  readonly pace?: SiesaPacing;
  /** The complete records of a range or, unless `split: false`, the smaller ranges to extract instead. */
  extractRange(range: KeyRange, options?: ExtractOptions): Promise<RangeResult>;
  /** Of `absent`, the ids Siesa still lacks when asked again by id, each request naming a witness from `seen`. */
  stillAbsent(absent: readonly string[], seen: readonly string[]): Promise<string[]>;
}
