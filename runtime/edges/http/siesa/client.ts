import type { SiesaRow, SourceRecord } from "../../../core/domain/model.js";
import { forEachConcurrent } from "../../../core/domain/pool.js";
import {
  type ExtractOptions,
  FULL_RANGE,
  type KeyRange,
  type RangeResult,
  type SiesaReader,
} from "../../../core/ports/siesa.js";
import {
  SiesaFilterError,
  SiesaOperatorRefusedError,
  SiesaUnconfirmedError,
} from "../../../core/ports/siesa-errors.js";
import type { SiesaPage } from "./answer.js";
import { type Confirmation, confirmation, confirmationParametros, confirmations } from "./confirm.js";
import { BARCODES_QUERY, CALLS_AT_ONCE, ITEMS_QUERY, type SiesaClientOptions } from "./connection.js";
import {
  encodeParametros,
  MAX_PARAMETROS_LENGTH,
  type ReferenceForm,
  referenceGroups,
  referencesParametros,
} from "./parametros.js";
import { type RangedQuery, SiesaRangeReader } from "./range-reading.js";
import { inRange, rangeParametros } from "./ranges.js";
import { buildRecords, integerOf } from "./rows.js";

/** Margin on the estimated barcode rows when choosing how many groups a full page is cut into. */
const BARCODE_SPLIT_MARGIN = 1.25;

/** A catalogue record's key is its f120_id: the id, or undefined for a key that is none. */
const itemIdOfKey = (key: string): number | undefined => (/^-?\d+$/.test(key) ? Number(key) : undefined);

/** The catalogue's items as ranges of `f120_id` read them: the tenant's ERP company's only. */
export function itemsQuery(erpCompany: number): RangedQuery {
  return {
    descripcion: ITEMS_QUERY,
    column: "f120_id",
    parametros: (range) => rangeParametros(range, erpCompany),
    outside: `f120_id_cia = ${erpCompany} AND (f120_id < ${FULL_RANGE.from} OR f120_id >= ${FULL_RANGE.to})`,
    whose: `company ${erpCompany}'s ids`,
    what: "items",
    ours: (row) => integerOf(row.f120_id_cia) === erpCompany,
    origin: (row) => `its company: ${integerOf(row.f120_id_cia)}`,
    idOfKey: itemIdOfKey,
    countProbes: 8,
    // A unit's barcodes are read in queries of as many references as a query string holds: the
    // larger the unit, the smaller the share its last, part-filled query wastes.
    unitPages: 7,
    countAtOnce: true,
  };
}

/**
 * Every record a reader returns from the whole key range, in batches (one per completed range),
 * with up to `concurrency` ranges in flight. A work queue: a split pushes its pieces.
 */
export async function* readEveryRange(
  reader: SiesaReader,
  options: { concurrency: number },
): AsyncGenerator<SourceRecord[]> {
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
        reader.extractRange(range).then(
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
 * Reads a tenant's catalogue from Siesa Cloud's `ejecutarconsultaestandar`. Every call goes through
 * the shared call policy (`send()`, in SiesaConnection); completeness despite Siesa's unstable row
 * order comes from partitioning items on `f120_id` ranges (SiesaRangeReader) and their barcodes on
 * sets of references (README.md).
 */
export class SiesaClient extends SiesaRangeReader implements SiesaReader {
  private readonly items: RangedQuery;
  /**
   * How barcode queries name their references: `IN` lists until Siesa refuses one, then `OR` chains
   * for the rest of this client's life (one tenant's, in one container).
   */
  private referenceForm: ReferenceForm = "in";
  /** Whether Siesa answered an `IN` list: until it has, one barcode query at a time tries one. */
  private inAnswered = false;
  /** The barcode query trying `IN` now; the others wait for its answer. */
  private inTrial: Promise<SiesaPage> | undefined;

  constructor(options: SiesaClientOptions) {
    super(options);
    this.items = itemsQuery(options.erpCompany);
  }

  /**
   * One unit of work: the complete records of a range, or (when a few pages cannot hold the range)
   * the smaller ranges to extract instead; with `split: false`, always the records.
   */
  async extractRange(range: KeyRange, options: ExtractOptions = {}): Promise<RangeResult> {
    const read = await this.readRange(this.items, range, options);
    if ("pieces" in read) return { kind: "split", ranges: read.pieces };
    const whole = range.from === FULL_RANGE.from && range.to === FULL_RANGE.to;
    if (whole && read.rows.length === 0) await this.assertNoItemsWithoutRanges();
    return { kind: "records", records: await this.withBarcodes(read.rows) };
  }

  /**
   * No item in the whole range: asked without the range, Siesa must have none either. A refused
   * operator or a column the query lacks may be answered "no records", and the catalogue would seem
   * empty; the unit fails instead (retried, then the run ends failed naming the query).
   */
  private async assertNoItemsWithoutRanges(): Promise<void> {
    const { erpCompany, tenantId } = this.options;
    const [row] = (await this.request(ITEMS_QUERY, 1, 1, `f120_id_cia = ${erpCompany}`)).rows;
    // Only an item of the company says the ranges missed something (not a row of nulls).
    if (!row || integerOf(row.f120_id_cia) !== erpCompany) return;
    throw this.missedByRanges(
      ITEMS_QUERY,
      `${ITEMS_QUERY} answered no item of company ${erpCompany} in ranges of f120_id, yet holds f120_id ${String(row.f120_id)} when asked without them (tenant ${tenantId})`,
    );
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
   * Of these ids, which a complete extraction did not return, those Siesa still lacks when asked
   * again by id (confirm.ts): ranges of them, each request naming a witness from `seen` (the ids
   * the extraction returned). An answer that lacks a returned id it should hold is not believed:
   * SiesaUnconfirmedError, as when nothing was returned at all (no witness to ask for).
   */
  async stillAbsent(absent: readonly string[], seen: readonly string[]): Promise<string[]> {
    // A key that is no f120_id cannot be asked for, so it is kept (the mapping rejects such records:
    // the ledger has none).
    const ids = (keys: readonly string[]) => keys.map(itemIdOfKey).filter((id) => id !== undefined);
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

  /** Every record of the tenant's ERP company exactly once, in batches (readEveryRange). */
  extractAll(options: { concurrency: number }): AsyncGenerator<SourceRecord[]> {
    return readEveryRange(this, options);
  }

  /**
   * Every barcode row of these references. Like an item range, a set of references whose page
   * comes back short is complete whatever the order; a full page splits the set into groups sized
   * from that page (a sample of the result), each read the same way. A single reference that
   * still fills a page (hundreds of barcodes for one item) falls back to walking its pages.
   */
  private async barcodesOf(references: readonly string[]): Promise<SiesaRow[]> {
    const asked = await this.referencePage(references);
    // IN refused (now or while this set waited): the set again, in groups of the OR form, one at a
    // time (this set is one of its unit's calls at once).
    if (!asked) return this.barcodesOfAll(references, 1);
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
  private async barcodesOfAll(references: readonly string[], atOnce = CALLS_AT_ONCE): Promise<SiesaRow[]> {
    const groups = referenceGroups(references, MAX_PARAMETROS_LENGTH, this.referenceForm);
    const rows: SiesaRow[][] = [];
    // A few at once: a unit's items are read one leaf after another, its barcodes need not wait for
    // each other (the same requests, in less of the unit's time).
    await forEachConcurrent([...groups.entries()], atOnce, async ([i, group]) => {
      rows[i] = await this.barcodesOf(group);
    });
    return rows.flat();
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
}
