import type { SiesaRow, SourceRecord } from "../../../core/domain/model.js";
import { FULL_RANGE, type KeyRange, type RangeResult, type SiesaReader } from "../../../core/ports/siesa.js";
import {
  SiesaFilterError,
  SiesaOperatorRefusedError,
  SiesaUnconfirmedError,
} from "../../../core/ports/siesa-errors.js";
import type { SiesaPage } from "./answer.js";
import { type Confirmation, confirmation, confirmationParametros, confirmations } from "./confirm.js";
import { BARCODES_QUERY, ITEMS_QUERY, SiesaConnection } from "./connection.js";
import {
  encodeParametros,
  MAX_PARAMETROS_LENGTH,
  type ReferenceForm,
  referenceGroups,
  referencesParametros,
} from "./parametros.js";
import { inRange, rangeParametros, splitRange } from "./ranges.js";
import { buildRecords, integerOf } from "./rows.js";

/** Walking one id's or one reference's pages (a should-not-happen fallback) stops here rather than loop forever. */
const MAX_WALK_PAGES = 1_000;
/**
 * Item pages one unit reads at most when its range overflowed its page: a few more are cheaper than
 * a split (an operation, a message and a unit for each piece), many more belong in parallel units.
 */
const MAX_UNIT_PAGES = 4;
/**
 * Pages of items each unit of the first range's split is cut to hold, read leaf by leaf (`scan`):
 * its barcodes then fill their queries, where a unit of one page left most of a second query empty.
 */
const UNIT_PAGES = 3;
/** Share of a page a leaf of a scan aims at: the rest is room for the density's noise and repeated rows. */
const LEAF_FILL = 0.9;
/** Share of that a unit's first leaf aims at, cut on the split's estimate alone. */
const FIRST_LEAF_FILL = 0.8;
/** Margin on the estimated barcode rows when choosing how many groups a full page is cut into. */
const BARCODE_SPLIT_MARGIN = 1.25;
/** Pages asked at once while bracketing the last page of the first range (see estimateRows). */
const ESTIMATE_PROBES = 8;
/** The first round of that search: pages 2, 4, … 256. */
const GALLOP_FIRST_PAGES = Array.from({ length: ESTIMATE_PROBES }, (_, i) => 2 ** (i + 1));

/**
 * Reads a tenant's catalogue from Siesa Cloud's `ejecutarconsultaestandar`. Every call goes through
 * the shared call policy (`send()`, in SiesaConnection); completeness despite Siesa's unstable row
 * order comes from partitioning items on `f120_id` ranges and their barcodes on sets of references
 * (README.md).
 */
export class SiesaClient extends SiesaConnection implements SiesaReader {
  /**
   * How barcode queries name their references: `IN` lists until Siesa refuses one, then `OR` chains
   * for the rest of this client's life (one tenant's, in one container).
   */
  private referenceForm: ReferenceForm = "in";
  /** Whether Siesa answered an `IN` list: until it has, one barcode query at a time tries one. */
  private inAnswered = false;
  /** The barcode query trying `IN` now; the others wait for its answer. */
  private inTrial: Promise<SiesaPage> | undefined;

