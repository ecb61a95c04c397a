import type { SiesaRow, SourceRecord } from "../../../core/domain/model.js";
import {
  type ExtractOptions,
  FULL_RANGE,
  type KeyRange,
  type RangeResult,
  type SiesaReader,
} from "../../../core/ports/siesa.js";
import { SiesaFilterError, SiesaUnconfirmedError } from "../../../core/ports/siesa-errors.js";
import { oneRowPerKey, parseStockKey, STOCK_COLUMNS, stockKey } from "../../../core/streams/stock.js";
import { absentRanges, confirmation } from "./confirm.js";
import type { SiesaClientOptions } from "./connection.js";
import { textLiteral } from "./parametros.js";
import type { RangedQuery } from "./range-reading.js";
import { inRange } from "./ranges.js";
import { integerOf } from "./rows.js";
import { isOpen, SiesaWarehouses, WAREHOUSES_QUERY } from "./warehouses.js";

export const STOCK_QUERY = "API_v2_Inventarios_InvFecha";

/**
 * Pages of a stock unit. Its leaves are read one after another, each cut at the density the last
 * ones measured, so a longer unit spends fewer requests settling on it (its first leaf, its last
 * two); a warehouse still spreads over many units, and a run over many warehouses.
 */
export const STOCK_UNIT_PAGES = 9;

const ITEM = STOCK_COLUMNS.item;
const WAREHOUSE = STOCK_COLUMNS.warehouse;
const INSTALLATION = STOCK_COLUMNS.installation;

const warehouseOf = (row: SiesaRow): string => String(row[WAREHOUSE] ?? "").trim();

/** The rows of one warehouse in a range of `f120_id`. */
const inWarehouse = (code: string, range: KeyRange): string =>
  `${WAREHOUSE} = ${textLiteral(code)} AND ${ITEM} >= ${range.from} AND ${ITEM} < ${range.to}`;

/**
 * Reads the stock of the tenant's counted warehouses from `API_v2_Inventarios_InvFecha`
 * (docs/integrations/stock-and-locations.md): the root range splits into one range per warehouse
 * (`within` its code), and each is read completely in ranges of `f120_id`, split into units as the
 * catalogue's first range is (SiesaRangeReader). A record per item, warehouse and installation,
 * keyed `stockKey`, its item the trimmed row.
 */
export class SiesaStockReader extends SiesaWarehouses implements SiesaReader {
  constructor(
    options: SiesaClientOptions,
    /** The tenant's counted warehouse codes (`streams.stock.warehouses`); absent: every active one. */
    private readonly counted?: readonly string[],
  ) {
    super(options);
  }

  async extractRange(range: KeyRange, options: ExtractOptions = {}): Promise<RangeResult> {
    const code = range.within;
    if (code === undefined) {
      // The root (or a part of it): the same ids in each counted warehouse.
      const [codes] = await Promise.all([
        this.countedWarehouses(),
        // Once for every warehouse, rather than with each warehouse's first range.
        range.from === FULL_RANGE.from && range.to === FULL_RANGE.to
          ? this.assertNothingOutside(this.everyStockRow())
          : undefined,
      ]);
      return { kind: "split", ranges: codes.map((within) => ({ from: range.from, to: range.to, within })) };
    }
    const read = await this.readRange(this.stockQuery(code), range, options);
    if ("pieces" in read) {
      return { kind: "split", ranges: read.pieces.map((piece) => ({ ...piece, within: code })) };
    }
    const whole = range.from === FULL_RANGE.from && range.to === FULL_RANGE.to;
    if (whole && read.rows.length === 0) await this.assertNoStockWithoutRanges(code);
    // A key's repeats that disagree on a quantity are marked, and the mapping takes neither.
    const rows = oneRowPerKey(read.rows.map((row) => ({ key: this.keyOf(row), row })));
    const records: SourceRecord[] = [...rows].map(([key, item]) => ({ key, item, barcodes: [] }));
    return { kind: "records", records };
  }

