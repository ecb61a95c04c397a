import type { SiesaRow } from "../../../core/domain/model.js";
import { ExternalCallError } from "../../../core/ports/call-errors.js";
import { type ExtractOptions, FULL_RANGE, halvesOf, type KeyRange } from "../../../core/ports/siesa.js";
import { SiesaFilterError } from "../../../core/ports/siesa-errors.js";
import type { SiesaPage } from "./answer.js";
import { CALLS_AT_ONCE, SiesaConnection } from "./connection.js";
import { inRange, MAX_SPLIT_PIECES, splitRange, withLeadingPiece } from "./ranges.js";
import { integerOf } from "./rows.js";

/** Walking one id's or one reference's pages (a should-not-happen fallback) stops here rather than loop forever. */
const MAX_WALK_PAGES = 1_000;
/** Share of a page a leaf of a scan aims at: the rest is room for the density's noise and repeated rows. */
const LEAF_FILL = 0.9;
/**
 * Share of a page a leaf of a scan aims at, its rows estimated: a leaf's count varies about its
 * estimate, and a full page costs a request.
 */
const SCAN_FILL = 0.85;
/** Share of that a unit's first leaf aims at, cut on the split's estimate alone. */
const FIRST_LEAF_FILL = 0.8;
/** A leaf's count this many standard deviations off its estimate starts a new density. */
const CHANGE_SIGMAS = 3;
/** Pages' worth of rows a full page cut to hold most of one is taken to have held. */
const OVERFLOW = 1.08;
/** Pages' worth of rows the next leaf after a surprising full page stays under a page for. */
const SURPRISE_PAGES = 10;
/**
 * Rows a unit of `unitPages` reads before it is split again: a third more than its pages, room for
 * its estimate's noise (a split reads its rows again), few enough that its plan (the keys it read,
 * and those it loads) stays far under DynamoDB's item limit.
 */
export const unitMostRows = (unitPages: number, pageSize: number): number =>
  Math.ceil((unitPages * 4) / 3 + 1) * pageSize;
/** The first round of the search for a first range's last page (estimateRows): pages 2, 4, … */
const galloping = (probes: number) => Array.from({ length: probes }, (_, i) => 2 ** (i + 1));

/**
 * A standard query read in ranges of one of its integer columns (README.md, "Completeness despite
 * unstable order"): the catalogue's items and a warehouse's stock by `f120_id`, the company's
 * warehouses by `f150_rowid`.
 */
export interface RangedQuery {
  readonly descripcion: string;
  /** The integer column the ranges cut. */
  readonly column: string;
  /** `parametros` selecting the query's rows inside a range. */
  parametros(range: KeyRange): string;
  /**
   * `parametros` selecting its rows whose key lies outside every range (beyond FULL_RANGE), asked
   * with the first range; undefined when its reader asks elsewhere (once for many first ranges).
   */
  readonly outside?: string;
  /** Whose rows `outside` asks for, in words ("company 1's ids"). */
  readonly whose: string;
  /** The rows, in words ("items"). */
  readonly what: string;
  /** Whether a row is one the filter selects, apart from its key (the tenant's company, the warehouse). */
  ours(row: SiesaRow): boolean;
  /** Where a row that is not `ours` belongs, in words ("its company: 2"). */
  origin(row: SiesaRow): string;
  /** Every page's rows, before anything else reads them: throws on a row the reading cannot use. */
  check?(rows: readonly SiesaRow[]): void;
  /** The id of a record's key, when it is one of the query's rows: the ranges cut on known keys. */
  idOfKey?(key: string): number | undefined;
  /**
   * Pages each unit of a split into units (a first range's, or a range cut on known rows) is cut to
   * hold, read leaf by leaf; a unit reads one page more before it is split again (a few more are
   * cheaper than a split: an operation, a message and a unit for each piece).
   */
  readonly unitPages: number;
  /**
   * Pages asked at once, in each round of counting a first range whose first page is full (pages
   * 2, 4, 8…): more cost requests past its end, fewer cost round trips.
   */
  readonly countProbes: number;
  /**
   * Whether the first range asks the first round of that count with its first page. Worth it where
   * a first range of more than a page is the rule (a catalogue), a waste where one page is.
   */
  readonly countAtOnce: boolean;
}

/** A range read: its rows, or the smaller ranges to read instead. */
export type RangeRead = { rows: SiesaRow[] } | { pieces: KeyRange[] };