  /**
   * One unit of work: the complete records of a range, or (when a few pages cannot hold the range)
   * the smaller ranges to extract instead; with `split: false`, always the records.
   */
  async extractRange(range: KeyRange, options: { split?: boolean } = {}): Promise<RangeResult> {
    const parametros = rangeParametros(range, this.options.erpCompany);
    // The whole range is the run's first request, with nothing else in flight: in the same round
    // trip it asks whether any id lies beyond it, and the first pages that count it (a catalogue of
    // more than a page is the rule), which shortens the wait for the first write.
    const whole = range.from === FULL_RANGE.from && range.to === FULL_RANGE.to;
    const most = options.split === false ? Number.POSITIVE_INFINITY : MAX_UNIT_PAGES * this.pageSize;
    const expected = range.expected ?? 0;
    if (!whole && expected > this.pageSize && expected <= most) {
      // A unit of a few pages (as the first range is cut): read leaf by leaf, with no full page spent.
      const scanned = await this.scan(range, most);
      if ("pieces" in scanned) return { kind: "split", ranges: scanned.pieces };
      return { kind: "records", records: await this.withBarcodes(scanned.rows) };
    }
    const [first, , counting] = await Promise.all([
      this.queryPage(ITEMS_QUERY, 1, parametros),
      whole ? this.assertNothingOutside() : undefined,
      whole ? this.queryPages(ITEMS_QUERY, GALLOP_FIRST_PAGES, parametros) : undefined,
    ]);
    const read = await this.fromFirstPage(range, parametros, first, counting);
    let items: SiesaRow[];
    if ("rows" in read) items = read.rows;
    else {
      // The first range fans out; a later one that overflowed its page a little is read here,
      // piece by piece: one unit of work instead of a split and its children. `split: false`
      // reads any range here (a retried unit whose records were planned must not split now).
      const pieces = whole && options.split !== false ? undefined : await this.readPieces(read.pieces, most);
      if (!pieces) return { kind: "split", ranges: read.pieces };
      items = pieces;
    }
    return { kind: "records", records: await this.withBarcodes(items) };
  }

  /**
   * The records of a finished range's items. Barcode rows carry no f120_id and no company
   * (docs/integrations/INT-001-siesa.md): they are read by the references of these items, and joined
   * to them by trimmed reference only.
   */
  private async withBarcodes(items: SiesaRow[]): Promise<SourceRecord[]> {
    if (items.length === 0) return [];
    const references = [
      ...new Set(items.map((item) => String(item.f120_referencia ?? "")).filter((r) => r !== "")),
    ].sort();
    const barcodes: SiesaRow[] = [];
    barcodes.push(...(await this.barcodesOfAll(references)));
    return buildRecords(items, barcodes);
  }