  /**
   * Of the stock keys a complete run did not return, those Siesa still lacks. A warehouse no longer
   * counted, or closed (its row says so), lacks them all; one missing from the warehouses Siesa
   * answers lacks them if that answer holds every warehouse the run read stock in. Within a
   * counted warehouse they are asked for again by `f120_id` (as confirm.ts does for items), each
   * request naming a witness, a row the run read: an answer without it proves nothing.
   */
  async stillAbsent(absent: readonly string[], seen: readonly string[]): Promise<string[]> {
    if (absent.length === 0) return [];
    const { tenantId } = this.options;
    const seenBy = byWarehouse(seen);
    const warehouses = await this.readWarehouses();
    for (const code of seenBy.keys()) {
      const row = warehouses.get(code);
      if (row && isOpen(row)) continue;
      throw new SiesaUnconfirmedError(
        `Siesa's second read of the warehouses ${row ? "shows closed" : "lacked"} warehouse ${code}, whose stock this run read: it is no evidence that any stock row is gone (tenant ${tenantId})`,
      );
    }
    // A key that names no stock row cannot be asked for, so it is kept (the mapping rejects such records).
    const gone = absent.filter((key) => parseStockKey(key) === undefined);
    for (const [code, keys] of byWarehouse(absent)) {
      const row = warehouses.get(code);
      const all = [...keys.values()].flat();
      if (!this.counts(code) || (row && !isOpen(row))) gone.push(...all);
      else if (!row) {
        if (seenBy.size === 0) throw this.noWitness(absent.length);
        gone.push(...all);
      } else gone.push(...(await this.stillAbsentIn(code, keys, seenBy)));
    }
    return gone;
  }

