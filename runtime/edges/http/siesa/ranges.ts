import type { KeyRange } from "../../../core/ports/siesa.js";
/**
 * Key ranges on `f120_id`, the unit of extraction work. See README.md ("Completeness despite
 * unstable order") for why partitioning on ranges returns every record exactly once.
 */

/** The `parametros` that select one ERP company's rows in a range. */
export function rangeParametros(range: KeyRange, erpCompany: number): string {
  return `f120_id_cia = ${erpCompany} AND f120_id >= ${range.from} AND f120_id < ${range.to}`;
}

export const inRange = (id: number, range: KeyRange) => id >= range.from && id < range.to;

/** At least this many sampled ids per piece, or the quantiles are too noisy to cut on. */
const MIN_SAMPLES_PER_PIECE = 5;
/**
 * Pieces of one split, at most: the split's operation stores their ranges (about 45 bytes each, and
 * about 11 more a cut for a range cut on known rows), and no stored item may grow with the catalogue.
 * 128 pieces keep it under 6 KB (under 16 KB with a unit's cuts); a larger range is split again
 * below, one level more.
 */
export const MAX_SPLIT_PIECES = 128;
/**
 * Margin, in standard deviations of that noise. One was cheapest when measured: fewer pieces
 * outweigh the ~16 % that overflow and split once more (correctness never depends on it).
 */
const Z = 1;

/**
 * The fewest pieces whose expected size, plus a margin for the sampling noise of quantile cuts
 * (a piece holding share p of m sampled ids holds p ± sqrt(p(1-p)/m) of the rows), fits in a page.
 */
function piecesFor(estimate: number, samples: number, pageSize: number): number {
  const most = Math.min(MAX_SPLIT_PIECES, Math.max(2, Math.floor(samples / MIN_SAMPLES_PER_PIECE)));
  for (let k = 2; k < most; k++) {
    const p = 1 / k;
    const margin = samples > 0 ? Z * Math.sqrt((p * (1 - p)) / samples) : p;
    if (estimate * (p + margin) <= pageSize) return k;
  }
  return most;
}

/**
 * Splits a range whose first page came back full. The page is a sample of the range's ids, so
 * cutting at its quantiles gives pieces of about equal size; `estimate` (rows in the range) sets how
 * many pieces, capped by what the sample can resolve. Pieces are non-empty, disjoint, cover the
 * range, and each is strictly smaller than it, so recursion always ends.
 */
export function splitRange(
  range: KeyRange,
  sampleIds: readonly number[],
  estimate: number,
  pageSize: number,
): KeyRange[] {
  const ids = [...new Set(sampleIds.filter((id) => inRange(id, range)))].sort((a, b) => a - b);
  const pieces = piecesFor(estimate, ids.length, pageSize);
  const cuts: number[] = [];
  for (let i = 1; i < pieces; i++) {
    const cut = ids[Math.round((i * ids.length) / pieces)];
    if (cut !== undefined && cut > range.from && cut > (cuts.at(-1) ?? range.from) && cut < range.to) {
      cuts.push(cut);
    }
  }
  if (cuts.length === 0) {
    // One distinct id filled the page: isolate it, so its own range is tried next.
    const only = ids[0];
    const candidates = only === undefined ? [] : [only, only + 1];
    for (const cut of candidates) if (cut > range.from && cut < range.to) cuts.push(cut);
  }
  if (cuts.length === 0) cuts.push(range.from + Math.max(1, Math.floor((range.to - range.from) / 2)));

  const bounds = [range.from, ...cuts, range.to];
  const ranges: KeyRange[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const piece = { from: bounds[i] as number, to: bounds[i + 1] as number };
    const sampled = ids.filter((id) => inRange(id, piece)).length;
    const share = ids.length > 0 ? sampled / ids.length : 1 / (bounds.length - 1);
    ranges.push({ ...piece, expected: Math.max(1, Math.round(estimate * share)) });
  }
  return ranges;
}

/**
 * The pieces with the first cut down to about `rows` rows (at its sampled ids' quantile) and the
 * rest of it as a piece of its own: the first unit of a run is then read in a request or two, and
 * the product's first writes need not wait for a whole unit's reads. Unchanged when the first piece
 * is small already or the sample cannot place the cut.
 */
export function withLeadingPiece(
  pieces: readonly KeyRange[],
  sampleIds: readonly number[],
  rows: number,
): KeyRange[] {
  const [first, ...rest] = pieces;
  const expected = first?.expected ?? 0;
  if (!first || expected <= 2 * rows || pieces.length >= MAX_SPLIT_PIECES) return [...pieces];
  const ids = sampleIds.filter((id) => inRange(id, first)).sort((a, b) => a - b);
  const cut = ids[Math.floor((ids.length * rows) / expected)];
  if (cut === undefined || cut <= first.from || cut >= first.to) return [...pieces];
  return [{ ...first, to: cut, expected: rows }, { ...first, from: cut, expected: expected - rows }, ...rest];
}