/**
 * Reads ranges of a `RangedQuery` completely, whatever Siesa's order (README.md): a short first page
 * is the whole range; a full one splits it. The catalogue's, the warehouses' and the stock's
 * readers are built on it.
 */
export class SiesaRangeReader extends SiesaConnection {
  /**
   * One unit of work: the rows of a range, or (when a few pages cannot hold the range) the smaller
   * ranges to read instead; with `split: false`, always the rows.
   */
  protected async readRange(
    query: RangedQuery,
    range: KeyRange,
    options: ExtractOptions = {},
  ): Promise<RangeRead> {
    const parametros = query.parametros(range);
    // The whole range is the run's first request, with nothing else in flight: in the same round
    // trip it asks whether any id lies beyond it, and the first pages that count it (a catalogue of
    // more than a page is the rule), which shortens the wait for the first write.
    const whole = range.from === FULL_RANGE.from && range.to === FULL_RANGE.to;
    const most = options.split === false ? Number.POSITIVE_INFINITY : this.unitMost(query);
    const expected = range.expected ?? 0;
    if (range.cuts !== undefined) return this.readLeaves(query, range, most);
    // A range whose rows would be sampled for where they lie is cut on the rows the last complete
    // run read in it, when there are any: no count, no sample.
    if (options.known && options.split !== false && query.idOfKey && (whole || expected > this.pageSize)) {
      const units = this.cutOnKnown(query, range, await knownIds(options.known(), query.idOfKey));
      if (units) {
        if (whole) await this.assertNothingOutside(query);
        // A range of one unit's leaves is read here rather than sent as a unit of its own.
        const [only] = units;
        return units.length === 1 && only?.cuts ? this.readLeaves(query, only, most) : { pieces: units };
      }
    }
    if (!whole && expected > this.pageSize && expected <= most) {
      // A unit of a few pages (as the first range is cut): read leaf by leaf, with no full page spent.
      return this.scan(query, range, most);
    }
    const [first, , counting] = await Promise.all([
      this.queryPage(query.descripcion, 1, parametros),
      whole ? this.assertNothingOutside(query) : undefined,
      whole && query.countAtOnce
        ? this.queryPages(query.descripcion, galloping(query.countProbes), parametros)
        : undefined,
    ]);
    const read = await this.fromFirstPage(query, range, parametros, first, counting);
    if ("rows" in read) return read;
    // The first range fans out; a later one that overflowed its page a little is read here,
    // piece by piece: one unit of work instead of a split and its children. `split: false`
    // reads any range here (a retried unit whose records were planned must not split now).
    const pieces =
      whole && options.split !== false ? undefined : await this.readPieces(query, read.pieces, most);
    return pieces ? { rows: pieces } : read;
  }

