import type { SiesaRow, SourceRecord } from "../../../core/domain/model.js";
import {
  type ExtractOptions,
  FULL_RANGE,
  type KeyRange,
  type RangeResult,
  type SiesaReader,
} from "../../../core/ports/siesa.js";
import { SiesaFilterError, SiesaUnconfirmedError } from "../../../core/ports/siesa-errors.js";
import { WAREHOUSE_COLUMNS } from "../../../core/streams/warehouses.js";
import { type RangedQuery, SiesaRangeReader } from "./range-reading.js";
import { integerOf } from "./rows.js";

export const WAREHOUSES_QUERY = "API_v2_Bodegas";
/** The warehouse table's integer row id: the column its ranges cut (codes are text). */
const ROW_ID = "f150_rowid";

/**
 * The company's warehouses as ranges of `f150_rowid` read them. Siesa's answer holds every ERP
 * company's warehouses (docs/integrations/stock-and-locations.md): the filter asks for the tenant's,
 * and only theirs are kept.
 */
function warehousesQuery(erpCompany: number): RangedQuery {
  const company = WAREHOUSE_COLUMNS.company;
  return {
    descripcion: WAREHOUSES_QUERY,
    column: ROW_ID,
    parametros: (range) =>
      `${company} = ${erpCompany} AND ${ROW_ID} >= ${range.from} AND ${ROW_ID} < ${range.to}`,
    outside: `${company} = ${erpCompany} AND (${ROW_ID} < ${FULL_RANGE.from} OR ${ROW_ID} >= ${FULL_RANGE.to})`,
    whose: `company ${erpCompany}'s warehouses`,
    what: "warehouses",
    ours: (row) => integerOf(row[company]) === erpCompany,
    origin: (row) => `its company: ${integerOf(row[company])}`,
    // A company has a handful of warehouses: one page is the rule.
    countProbes: 2,
    unitPages: 3,
    countAtOnce: false,
  };
}

/**
 * Every ERP company's warehouses as ranges of `f150_rowid` read them: stock rows carry no company, so
 * the stock reader needs the codes another company also has (it reads its own company's from these
 * too, in the same requests).
 */
const EVERY_COMPANY: RangedQuery = {
  descripcion: WAREHOUSES_QUERY,
  column: ROW_ID,
  parametros: (range) => `${ROW_ID} >= ${range.from} AND ${ROW_ID} < ${range.to}`,
  outside: `${ROW_ID} < ${FULL_RANGE.from} OR ${ROW_ID} >= ${FULL_RANGE.to}`,
  whose: "every company's warehouses",
  what: "warehouses",
  ours: () => true,
  origin: (row) => `its company: ${integerOf(row[WAREHOUSE_COLUMNS.company])}`,
  countProbes: 2,
  unitPages: 3,
  countAtOnce: false,
};

/** A warehouse's code, trimmed (`answer.ts` trims every value already). */
export const warehouseCode = (row: SiesaRow): string => String(row[WAREHOUSE_COLUMNS.code] ?? "").trim();

/** Whether a warehouse is open (`f150_ind_estado` 1). */
export const isOpen = (row: SiesaRow): boolean => integerOf(row[WAREHOUSE_COLUMNS.state]) === 1;

/**
 * Every warehouse of the tenant's ERP company, closed ones included, once each by trimmed code: a
 * complete read of `API_v2_Bodegas` whatever Siesa's order and repeats (ranges of `f150_rowid`,
 * never split into units). The stock reader reads them through its own connection, so that its
 * calls share one pace.
 */
export class SiesaWarehouses extends SiesaRangeReader {
  private readonly warehouses: RangedQuery;

  constructor(...args: ConstructorParameters<typeof SiesaRangeReader>) {
    super(...args);
    this.warehouses = warehousesQuery(this.options.erpCompany);
  }

  /** The company's warehouses by code, in code order. */
  protected async readWarehouses(): Promise<Map<string, SiesaRow>> {
    const rows = await this.readWhole(this.warehouses);
    if (rows.length === 0) await this.assertNoneWithoutRanges();
    return byCode(rows);
  }