  /** Of these keys of one open, counted warehouse (by f120_id), those Siesa still lacks. */
  private async stillAbsentIn(
    code: string,
    absent: ReadonlyMap<number, string[]>,
    seenBy: ReadonlyMap<string, ReadonlyMap<number, string[]>>,
  ): Promise<string[]> {
    const { tenantId } = this.options;
    const sorted = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);
    const here = seenBy.get(code);
    const seenIds = sorted(here?.keys() ?? []);
    // A witness from another warehouse when the run read none of this one's rows.
    const [elsewhere] = [...seenBy.entries()].filter(([other]) => other !== code);
    if (seenIds.length === 0 && !elsewhere) throw this.noWitness(absent.size);
    const pending = absentRanges(sorted(absent.keys()), seenIds, Math.floor(this.pageSize / 2) - 1);
    const gone: string[] = [];
    for (let group = pending.shift(); group; group = pending.shift()) {
      let witness: { code: string; id: number } | undefined;
      let required: string[];
      if (seenIds.length > 0) {
        const check = confirmation(group.range, group.absent, seenIds);
        witness = check.witness === undefined ? undefined : { code, id: check.witness };
        const ids = witness ? [witness.id] : check.seenInside;
        required = ids.flatMap((id) => here?.get(id) ?? []);
      } else {
        const [other, ids] = elsewhere as [string, ReadonlyMap<number, string[]>];
        const [id, keys] = [...ids.entries()][0] as [number, string[]];
        witness = { code: other, id };
        required = keys;
      }
      const range = inWarehouse(code, group.range);
      const parametros = witness
        ? `(${range}) OR (${WAREHOUSE} = ${textLiteral(witness.code)} AND ${ITEM} = ${witness.id})`
        : range;
      const page = await this.queryPage(STOCK_QUERY, 1, parametros);
      if (!page.endOfData) {
        // More rows than expected (rows created since the extraction): ask in halves.
        const [first] = group.absent;
        if (group.absent.length === 1 || first === undefined) {
          throw new SiesaUnconfirmedError(
            `Siesa's answer for f120_id ${first} of warehouse ${code} and its witness filled a page of ${this.pageSize} rows (tenant ${tenantId}): its absence cannot be confirmed`,
          );
        }
        const half = Math.ceil(group.absent.length / 2);
        pending.unshift(
          ...[group.absent.slice(0, half), group.absent.slice(half)].map((ids) => ({
            range: { from: ids[0] as number, to: (ids.at(-1) as number) + 1 },
            absent: ids,
          })),
        );
        continue;
      }
      const returned = new Set<string>();
      for (const row of page.rows) {
        this.checkItem(row, warehouseOf(row));
        const id = integerOf(row[ITEM]) as number;
        const at = warehouseOf(row);
        const asked =
          (at === code && inRange(id, group.range)) || (at === witness?.code && id === witness.id);
        if (!asked) {
          throw new SiesaFilterError(
            `Siesa ignored the parametros filter of ${STOCK_QUERY}: f120_id ${id} of warehouse ${at} came back when asked for f120_id ${group.range.from}..${group.range.to} of warehouse ${code} (tenant ${tenantId})`,
          );
        }
        returned.add(this.keyOf(row));
      }
      const lacking = required.filter((key) => !returned.has(key));
      if (lacking.length > 0) {
        throw new SiesaUnconfirmedError(
          `Siesa's answer for f120_id ${group.range.from}..${group.range.to} of warehouse ${code} lacked the stock row ${lacking[0]}, which this run read${lacking.length > 1 ? ` (and ${lacking.length - 1} more)` : ""}: it is no evidence that any stock row is gone (tenant ${tenantId})`,
        );
      }
      for (const id of group.absent) {
        for (const key of absent.get(id) ?? []) if (!returned.has(key)) gone.push(key);
      }
    }
    return gone;
  }

  /**
   * The warehouses whose stock the tenant counts: the listed ones, each of which must be an active
   * warehouse of its ERP company, or else every active one. None may share its code with another
   * company's warehouse: the filter on the code would answer that warehouse's rows too, and stock
   * rows carry no company to tell them apart.
   */
  private async countedWarehouses(): Promise<string[]> {
    const { erpCompany, tenantId } = this.options;
    const { ours: warehouses, shared } = await this.readWarehousesAndShared();
    const active = [...warehouses].filter(([, row]) => isOpen(row)).map(([code]) => code);
    if (this.counted === undefined) {
      if (active.length === 0) {
        throw new Error(
          `Siesa answered no active warehouse of ERP company ${erpCompany} (tenant ${tenantId}): there is no stock to read`,
        );
      }
      this.assertOwnCodes(active, shared);
      return active;
    }
    const codes = [...new Set(this.counted.map((code) => code.trim()))];
    for (const code of codes) {
      if (active.includes(code)) continue;
      const state = warehouses.has(code) ? "is closed" : "is not one of its warehouses";
      throw new Error(
        `tenant ${tenantId} counts the stock of warehouse ${code} (streams.stock.warehouses), which ${state} in Siesa's ${WAREHOUSES_QUERY} for ERP company ${erpCompany}`,
      );
    }
    this.assertOwnCodes(codes, shared);
    return codes;
  }

  /** Stops the run when a counted code is also another company's warehouse's (any state: a closed one holds rows). */
  private assertOwnCodes(codes: readonly string[], shared: ReadonlyMap<string, readonly string[]>): void {
    const { erpCompany, tenantId } = this.options;
    const code = codes.find((counted) => shared.has(counted));
    if (code === undefined) return;
    const others = shared.get(code)?.join(", ");
    throw new SiesaFilterError(
      `warehouse ${code} of ERP company ${erpCompany} shares its code with a warehouse of ERP company ${others} in ${WAREHOUSES_QUERY}, and the stock rows of ${STOCK_QUERY} carry no company: its stock cannot be told from theirs, so tenant ${tenantId}'s stock is not read; leave ${code} out of streams.stock.warehouses, or have the code changed in Siesa`,
    );
  }

  private counts(code: string): boolean {
    return this.counted === undefined || this.counted.some((counted) => counted.trim() === code);
  }

  /**
   * One warehouse's stock, in ranges of `f120_id`. A warehouse may hold a page of rows or a
   * catalogue's worth, and a run reads several: its count is asked two pages at a time, after its
   * first page, so that a small warehouse costs no pages past its end.
   */
  private stockQuery(code: string): RangedQuery {
    return {
      descripcion: STOCK_QUERY,
      column: ITEM,
      parametros: (range) => inWarehouse(code, range),
      whose: `warehouse ${code}'s rows`,
      what: "stock rows",
      ours: (row) => warehouseOf(row) === code,
      origin: (row) => `its warehouse: ${warehouseOf(row)}`,
      check: (rows) => {
        for (const row of rows) this.checkRow(row, code);
      },
      idOfKey: (key) => {
        const row = parseStockKey(key);
        return row?.warehouse === code ? row.item : undefined;
      },
      countProbes: 2,
      unitPages: STOCK_UNIT_PAGES,
      countAtOnce: false,
    };
  }

  /**
   * Every warehouse's stock, only to ask (once a run) whether any row's `f120_id` lies beyond the
   * int range the warehouses are read in: f120_id is an int column, and a Siesa that breaks that
   * breaks it for every company.
   */
  private everyStockRow(): RangedQuery {
    return {
      ...this.stockQuery(""),
      outside: `${ITEM} < ${FULL_RANGE.from} OR ${ITEM} >= ${FULL_RANGE.to}`,
      whose: "any warehouse's rows",
      ours: () => true,
      check: (rows) => {
        for (const row of rows) this.checkItem(row, warehouseOf(row));
      },
    };
  }

  /** A row of the warehouse asked for, with what its key is made of; anything else stops the run. */
  private checkRow(row: SiesaRow, code: string): void {
    const at = warehouseOf(row);
    if (at !== code) {
      throw new SiesaFilterError(
        `Siesa ignored the parametros filter of ${STOCK_QUERY}: a row of warehouse ${at} came back when asked for warehouse ${code} (tenant ${this.options.tenantId})`,
      );
    }
    this.checkItem(row, code);
  }

  /**
   * Stock is read in ranges of `f120_id` and keyed by it, with the installation: a row without them
   * cannot be read (a Siesa whose stock rows name the item by reference only, an installation column
   * of another name). Nothing is guessed: the probe says which columns this Siesa's query has.
   */
  private checkItem(row: SiesaRow, code: string): void {
    const { tenantId } = this.options;
    const missing =
      integerOf(row[ITEM]) === undefined
        ? `no integer ${ITEM}${row[STOCK_COLUMNS.reference] ? ` (a row of ${STOCK_COLUMNS.reference} ${row[STOCK_COLUMNS.reference]})` : ""}`
        : !Object.hasOwn(row, INSTALLATION)
          ? `no ${INSTALLATION} column`
          : undefined;
    if (missing === undefined) return;
    throw new SiesaFilterError(
      `the stock rows of ${STOCK_QUERY} carry ${missing} (tenant ${tenantId}, warehouse ${code}): stock is read in ranges of ${ITEM} and keyed by item, warehouse and installation, so these rows cannot be read; run \`npm run probe -- --tenant ${tenantId}\` to see which columns this Siesa's stock query has`,
    );
  }

  private keyOf(row: SiesaRow): string {
    return stockKey(warehouseOf(row), integerOf(row[ITEM]) as number, String(row[INSTALLATION] ?? "").trim());
  }

  /**
   * No stock row in any range of a warehouse: asked for the warehouse alone, Siesa must have none
   * either. A query without `f120_id` answers a filter on it with "no records", and every warehouse
   * would seem empty; with the column there, the empty answer was a glitch, read again later.
   */
  private async assertNoStockWithoutRanges(code: string): Promise<void> {
    const [row] = (await this.request(STOCK_QUERY, 1, 1, `${WAREHOUSE} = ${textLiteral(code)}`)).rows;
    if (!row) return;
    this.checkRow(row, code);
    throw this.missedByRanges(
      STOCK_QUERY,
      `${STOCK_QUERY} answered no stock row of warehouse ${code} in ranges of ${ITEM}, yet holds f120_id ${String(row[ITEM])} when asked for the warehouse alone (tenant ${this.options.tenantId})`,
    );
  }

  private noWitness(count: number): SiesaUnconfirmedError {
    return new SiesaUnconfirmedError(
      `the extraction returned no stock row of tenant ${this.options.tenantId} to witness a confirming read: the absence of ${count} stock rows cannot be confirmed`,
    );
  }
}

/** Stock keys by warehouse, then by f120_id (keys that name no stock row left out). */
function byWarehouse(keys: readonly string[]): Map<string, Map<number, string[]>> {
  const out = new Map<string, Map<number, string[]>>();
  for (const key of keys) {
    const parsed = parseStockKey(key);
    if (!parsed) continue;
    const ids = out.get(parsed.warehouse) ?? new Map<number, string[]>();
    out.set(parsed.warehouse, ids);
    ids.set(parsed.item, [...(ids.get(parsed.item) ?? []), key]);
  }
  return out;
}