  /**
   * The item rows of a range of a few pages, read as consecutive leaves from its start, each read
   * whole (a leaf whose page is full is cut on its own ids, as readPieces does). Leaves are
   * disjoint and cover the range, so every row is read exactly once whatever Siesa's order; where
   * the cuts fall only sets how many requests that takes. Each leaf is cut to hold an equal share
   * of the rows left, as few leaves as keep each under a page, at the density of the rows read so
   * far (at first, the split's estimate). A range at an end of the int range is mostly empty: its
   * first page, a sample of its rows, says where they lie. More than `most` rows: the range is
   * split instead (its estimate was far off), in two at where the reading got to.
   */
  private async scan(range: KeyRange, most: number): Promise<{ rows: SiesaRow[] } | { pieces: KeyRange[] }> {
    const target = Math.floor(this.pageSize * LEAF_FILL);
    let span = { from: range.from, to: range.to };
    if (range.from === FULL_RANGE.from || range.to === FULL_RANGE.to) {
      const parametros = rangeParametros(range, this.options.erpCompany);
      const first = await this.queryPage(ITEMS_QUERY, 1, parametros);
      this.assertFiltered(first.rows, range);
      if (first.endOfData) return { rows: this.keep(first.rows, range) };
      const ids = this.idsOf(first.rows).filter((id) => inRange(id, range));
      if (ids.length > 1) span = { from: Math.min(...ids), to: Math.max(...ids) + 1 };
    }
    const expected = Math.max(1, range.expected ?? this.pageSize);
    const rows: SiesaRow[] = [];
    // Rows and width read inside the span; until they measure it, the estimate counts as one leaf.
    let width = 0;
    const priorWidth = (target * (span.to - span.from)) / expected;
    for (let from = range.from; from < range.to; ) {
      // The split's estimate can be far off (the first range's is a bracket's middle): once half a
      // leaf's rows are read, the density is what they measure.
      const density =
        rows.length >= target / 2 && width > 0
          ? rows.length / width
          : (rows.length + target) / (width + priorWidth);
      const start = Math.max(from, span.from);
      const left = Math.max(0, density * (span.to - start));
      // A unit's first leaf has only the estimate to go by: it aims lower.
      const aim = width === 0 ? Math.floor(target * FIRST_LEAF_FILL) : target;
      const leaves = Math.max(1, Math.ceil(left / aim));
      const to =
        leaves === 1
          ? range.to
          : Math.min(range.to, start + Math.max(1, Math.floor(left / leaves / density)));
      const leaf = await this.readPieces([{ from, to, expected: target }], Number.POSITIVE_INFINITY);
      rows.push(...(leaf ?? []));
      width += Math.max(0, Math.min(to, span.to) - Math.max(from, span.from));
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
   * Of these ids, which a complete extraction did not return, those Siesa still lacks when asked
   * again by id (confirm.ts): ranges of them, each request naming a witness from `seen` (the ids
   * the extraction returned). An answer that lacks a returned id it should hold is not believed:
   * SiesaUnconfirmedError, as when nothing was returned at all (no witness to ask for).
   */
  async stillAbsent(absent: readonly string[], seen: readonly string[]): Promise<string[]> {
    // A key that is no f120_id cannot be asked for, so it is kept (the mapping rejects such records:
    // the ledger has none).
    const ids = (keys: readonly string[]) => keys.filter((k) => /^-?\d+$/.test(k)).map(Number);
    return (await this.#stillAbsentIds(ids(absent), ids(seen))).map(String);
  }

  async #stillAbsentIds(absent: readonly number[], seen: readonly number[]): Promise<number[]> {
    const sorted = (ids: readonly number[]) => [...new Set(ids)].sort((a, b) => a - b);
    const known = sorted(seen);
    // Each answer must fit one short page: its absent ids, the returned ids among them, the witness.
    const checks = confirmations(sorted(absent), known, Math.floor(this.pageSize / 2) - 1);
    if (!checks) {
      throw new SiesaUnconfirmedError(
        `the extraction returned no record of tenant ${this.options.tenantId} to witness a confirming read: the absence of ${absent.length} records cannot be confirmed`,
      );
    }
    const gone: number[] = [];
    const pending: Confirmation[] = [...checks];
    for (let check = pending.shift(); check; check = pending.shift()) {
      const { erpCompany, tenantId } = this.options;
      const page = await this.queryPage(ITEMS_QUERY, 1, confirmationParametros(check, erpCompany));
      if (!page.endOfData) {
        // More rows than expected (records created since the extraction): ask in halves.
        const [first] = check.absent;
        if (check.absent.length === 1 || first === undefined) {
          throw new SiesaUnconfirmedError(
            `Siesa's answer for f120_id ${first} and its witness filled a page of ${this.pageSize} rows (tenant ${tenantId}): its absence cannot be confirmed`,
          );
        }
        const half = Math.ceil(check.absent.length / 2);
        const halves = [check.absent.slice(0, half), check.absent.slice(half)];
        pending.unshift(
          ...halves.map((ids) =>
            confirmation({ from: ids[0] as number, to: (ids.at(-1) as number) + 1 }, ids, known),
          ),
        );
        continue;
      }
      const ids = new Set<number>();
      for (const row of page.rows) {
        const id = integerOf(row.f120_id);
        if (integerOf(row.f120_id_cia) !== erpCompany || id === undefined) continue;
        if (!inRange(id, check.range) && id !== check.witness) {
          throw new SiesaFilterError(
            `Siesa ignored the parametros filter of ${ITEMS_QUERY}: f120_id ${id} came back when asked for f120_id ${check.range.from}..${check.range.to} (tenant ${tenantId})`,
          );
        }
        ids.add(id);
      }
      const witnesses = check.witness === undefined ? check.seenInside : [...check.seenInside, check.witness];
      const lacking = witnesses.filter((id) => !ids.has(id));
      if (lacking.length > 0) {
        throw new SiesaUnconfirmedError(
          `Siesa's answer for f120_id ${check.range.from}..${check.range.to} lacked f120_id ${lacking[0]}, which this run read${lacking.length > 1 ? ` (and ${lacking.length - 1} more)` : ""}: it is no evidence that any record is gone (tenant ${tenantId})`,
        );
      }
      for (const id of check.absent) if (!ids.has(id)) gone.push(id);
    }
    return gone;
  }

  /**
   * The item rows of these pieces of a range, each read whole (a piece whose page is full again is
   * cut again, on its own page's ids). Every piece is read afresh, so a unit read again after a
   * crash covers its range whatever Siesa's order. Undefined when the pieces hold more than `most`
   * rows: they are then split off as units of their own, to be read in parallel.
   */
  private async readPieces(ranges: readonly KeyRange[], most: number): Promise<SiesaRow[] | undefined> {
    if (ranges.reduce((sum, range) => sum + (range.expected ?? this.pageSize), 0) > most) return undefined;
    const rows: SiesaRow[] = [];
    const pending = [...ranges];
    for (let piece = pending.shift(); piece; piece = pending.shift()) {
      const parametros = rangeParametros(piece, this.options.erpCompany);
      const read = await this.fromFirstPage(
        piece,
        parametros,
        await this.queryPage(ITEMS_QUERY, 1, parametros),
      );
      if ("rows" in read) rows.push(...read.rows);
      else pending.unshift(...read.pieces);
      if (rows.length > most) return undefined;
    }
    return rows;
  }

  /**
   * What a range's first page says: a short page is all of the range's rows (this company's, inside
   * it); a full one gives the pieces to read instead, cut on its ids; a single id that fills a page
   * is walked.
   */
  private async fromFirstPage(
    range: KeyRange,
    parametros: string,
    first: SiesaPage,
    counting?: SiesaPage[],
  ): Promise<{ rows: SiesaRow[] } | { pieces: KeyRange[] }> {
    this.assertFiltered(first.rows, range);
    if (first.endOfData) return { rows: this.keep(first.rows, range) };
    if (range.to - range.from > 1)
      return { pieces: await this.split(ITEMS_QUERY, range, parametros, first, counting) };
    return { rows: this.keep(await this.walk(ITEMS_QUERY, { f120_id: range.from }, parametros), range) };
  }

  /**
   * Every record of the tenant's ERP company exactly once, in batches (one per completed range),
   * with up to `concurrency` ranges in flight. A work queue: a split pushes its pieces.
   */
  async *extractAll(options: { concurrency: number }): AsyncGenerator<SourceRecord[]> {
    const concurrency = Math.max(1, Math.floor(options.concurrency));
    const pending: KeyRange[] = [FULL_RANGE];
    type Settled = { id: number; result?: RangeResult; error?: unknown };
    const inFlight = new Map<number, Promise<Settled>>();
    let nextId = 0;
    while (pending.length > 0 || inFlight.size > 0) {
      while (pending.length > 0 && inFlight.size < concurrency) {
        const id = nextId++;
        const range = pending.shift() as KeyRange;
        // Settle every promise (never reject) so an error in one range leaves no unhandled rejection behind.
        inFlight.set(
          id,
          this.extractRange(range).then(
            (result) => ({ id, result }),
            (error: unknown) => ({ id, error }),
          ),
        );
      }
      const settled = await Promise.race(inFlight.values());
      inFlight.delete(settled.id);
      if (!settled.result) throw settled.error;
      if (settled.result.kind === "split") pending.push(...settled.result.ranges);
      else if (settled.result.records.length > 0) yield settled.result.records;
    }
  }

  /**
   * Every barcode row of these references. Like an item range, a set of references whose page
   * comes back short is complete whatever the order; a full page splits the set into groups sized
   * from that page (a sample of the result), each read the same way. A single reference that
   * still fills a page (hundreds of barcodes for one item) falls back to walking its pages.
   */
  private async barcodesOf(references: readonly string[]): Promise<SiesaRow[]> {
    const asked = await this.referencePage(references);
    // IN refused (now or while this set waited): the set again, in groups of the OR form.
    if (!asked) return this.barcodesOfAll(references);
    const { first, parametros } = asked;
    if (first.endOfData) return first.rows;
    if (references.length === 1) {
      return this.walk(BARCODES_QUERY, { f120_referencia: references[0] }, parametros);
    }
    const sampled = new Set(first.rows.map((row) => String(row.f120_referencia ?? ""))).size;
    const estimate = first.total ?? Math.ceil((references.length * first.rows.length) / Math.max(1, sampled));
    const groups = Math.min(
      references.length,
      Math.max(2, Math.ceil((estimate * BARCODE_SPLIT_MARGIN) / this.pageSize)),
    );
    this.options.log.debug("siesa reference set split", {
      tenantId: this.options.tenantId,
      descripcion: BARCODES_QUERY,
      references: references.length,
      estimate,
      groups,
    });
    const rows: SiesaRow[] = [];
    const size = Math.ceil(references.length / groups);
    for (let at = 0; at < references.length; at += size) {
      rows.push(...(await this.barcodesOf(references.slice(at, at + size))));
    }
    return rows;
  }

  /** The barcode rows of any number of references, in groups that fit the current form's URL budget. */
  private async barcodesOfAll(references: readonly string[]): Promise<SiesaRow[]> {
    const rows: SiesaRow[] = [];
    for (const group of referenceGroups(references, MAX_PARAMETROS_LENGTH, this.referenceForm)) {
      rows.push(...(await this.barcodesOf(group)));
    }
    return rows;
  }

  /**
   * The first page of these references' barcodes, in the current form; undefined when they must be
   * grouped again: Siesa refused the `IN` form just now, or did while this set (cut for `IN`) waited,
   * and the `OR` form of the set is longer than a request holds. Until Siesa has answered an `IN`
   * list, one query at a time tries one and the others wait for it, so a Siesa that refuses `IN`
   * costs one refused request per client, however many units share it.
   */
  private async referencePage(
    references: readonly string[],
  ): Promise<{ first: SiesaPage; parametros: string } | undefined> {
    while (this.referenceForm === "in" && !this.inAnswered && this.inTrial) {
      await this.inTrial.catch(() => undefined);
    }
    const form = this.referenceForm;
    const parametros = referencesParametros(references, form);
    if (references.length > 1 && encodeParametros(parametros).length > MAX_PARAMETROS_LENGTH)
      return undefined;
    if (form === "or" || this.inAnswered) {
      return { first: await this.queryPage(BARCODES_QUERY, 1, parametros), parametros };
    }
    const trial = this.queryPage(BARCODES_QUERY, 1, parametros);
    this.inTrial = trial;
    try {
      const first = await trial;
      this.inAnswered = true;
      return { first, parametros };
    } catch (error) {
      if (!(error instanceof SiesaOperatorRefusedError && error.operator === "IN")) throw error;
      this.referenceForm = "or";
      this.options.log.warn("siesa refused IN lists; barcode queries use OR chains instead", {
        api: "siesa",
        tenantId: this.options.tenantId,
        descripcion: BARCODES_QUERY,
        apiMessage: error.apiMessage,
      });
      return undefined;
    } finally {
      this.inTrial = undefined;
    }
  }

  private async split(
    descripcion: string,
    range: KeyRange,
    parametros: string,
    first: SiesaPage,
    counting?: SiesaPage[],
  ) {
    const sample = this.idsOf(first.rows);
    const estimate =
      first.total ?? (await this.estimateRows(descripcion, range, parametros, sample, counting));
    // A range more than a unit reads (the first range, or a unit far beyond its estimate) is cut
    // into units of a few pages, each read leaf by leaf (scan); one that overflowed its page a
    // little, into pieces of a page, read at once (readPieces).
    const most = MAX_UNIT_PAGES * this.pageSize;
    const pieces = splitRange(
      range,
      sample,
      estimate,
      estimate > most ? UNIT_PAGES * this.pageSize : this.pageSize,
    );
    this.options.log.debug("siesa range split", {
      tenantId: this.options.tenantId,
      descripcion,
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
    descripcion: string,
    range: KeyRange,
    parametros: string,
    sample: number[],
    /** GALLOP_FIRST_PAGES, when they were asked already. */
    counting?: SiesaPage[],
  ): Promise<number> {
    const size = this.pageSize;
    if (range.expected !== undefined) return Math.max(range.expected, Math.ceil(1.5 * size));
    // Pages up to `full` are full, from `short` on they are not (`shortLength` rows on `short`).
    let full = 1;
    let short = 0;
    let shortLength = 0;
    // ESTIMATE_PROBES pages at a time: the first range is the only one being read then, and one
    // round trip per round instead of per page shortens the run's start.
    const probe = async (pages: number[], asked?: SiesaPage[]): Promise<number | undefined> => {
      const answers = asked ?? (await this.queryPages(descripcion, pages, parametros));
      for (const answer of answers) sample.push(...this.idsOf(answer.rows));
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
    // The gallop's first round is GALLOP_FIRST_PAGES: answered already when `counting` is given.
    let asked = counting;
    for (let page = 2; short === 0 && page <= 2 ** 24; ) {
      const pages: number[] = [];
      for (let i = 0; i < ESTIMATE_PROBES && page <= 2 ** 24; i++, page *= 2) pages.push(page);
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
  private async walk(
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

  /** A row of this company outside the range asked for: Siesa did not apply the filter. */
  private assertFiltered(rows: readonly SiesaRow[], range: KeyRange): void {
    for (const row of rows) {
      const id = integerOf(row.f120_id);
      if (integerOf(row.f120_id_cia) !== this.options.erpCompany || id === undefined || inRange(id, range))
        continue;
      throw new SiesaFilterError(
        `Siesa ignored the parametros filter of ${ITEMS_QUERY}: f120_id ${id} came back for the range ${range.from}..${range.to} (tenant ${this.options.tenantId})`,
      );
    }
  }

  /** Items whose f120_id lies outside every range the extraction covers (beyond a SQL int) stop the run. */
  private async assertNothingOutside(): Promise<void> {
    const { erpCompany, tenantId } = this.options;
    const parametros = `f120_id_cia = ${erpCompany} AND (f120_id < ${FULL_RANGE.from} OR f120_id >= ${FULL_RANGE.to})`;
    const [row] = (await this.request(ITEMS_QUERY, 1, 1, parametros)).rows;
    if (!row) return;
    const id = integerOf(row.f120_id);
    // Any row of another company, or inside the range, answers a filter Siesa did not apply.
    const company = integerOf(row.f120_id_cia);
    if (company !== erpCompany || (id !== undefined && inRange(id, FULL_RANGE))) {
      throw new SiesaFilterError(
        `Siesa ignored the parametros filter of ${ITEMS_QUERY}: f120_id ${String(row.f120_id).trim()} came back when asked for company ${erpCompany}'s ids outside ${FULL_RANGE.from}..${FULL_RANGE.to} (its company: ${company}; tenant ${tenantId})`,
      );
    }
    throw new SiesaFilterError(
      `Siesa holds items outside the f120_id range ${FULL_RANGE.from}..${FULL_RANGE.to} the extraction covers (f120_id ${String(row.f120_id).trim()}, tenant ${tenantId}): they cannot be read`,
    );
  }

  private idsOf(rows: readonly SiesaRow[]): number[] {
    return rows.map((row) => integerOf(row.f120_id)).filter((id) => id !== undefined);
  }

  /** This tenant's company items inside the range (ids outside belong to another range's answer). */
  private keep(rows: readonly SiesaRow[], range: KeyRange): SiesaRow[] {
    const { erpCompany } = this.options;
    return rows.filter((row) => {
      if (integerOf(row.f120_id_cia) !== erpCompany) return false;
      const id = integerOf(row.f120_id);
      return id === undefined || inRange(id, range);
    });
  }
}