  /**
   * The rows of a range of a few pages, read as consecutive leaves from its start. Leaves are
   * disjoint and cover the range, and a leaf counts only once its page comes back short, so every
   * row is read exactly once whatever Siesa's order; where the cuts fall only sets how many requests
   * that takes. Each leaf is cut to hold `SCAN_FILL` of a page at the density the leaves since it
   * last changed beyond a count's noise measure (at first, the split's estimate); the last two share
   * what is left. A leaf whose page comes back full is not read in pieces: its page, a random sample
   * of its rows, places the cut of the next leaf from the same start (`afterFullPage`), and the
   * leaves after it read the rest. A range at an end
   * of the int range is mostly empty: its first page, a sample of its rows, says where they lie.
   * More than `most` rows: the range is split instead (its estimate was far off), in two at where
   * the reading got to.
   */
  private async scan(query: RangedQuery, range: KeyRange, most: number): Promise<RangeRead> {
    const aim = this.scanRows;
    let span = { from: range.from, to: range.to };
    if (range.from === FULL_RANGE.from || range.to === FULL_RANGE.to) {
      const first = await this.queryPage(query.descripcion, 1, query.parametros(range));
      this.assertFiltered(query, first.rows, range);
      if (first.endOfData) return { rows: this.keep(query, first.rows, range) };
      const ids = this.idsOf(query, first.rows).filter((id) => inRange(id, range));
      if (ids.length > 1) span = { from: Math.min(...ids), to: Math.max(...ids) + 1 };
    }
    const rows: SiesaRow[] = [];
    let density = Math.max(1, range.expected ?? this.pageSize) / Math.max(1, span.to - span.from);
    // The leaves read since the density last changed beyond a count's noise.
    let window = { rows: 0, width: 0 };
    // Set by a full page: where the next leaf ends, and (when the page's rows were far denser than
    // expected) where those rows begin.
    let next: { to: number; densityFrom?: number } | undefined;
    for (let from = range.from; from < range.to; ) {
      const start = Math.max(from, span.from);
      const left = density * Math.max(0, span.to - start);
      let to = range.to;
      if (next) to = next.to;
      else if (left > aim) {
        const first = window.width === 0 && rows.length === 0;
        const share = left < 2 * aim ? left / 2 : first ? aim * FIRST_LEAF_FILL : aim;
        to = Math.min(range.to, start + Math.max(1, Math.floor(share / density)));
      }
      const leaf = { from, to };
      const width = Math.max(1, Math.min(to, span.to) - start);
      const predicted = density * width;
      const parametros = query.parametros(leaf);
      const page = await this.queryPage(query.descripcion, 1, parametros);
      if (!page.endOfData && to - from > 1) {
        this.assertFiltered(query, page.rows, leaf);
        next = this.afterFullPage(query, leaf, page.rows, predicted < aim / 2 || next !== undefined);
        continue;
      }
      // A short page is the leaf; a full page of one id is walked.
      const read = await this.fromFirstPage(query, leaf, parametros, page);
      const leafRows =
        "rows" in read
          ? read.rows
          : ((await this.readPieces(query, read.pieces, Number.POSITIVE_INFINITY)) ?? []);
      rows.push(...leafRows);
      if (next?.densityFrom !== undefined) {
        window = { rows: leafRows.length, width: Math.max(1, to - next.densityFrom) };
      } else if (Math.abs(leafRows.length - predicted) > CHANGE_SIGMAS * Math.sqrt(Math.max(predicted, 4))) {
        window = { rows: leafRows.length, width };
      } else {
        window = { rows: window.rows + leafRows.length, width: window.width + width };
      }
      density = window.rows > 0 ? window.rows / window.width : Math.min(density, 1 / window.width);
      next = undefined;
      from = to;
      if (rows.length > most && from < range.to) {
        const rest = Math.ceil(density * Math.max(1, span.to - from));
        return {
          pieces: [
            { from: range.from, to: from, expected: rows.length },
            { from, to: range.to, expected: rest },
          ],
        };
      }
    }
    return { rows };
  }

  /**
   * Where the next leaf of a scan ends after `leaf`'s page came back full. The page is a random
   * sample of the leaf's rows, so the leaf's first k of its ids hold about k / (page) of them. A
   * leaf cut to hold most of a page that held a little more ends where a page's worth does. A
   * `surprise` (a leaf cut to hold much less, or a second full page in a row) says nothing of how
   * many rows there are: the next leaf is small enough to stay under a page even if there were
   * `SURPRISE_PAGES`, and measures the density from the page's lowest id, about where they begin.
   */
  private afterFullPage(
    query: RangedQuery,
    leaf: KeyRange,
    sample: readonly SiesaRow[],
    surprise: boolean,
  ): { to: number; densityFrom?: number } {
    const aim = this.scanRows;
    const ids = [...new Set(this.idsOf(query, sample).filter((id) => inRange(id, leaf)))].sort(
      (a, b) => a - b,
    );
    const rows = this.pageSize * (surprise ? SURPRISE_PAGES : OVERFLOW);
    const at = ids[Math.max(1, Math.floor((ids.length * aim) / rows))];
    const to = Math.min(leaf.to - 1, Math.max(leaf.from + 1, at ?? Math.floor(leaf.from / 2 + leaf.to / 2)));
    return surprise && ids[0] !== undefined ? { to, densityFrom: ids[0] } : { to };
  }

  /**
   * The rows of a range cut on the rows the last complete run read (`cuts`): each leaf one short
   * page, unless rows were added since (a full page is cut again on its ids, as readPieces does).
   * A leaf, or the leaves together, holding more than `most` rows (far more than the last run read):
   * the range's halves instead, each with its leaves, so a unit's rows (and what its plan stores of
   * them) stay bounded.
   */
  private async readLeaves(query: RangedQuery, range: KeyRange, most: number): Promise<RangeRead> {
    const bounds = [range.from, ...(range.cuts ?? []), range.to];
    const leaves = bounds.slice(0, -1).map((from, i) => ({
      from,
      to: bounds[i + 1] as number,
      expected: this.leafRows,
    }));
    const rows: SiesaRow[] = [];
    // A few leaves at once (their cuts are known, so none waits for another).
    for (let at = 0; at < leaves.length; at += CALLS_AT_ONCE) {
      const batch = leaves.slice(at, at + CALLS_AT_ONCE);
      const read = await allSettled(batch.map((leaf) => this.readPieces(query, [leaf], most)));
      for (const leafRows of read) rows.push(...(leafRows ?? []));
      if (!read.includes(undefined) && rows.length <= most) continue;
      const halves = halvesOf(range);
      if (halves) return { pieces: halves };
      // A range of one id cannot be halved: it is read whole, as any range of one id is.
      const whole = await this.readPieces(
        query,
        [{ from: range.from, to: range.to }],
        Number.POSITIVE_INFINITY,
      );
      return { rows: whole ?? [] };
    }
    return { rows };
  }