  /**
   * The company's warehouses by code, as `readWarehouses` has them, and each of their codes that a
   * warehouse of another company (open or closed) also has, with those companies: one complete
   * read of every company's warehouses.
   */
  protected async readWarehousesAndShared(): Promise<{
    ours: Map<string, SiesaRow>;
    shared: Map<string, string[]>;
  }> {
    const { erpCompany } = this.options;
    const rows = await this.readWhole(EVERY_COMPANY);
    const companyOf = (row: SiesaRow) => integerOf(row[WAREHOUSE_COLUMNS.company]);
    const mine = rows.filter((row) => companyOf(row) === erpCompany);
    if (mine.length === 0) await this.assertNoneWithoutRanges();
    const ours = byCode(mine);
    const shared = new Map<string, string[]>();
    for (const row of rows) {
      const company = companyOf(row);
      const code = warehouseCode(row);
      if (company === erpCompany || !ours.has(code)) continue;
      const companies = shared.get(code) ?? [];
      // A row without an integer company may be anyone's: it is named as it came.
      const named =
        company === undefined ? JSON.stringify(row[WAREHOUSE_COLUMNS.company] ?? null) : String(company);
      if (!companies.includes(named)) shared.set(code, [...companies, named]);
    }
    return { ours, shared };
  }

  /** A query's rows in every range, read whole. */
  private async readWhole(query: RangedQuery): Promise<SiesaRow[]> {
    const read = await this.readRange(query, FULL_RANGE, { split: false });
    // `split: false` always answers rows; the guard keeps the type honest.
    return "rows" in read ? read.rows : [];
  }

  /**
   * No warehouse in any range: asked without the ranges, Siesa must have none either. A query
   * without `f150_rowid` answers a filter on it with "no records", and the company would seem to
   * have no warehouse at all; with the column there, the empty answer was a glitch, read again later.
   */
  private async assertNoneWithoutRanges(): Promise<void> {
    const { erpCompany, tenantId } = this.options;
    const [row] = (await this.request(WAREHOUSES_QUERY, 1, 1, `${WAREHOUSE_COLUMNS.company} = ${erpCompany}`))
      .rows;
    if (!row) return;
    const said = `${WAREHOUSES_QUERY} answered no warehouse of company ${erpCompany} in ranges of ${ROW_ID}, yet holds warehouse ${warehouseCode(row)} when asked without them (tenant ${tenantId})`;
    if (integerOf(row[ROW_ID]) !== undefined) throw this.missedByRanges(WAREHOUSES_QUERY, said);
    throw new SiesaFilterError(
      `${said}: its rows carry no integer ${ROW_ID}, the column the warehouses are read in ranges of; run \`npm run probe -- --tenant ${tenantId}\` to see what this Siesa's warehouse query holds`,
    );
  }
}

/** Warehouses by trimmed code (the first row of a repeated one), in code order. */
function byCode(rows: readonly SiesaRow[]): Map<string, SiesaRow> {
  const byCode = new Map<string, SiesaRow>();
  for (const row of rows) {
    const code = warehouseCode(row);
    // A warehouse without a code cannot be a location (nor keyed): the mapping names it.
    if (!byCode.has(code)) byCode.set(code, row);
  }
  return new Map([...byCode.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The warehouses stream's reader: one record per warehouse of the tenant's ERP company, keyed by
 * trimmed code, closed ones included (the mapping writes them inactive). A small table: it never
 * splits.
 */
export class SiesaWarehouseReader extends SiesaWarehouses implements SiesaReader {
  async extractRange(range: KeyRange, _options?: ExtractOptions): Promise<RangeResult> {
    if (range.from !== FULL_RANGE.from || range.to !== FULL_RANGE.to || range.within !== undefined) {
      // It never splits, so the pipeline never asks for less than the whole.
      throw new Error(
        `the warehouses of tenant ${this.options.tenantId} are read whole, not in the range ${range.from}..${range.to}${range.within ? ` of ${range.within}` : ""}`,
      );
    }
    const records: SourceRecord[] = [...(await this.readWarehouses())].map(([key, item]) => ({
      key,
      item,
      barcodes: [],
    }));
    return { kind: "records", records };
  }

  /**
   * Of the codes a complete read did not return, those a second complete read lacks too. The read
   * must hold every code of `seen` (the first read's): a second read that lacks one disagrees with
   * the first, and proves no absence (Siesa answers "no records" for transient problems too).
   */
  async stillAbsent(absent: readonly string[], seen: readonly string[]): Promise<string[]> {
    if (absent.length === 0) return [];
    const { tenantId } = this.options;
    if (seen.length === 0) {
      throw new SiesaUnconfirmedError(
        `the extraction returned no warehouse of tenant ${tenantId} to witness a confirming read: the absence of ${absent.length} warehouses cannot be confirmed`,
      );
    }
    const now = await this.readWarehouses();
    const lacking = seen.filter((code) => !now.has(code));
    if (lacking.length > 0) {
      throw new SiesaUnconfirmedError(
        `Siesa's second read of ${WAREHOUSES_QUERY} lacked warehouse ${lacking[0]}, which this run read${lacking.length > 1 ? ` (and ${lacking.length - 1} more)` : ""}: it is no evidence that any warehouse is gone (tenant ${tenantId})`,
      );
    }
    return absent.filter((code) => !now.has(code));
  }
}