  /**
   * A range cut on the ids of the rows the last complete run read in it (`known`, one per row, in
   * any order): leaves of `leafRows` known rows, never cutting between rows of one id, grouped into
   * units of the query's `unitPages` leaves, each unit carrying its leaves' `cuts`. A range of more units than
   * a split may store is cut into that many groups instead, each read (and cut again) on its own.
   * Undefined when the known rows fit in one leaf: one request reads the range anyway.
   */
  protected cutOnKnown(
    query: RangedQuery,
    range: KeyRange,
    known: readonly number[],
  ): KeyRange[] | undefined {
    const ids = known.filter((id) => inRange(id, range)).sort((a, b) => a - b);
    if (ids.length <= this.leafRows) return undefined;
    // Where each leaf after the first begins, and the known rows in each leaf.
    const starts: number[] = [];
    const sizes: number[] = [0];
    for (const [i, id] of ids.entries()) {
      if ((sizes.at(-1) as number) >= this.leafRows && id !== ids[i - 1]) {
        starts.push(id);
        sizes.push(0);
      }
      sizes[sizes.length - 1] = (sizes.at(-1) as number) + 1;
    }
    // Groups of whole units: cut again, a group then makes units of `unitPages` leaves, none short.
    const unitsPerGroup = Math.ceil(sizes.length / MAX_SPLIT_PIECES / query.unitPages);
    const leavesPerUnit = Math.max(1, unitsPerGroup) * query.unitPages;
    const bounds = [range.from, ...starts, range.to];
    const units: KeyRange[] = [];
    for (let first = 0; first < sizes.length; first += leavesPerUnit) {
      const last = Math.min(sizes.length, first + leavesPerUnit);
      const expected = sizes.slice(first, last).reduce((sum, n) => sum + n, 0);
      const unit = { from: bounds[first] as number, to: bounds[last] as number, expected };
      // A group of more leaves than a unit reads is cut again when it is read.
      units.push(leavesPerUnit === query.unitPages ? { ...unit, cuts: starts.slice(first, last - 1) } : unit);
    }
    return units;
  }

  /** Rows a unit of the query reads before it is split again (`unitMostRows`). */
  private unitMost(query: RangedQuery): number {
    return unitMostRows(query.unitPages, this.pageSize);
  }

  /** Rows a leaf aims at: the rest of its page is room for Siesa's repeated rows and new ones. */
  private get leafRows(): number {
    return Math.floor(this.pageSize * LEAF_FILL);
  }

  /** Rows a scan's leaf aims at, its rows estimated (SCAN_FILL). */
  private get scanRows(): number {
    return Math.floor(this.pageSize * SCAN_FILL);
  }

  /**
   * The rows of these pieces of a range, each read whole (a piece whose page is full again is
   * cut again, on its own page's ids). Every piece is read afresh, so a unit read again after a
   * crash covers its range whatever Siesa's order. Undefined when the pieces hold more than `most`
   * rows: they are then split off as units of their own, to be read in parallel.
   */
  private async readPieces(
    query: RangedQuery,
    ranges: readonly KeyRange[],
    most: number,
  ): Promise<SiesaRow[] | undefined> {
    if (ranges.reduce((sum, range) => sum + (range.expected ?? this.pageSize), 0) > most) return undefined;
    const rows: SiesaRow[] = [];
    const pending = [...ranges];
    for (let piece = pending.shift(); piece; piece = pending.shift()) {
      const parametros = query.parametros(piece);
      const read = await this.fromFirstPage(
        query,
        piece,
        parametros,
        await this.queryPage(query.descripcion, 1, parametros),
      );
      if ("rows" in read) rows.push(...read.rows);
      else pending.unshift(...read.pieces);
      if (rows.length > most) return undefined;
    }
    return rows;
  }

  /**
   * What a range's first page says: a short page is all of the range's rows (the query's, inside
   * it); a full one gives the pieces to read instead, cut on its ids; a single id that fills a page
   * is walked.
   */
  private async fromFirstPage(
    query: RangedQuery,
    range: KeyRange,
    parametros: string,
    first: SiesaPage,
    counting?: SiesaPage[],
  ): Promise<RangeRead> {
    this.assertFiltered(query, first.rows, range);
    if (first.endOfData) return { rows: this.keep(query, first.rows, range) };
    if (range.to - range.from > 1)
      return { pieces: await this.split(query, range, parametros, first, counting) };
    const walked = await this.walk(query.descripcion, { [query.column]: range.from }, parametros);
    query.check?.(walked);
    return { rows: this.keep(query, walked, range) };
  }

  private async split(
    query: RangedQuery,
    range: KeyRange,
    parametros: string,
    first: SiesaPage,
    counting?: SiesaPage[],
  ) {
    const sample = this.idsOf(query, first.rows);
    const estimate = first.total ?? (await this.estimateRows(query, range, parametros, sample, counting));
    // A range more than a unit reads (the first range, or a unit far beyond its estimate) is cut
    // into units of a few pages, each read leaf by leaf (scan); one that overflowed its page a
    // little, into pieces of a page, read at once (readPieces).
    const units = splitRange(
      range,
      sample,
      estimate,
      estimate > this.unitMost(query) ? query.unitPages * this.pageSize : this.pageSize,
    );
    // The run's first range, whose records go to a product: its first unit holds a leaf, so the
    // product's first writes wait for a request or two rather than a whole unit's reads.
    const runsFirst =
      range.from === FULL_RANGE.from && range.to === FULL_RANGE.to && range.within === undefined;
    const pieces = runsFirst ? withLeadingPiece(units, sample, this.leafRows) : units;
    this.options.log.debug("siesa range split", {
      tenantId: this.options.tenantId,
      descripcion: query.descripcion,
      range: { from: range.from, to: range.to },
      estimate,
      pieces: pieces.length,
    });
    return pieces;
  }

  /**
   * Rows in a range whose first page was full. The split that made the range carries an estimate;
   * when it is missing (the first range) the last page is bracketed by galloping on `numPag`, a few
   * pages at a time (the count of rows does not depend on their order), and the estimate is the
   * middle of the bracket: it only sets how many units the range is cut into, whose leaves then
   * follow the density they measure (scan), so finding the exact last page cost more requests than
   * it saved. The ids of every page read join `sample`, the ids the first range is cut on.
   */
  private async estimateRows(
    query: RangedQuery,
    range: KeyRange,
    parametros: string,
    sample: number[],
    /** The first round (`galloping`), when it was asked already. */
    counting?: SiesaPage[],
  ): Promise<number> {
    const size = this.pageSize;
    if (range.expected !== undefined) return Math.max(range.expected, Math.ceil(1.5 * size));
    // Pages up to `full` are full, from `short` on they are not (`shortLength` rows on `short`).
    let full = 1;
    let short = 0;
    let shortLength = 0;
    // `countProbes` pages at a time: the first range is the only one being read then, and one
    // round trip per round instead of per page shortens the run's start.
    const probe = async (pages: number[], asked?: SiesaPage[]): Promise<number | undefined> => {
      const answers = asked ?? (await this.queryPages(query.descripcion, pages, parametros));
      for (const answer of answers) sample.push(...this.idsOf(query, answer.rows));
      for (const [i, answer] of answers.entries()) {
        if (answer.total !== undefined) return answer.total;
        const page = pages[i] as number;
        if (!answer.endOfData) full = Math.max(full, page);
        else if (short === 0 || page < short) {
          short = page;
          shortLength = answer.rows.length;
        }
      }
      // Repeated rows could make a page after a short one full: the first short page decides.
      if (short !== 0 && full >= short) full = Math.max(1, short - 1);
      return undefined;
    };
    // The gallop's first round is answered already when `counting` is given.
    let asked = counting;
    for (let page = 2; short === 0 && page <= 2 ** 24; ) {
      const pages: number[] = [];
      for (let i = 0; i < query.countProbes && page <= 2 ** 24; i++, page *= 2) pages.push(page);
      const total = await probe(pages, asked);
      asked = undefined;
      if (total !== undefined) return total;
    }
    if (short === 0) return full * size;
    if (short - full === 1) return full * size + shortLength;
    return Math.round(((full + short) / 2) * size);
  }

  /** These pages of one query, asked at once. */
  private queryPages(
    descripcion: string,
    pages: readonly number[],
    parametros: string,
  ): Promise<SiesaPage[]> {
    return Promise.all(pages.map((page) => this.queryPage(descripcion, page, parametros)));
  }

  /**
   * Fallback for a single id (or reference) whose page is still full (should not happen: ids are
   * unique per company). Walks the pages, de-duplicating later; with an unstable order this may
   * miss rows, so warn.
   */
  protected async walk(
    descripcion: string,
    what: Record<string, unknown>,
    parametros: string,
  ): Promise<SiesaRow[]> {
    this.options.log.warn("siesa filter for one key fills a page; walking its pages instead", {
      api: "siesa",
      tenantId: this.options.tenantId,
      descripcion,
      ...what,
    });
    const rows: SiesaRow[] = [];
    for (let page = 1; page <= MAX_WALK_PAGES; page++) {
      const answer = await this.queryPage(descripcion, page, parametros);
      rows.push(...answer.rows);
      if (answer.endOfData) break;
    }
    return rows;
  }

  /** A row of the query outside the range asked for: Siesa did not apply the filter. */
  private assertFiltered(query: RangedQuery, rows: readonly SiesaRow[], range: KeyRange): void {
    query.check?.(rows);
    for (const row of rows) {
      const id = integerOf(row[query.column]);
      if (!query.ours(row) || id === undefined || inRange(id, range)) continue;
      throw new SiesaFilterError(
        `Siesa ignored the parametros filter of ${query.descripcion}: ${query.column} ${id} came back for the range ${range.from}..${range.to} (tenant ${this.options.tenantId})`,
      );
    }
  }

  /**
   * A query that answered no row in its ranges yet holds one when asked without them (`said`): a
   * refused operator, or a column the query lacks, answered "no records". The unit fails, retried,
   * rather than read the rows as gone.
   */
  protected missedByRanges(descripcion: string, said: string): ExternalCallError {
    return new ExternalCallError(
      "siesa",
      `ejecutarconsultaestandar ${descripcion}`,
      "invalid-answer",
      said,
      true,
    );
  }

  /** Rows whose key lies outside every range the reading covers (beyond a SQL int) stop the run. */
  protected async assertNothingOutside(query: RangedQuery): Promise<void> {
    const { tenantId } = this.options;
    if (query.outside === undefined) return;
    const [row] = (await this.request(query.descripcion, 1, 1, query.outside)).rows;
    if (!row) return;
    query.check?.([row]);
    const key = String(row[query.column]).trim();
    const id = integerOf(row[query.column]);
    // Any row not the query's, or inside the range, answers a filter Siesa did not apply.
    if (!query.ours(row) || (id !== undefined && inRange(id, FULL_RANGE))) {
      throw new SiesaFilterError(
        `Siesa ignored the parametros filter of ${query.descripcion}: ${query.column} ${key} came back when asked for ${query.whose} outside ${FULL_RANGE.from}..${FULL_RANGE.to} (${query.origin(row)}; tenant ${tenantId})`,
      );
    }
    throw new SiesaFilterError(
      `Siesa holds ${query.what} outside the ${query.column} range ${FULL_RANGE.from}..${FULL_RANGE.to} the extraction covers (${query.column} ${key}, tenant ${tenantId}): they cannot be read`,
    );
  }

  private idsOf(query: RangedQuery, rows: readonly SiesaRow[]): number[] {
    return rows.map((row) => integerOf(row[query.column])).filter((id) => id !== undefined);
  }

  /** The query's rows inside the range (ids outside belong to another range's answer). */
  private keep(query: RangedQuery, rows: readonly SiesaRow[], range: KeyRange): SiesaRow[] {
    return rows.filter((row) => {
      if (!query.ours(row)) return false;
      const id = integerOf(row[query.column]);
      return id === undefined || inRange(id, range);
    });
  }
}

/** The ids of the keys, one per key that names a row of the query. */
async function knownIds(
  keys: AsyncIterable<readonly string[]>,
  idOfKey: (key: string) => number | undefined,
): Promise<number[]> {
  const ids: number[] = [];
  for await (const page of keys) {
    for (const key of page) {
      const id = idOfKey(key);
      if (id !== undefined) ids.push(id);
    }
  }
  return ids;
}

/** Every promise's value once all have settled, or the first rejection: no call outlives the caller. */
async function allSettled<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
