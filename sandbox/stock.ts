import { type Catalogue, itemId, type SiesaWireRow } from "./catalogue.js";
import { seededRandom } from "./faults.js";

/**
 * Deterministic warehouses and stock for the Siesa sandbox: the rows of `API_v2_Bodegas` and
 * `API_v2_Inventarios_InvFecha` as Siesa sends them (docs/integrations/stock-and-locations.md),
 * generated from a catalogue and a seed so every test sees the same data.
 *
 * The quirks a reader must survive are all in the data: warehouse codes CHAR-padded, closed
 * warehouses (`f150_ind_estado` 0) that still hold stock rows, warehouses of another ERP company
 * with stock rows of their own, negative and fractional quantities, an item stocked in several
 * warehouses and, within one warehouse, in two installations, and rows for items the catalogue
 * does not have. Unstable order and repeated rows come from the sandbox's paging, as for items.
 *
 * Stock rows carry both `f120_id` and `f120_referencia`: which item column the real query has is
 * not confirmed (an assumption the probe must check); `withoutColumns` can take either away.
 * They carry no company column: only the warehouse code says whose stock a row is, so other
 * companies' warehouses get codes of their own. Rows stay sorted by `f120_id` (then warehouse,
 * then installation) so the sandbox can find an id range by binary search, as for items.
 */

export const WAREHOUSE_QUERY = "API_v2_Bodegas";
export const STOCK_QUERY = "API_v2_Inventarios_InvFecha";

export const WAREHOUSE_COLUMNS = [
  "f150_rowid",
  "f150_id_cia",
  "f150_id",
  "f150_descripcion",
  "f150_ind_estado",
  "f150_id_co",
  "f150_id_instalacion",
] as const;

export const STOCK_COLUMNS = [
  "f120_id",
  "f120_referencia",
  "f150_id",
  "f400_id_instalacion",
  "f400_cant_existencia_1",
  "f400_cant_comprometida_1",
  "f400_cant_pos_1",
] as const;

export interface StockOptions {
  /** Seeds every draw; the catalogue's seed when absent. */
  seed?: number;
  /** Active warehouses of the tenant's ERP company. Default 4. */
  warehouses?: number;
  /** Closed warehouses (`f150_ind_estado` 0) of the company, still holding stock rows. Default 1. */
  closedWarehouses?: number;
  /** Warehouses of another ERP company, every other one closed, with stock rows. Default 2. */
  otherCompanyWarehouses?: number;
  /**
   * Codes of those warehouses, in turn (default `X1`, `X2`…). A code the company also has (`NB1`)
   * makes a Siesa where two companies share a warehouse code: stock rows carry no company, so the
   * filter `f150_id = ''NB1''` answers both companies' rows.
   */
  otherCompanyCodes?: readonly string[];
  /** Chance that an item has a row in a given warehouse. Default 0.5. */
  stockedShare?: number;
  /**
   * Each warehouse carries runs of consecutive items (a store stocks some lines and not others): the
   * catalogue is cut into runs of 50–2,000 items, of which a warehouse carries about a third, with
   * the chance above spread over those (rows are then far from evenly spread over the ids, as a
   * reader's samples least expect). Default false: every item has the same chance.
   */
  clustered?: boolean;
  /** Share of company rows that have a twin for the same item and warehouse in another installation. Default 0.05. */
  secondInstallationShare?: number;
  /** Rows for items the catalogue does not have, as a share of the company's item rows. Default 0.02. */
  orphanShare?: number;
  /** Share of rows whose quantity on hand is negative (sold before it was received). Default 0.03. */
  negativeShare?: number;
}

export interface Stock {
  readonly seed: number;
  readonly erpCompany: number;
  /** Every warehouse of every company, closed ones included, by `f150_rowid`. */
  readonly warehouses: SiesaWireRow[];
  /** Every stock row of every warehouse, sorted by `f120_id`, warehouse code, installation. */
  readonly rows: SiesaWireRow[];
  /** `f120_id`s of the rows whose item the catalogue does not have (no company's item). */
  readonly orphanIds: ReadonlySet<number>;
  /** Goes up on every change, so a reader can cache what it derives from the rows. */
  readonly version: number;
  /** Trimmed codes of the ERP company's active warehouses: the ones a sync keeps. */
  activeWarehouseCodes(): string[];
  /** The stock rows of one warehouse (trimmed code): what a complete read of it must find. */
  rowsOf(code: string): SiesaWireRow[];
  /** Marks a warehouse closed (`f150_ind_estado` 0); its stock rows stay. */
  closeWarehouse(code: string): void;
  /** Gives a warehouse a new description, keeping its code. */
  renameWarehouse(code: string, description: string): void;
  /** Changes the quantity on hand of `count` company rows (deterministic); returns their keys. */
  changeQuantities(count: number): string[];
  /** Sets one row's (by `stockKey`) quantity on hand as Siesa sends it, a number or not (`"n/a"`). */
  setOnHand(key: string, value: number | string): void;
  /** Removes these rows (by `stockKey`) from the stock query, as a count posted to zero may. */
  removeRows(keys: readonly string[]): void;
  /**
   * Adds a second row of one key (by `stockKey`) with another quantity on hand: the same item,
   * warehouse and installation twice in one answer, as a read while the stock moves may give.
   */
  repeatRow(key: string, onHand: number): void;
  /** Removes a warehouse from the warehouse query (its stock rows stay). */
  removeWarehouse(code: string): void;
}

/** A stock row's identity: item, warehouse and installation, trimmed (`f120_id|f150_id|installation`). */
export const stockKey = (row: SiesaWireRow): string =>
  `${itemId(row)}|${String(row.f150_id).trim()}|${String(row.f400_id_instalacion).trim()}`;

/** Column widths as Siesa's CHAR columns pad them. */
const WIDTH = { warehouse: 5, description: 40, centre: 3, installation: 3, reference: 20 } as const;
const pad = (value: string, width: number) => value.padEnd(width, " ");

/** The company's warehouse codes, then `B<n>`; another company's are `X<n>`, so codes never collide. */
const COMPANY_CODES = ["NB1", "PPAL", "CEDI", "TD1", "TD2", "DEV", "TRN"];
const DESCRIPTIONS: Record<string, string> = {
  NB1: "BODEGA NORTE",
  PPAL: "BODEGA PRINCIPAL",
  CEDI: "CENTRO DE DISTRIBUCION",
  TD1: "TIENDA CENTRO",
  TD2: "TIENDA SUR",
  DEV: "DEVOLUCIONES",
  TRN: "EN TRANSITO",
};
const INSTALLATIONS = ["01", "02"];

const byText = (a: unknown, b: unknown) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);
/** By `f120_id`, then warehouse, then installation: how rows are kept, so an id range is a slice. */
const stockOrder = (a: SiesaWireRow, b: SiesaWireRow) =>
  itemId(a) - itemId(b) ||
  byText(a.f150_id, b.f150_id) ||
  byText(a.f400_id_instalacion, b.f400_id_instalacion);

/** A row's value for a column whose key may arrive padded (the catalogue pads a few keys). */
function field(row: SiesaWireRow, name: string): string | number | null {
  if (name in row) return row[name] ?? null;
  for (const key of Object.keys(row)) if (key.trim() === name) return row[key] ?? null;
  return null;
}

const isBulk = (item: SiesaWireRow) =>
  String(field(item, "f120_id_unidad_inventario") ?? "").trim() === "KLS";

class GeneratedStock implements Stock {
  readonly seed: number;
  readonly erpCompany: number;
  warehouses: SiesaWireRow[] = [];
  readonly orphanIds = new Set<number>();
  version = 0;
  readonly #rows: SiesaWireRow[] = [];
  /** The catalogue row each stock row was made for, so a renamed reference shows in its stock. */
  readonly #itemOf = new WeakMap<SiesaWireRow, SiesaWireRow>();
  readonly #catalogue: Catalogue;
  #syncedVersion: number;
  private mutations = 0;
  private readonly random: () => number;
  private readonly negativeShare: number;

  constructor(catalogue: Catalogue, options: StockOptions) {
    this.#catalogue = catalogue;
    this.#syncedVersion = catalogue.version;
    this.seed = options.seed ?? catalogue.seed;
    this.erpCompany = catalogue.erpCompany;
    this.random = seededRandom(this.seed ^ 0x570c);
    this.negativeShare = options.negativeShare ?? 0.03;
    const active = options.warehouses ?? 4;
    const closed = options.closedWarehouses ?? 1;
    const others = options.otherCompanyWarehouses ?? 2;
    const stockedShare = options.stockedShare ?? 0.5;
    const twinShare = options.secondInstallationShare ?? 0.05;
    const orphanShare = options.orphanShare ?? 0.02;

    for (let i = 0; i < active + closed; i++) {
      const code = COMPANY_CODES[i] ?? `B${i}`;
      this.pushWarehouse(this.erpCompany, code, DESCRIPTIONS[code] ?? `BODEGA ${code}`, i >= active, i);
    }
    for (let i = 0; i < others; i++) {
      const code = options.otherCompanyCodes?.[i] ?? `X${i + 1}`;
      this.pushWarehouse(this.erpCompany + 1, code, `BODEGA OTRA COMPANIA ${i + 1}`, i % 2 === 1, i);
    }

    const companyItems = catalogue.items.filter((row) => row.f120_id_cia === this.erpCompany);
    const otherItems = catalogue.items.filter((row) => row.f120_id_cia !== this.erpCompany);
    for (const warehouse of this.warehouses) {
      const ours = warehouse.f150_id_cia === this.erpCompany;
      const items = ours || otherItems.length === 0 ? companyItems : otherItems;
      const chanceAt = options.clustered ? this.runsOfLines(items.length, stockedShare) : () => stockedShare;
      for (const [i, item] of items.entries()) {
        if (this.random() >= chanceAt(i)) continue;
        const installation = String(warehouse.f150_id_instalacion).trim();
        this.pushRow(item, warehouse, installation);
        if (ours && this.random() < twinShare) {
          // The same item and warehouse in the company's other installation: its own row.
          this.pushRow(item, warehouse, INSTALLATIONS.find((other) => other !== installation) ?? "02");
        }
      }
    }

    // Items the catalogue does not have (deleted, or of a type the item query leaves out): ids in
    // the gaps between catalogue ids, in the company's active warehouses.
    const known = new Set(catalogue.items.map(itemId));
    const activeWarehouses = this.warehouses.filter((w) => this.isActiveCompanyWarehouse(w));
    const orphans = Math.ceil(companyItems.length * orphanShare);
    for (let i = 0; i < orphans && activeWarehouses.length > 0; i++) {
      const near = companyItems[Math.floor(this.random() * companyItems.length)];
      let id = near ? itemId(near) + 1 : 1000 + i;
      while (known.has(id) || this.orphanIds.has(id)) id += 1;
      this.orphanIds.add(id);
      const orphan: SiesaWireRow = {
        f120_id: id,
        f120_referencia: pad(`ZZ-${String(id).padStart(7, "0")}`, WIDTH.reference),
        f120_id_unidad_inventario: "UND",
      };
      const warehouse = activeWarehouses[i % activeWarehouses.length] as SiesaWireRow;
      this.pushRow(orphan, warehouse, String(warehouse.f150_id_instalacion).trim(), false);
    }

    this.#rows.sort(stockOrder);
  }

  /**
   * The chance of each of `count` items (by position) for a warehouse that carries runs of lines:
   * runs of 50–2,000 items, about a third of them carried (the whole share spread over those), the
   * rest with a twentieth of it.
   */
  private runsOfLines(count: number, share: number): (i: number) => number {
    const carried = Math.min(1, share * 2.8);
    const rare = share / 20;
    const chances: number[] = [];
    while (chances.length < count) {
      const length = 50 + Math.floor(this.random() * 1_950);
      const chance = this.random() < 1 / 3 ? carried : rare;
      for (let k = 0; k < length && chances.length < count; k++) chances.push(chance);
    }
    return (i) => chances[i] ?? rare;
  }

  private pushWarehouse(company: number, code: string, description: string, closed: boolean, i: number) {
    this.warehouses.push({
      f150_rowid: this.warehouses.length + 1,
      f150_id_cia: company,
      f150_id: pad(code, WIDTH.warehouse),
      f150_descripcion: pad(description, WIDTH.description),
      f150_ind_estado: closed ? 0 : 1,
      f150_id_co: pad(String(i + 1).padStart(3, "0"), WIDTH.centre),
      f150_id_instalacion: pad(INSTALLATIONS[i % INSTALLATIONS.length] as string, WIDTH.installation),
    });
  }

  /** Every stock row, with the references the catalogue has now (Siesa's query joins them). */
  get rows(): SiesaWireRow[] {
    if (this.#syncedVersion !== this.#catalogue.version) {
      this.#syncedVersion = this.#catalogue.version;
      for (const row of this.#rows) {
        const item = this.#itemOf.get(row);
        if (item) row.f120_referencia = item.f120_referencia ?? null;
      }
    }
    return this.#rows;
  }

  private pushRow(item: SiesaWireRow, warehouse: SiesaWireRow, installation: string, inCatalogue = true) {
    const row: SiesaWireRow = {
      // As the item query sends it: an int, or zero-padded text for some items.
      f120_id: item.f120_id ?? null,
      f120_referencia: item.f120_referencia ?? null,
      f150_id: warehouse.f150_id ?? null,
      f400_id_instalacion: pad(installation, WIDTH.installation),
      ...this.quantities(isBulk(item)),
    };
    this.#rows.push(row);
    if (inCatalogue) this.#itemOf.set(row, item);
  }

  /** On hand, committed and unposted point-of-sale quantities; kilos are fractional. */
  private quantities(bulk: boolean): SiesaWireRow {
    const r = this.random;
    const amount = (max: number) => (bulk ? Math.round(r() * max * 1000) / 1000 : Math.floor(r() * max));
    const onHand = r() < this.negativeShare ? -(bulk ? 0.25 + amount(5) : 1 + amount(5)) : amount(120);
    const committed = r() < 0.3 ? Math.min(Math.max(onHand, 0), amount(10)) : 0;
    const pos = r() < 0.2 ? (bulk ? amount(3) : 1 + amount(3)) : 0;
    return {
      f400_cant_existencia_1: onHand,
      f400_cant_comprometida_1: committed,
      f400_cant_pos_1: pos,
    };
  }

  private isActiveCompanyWarehouse(warehouse: SiesaWireRow): boolean {
    return warehouse.f150_id_cia === this.erpCompany && warehouse.f150_ind_estado === 1;
  }

  activeWarehouseCodes(): string[] {
    return this.warehouses
      .filter((w) => this.isActiveCompanyWarehouse(w))
      .map((w) => String(w.f150_id).trim());
  }

  rowsOf(code: string): SiesaWireRow[] {
    return this.rows.filter((row) => String(row.f150_id).trim() === code);
  }

  private warehouse(code: string): SiesaWireRow {
    const found = this.warehouses.find((w) => String(w.f150_id).trim() === code);
    if (!found) throw new Error(`the stock sandbox has no warehouse "${code}"`);
    return found;
  }

  closeWarehouse(code: string): void {
    this.warehouse(code).f150_ind_estado = 0;
    this.version += 1;
  }

  renameWarehouse(code: string, description: string): void {
    this.warehouse(code).f150_descripcion = pad(description, WIDTH.description);
    this.version += 1;
  }

  changeQuantities(count: number): string[] {
    const ours = new Set(this.activeWarehouseCodes());
    const candidates = this.rows.filter((row) => ours.has(String(row.f150_id).trim()));
    if (count > candidates.length) {
      throw new Error(`cannot change ${count} stock rows: the active warehouses hold ${candidates.length}`);
    }
    this.mutations += 1;
    this.version += 1;
    const random = seededRandom(this.seed * 31 + this.mutations);
    // Partial Fisher-Yates: the first `count` entries become a deterministic random choice.
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (candidates.length - i));
      [candidates[i], candidates[j]] = [candidates[j] as SiesaWireRow, candidates[i] as SiesaWireRow];
    }
    const changed = candidates.slice(0, count);
    for (const row of changed) row.f400_cant_existencia_1 = Number(row.f400_cant_existencia_1) + 1;
    return changed.map(stockKey).sort();
  }

  setOnHand(key: string, value: number | string): void {
    const row = this.#rows.find((r) => stockKey(r) === key);
    if (!row) throw new Error(`the stock sandbox has no row ${key}`);
    row.f400_cant_existencia_1 = value;
    this.version += 1;
  }

  repeatRow(key: string, onHand: number): void {
    const at = this.#rows.findIndex((r) => stockKey(r) === key);
    const row = this.#rows[at];
    if (!row) throw new Error(`the stock sandbox has no row ${key}`);
    const twin: SiesaWireRow = { ...row, f400_cant_existencia_1: onHand };
    const item = this.#itemOf.get(row);
    if (item) this.#itemOf.set(twin, item);
    this.#rows.splice(at + 1, 0, twin);
    this.version += 1;
  }

  removeWarehouse(code: string): void {
    this.warehouses = this.warehouses.filter((w) => w !== this.warehouse(code));
    this.version += 1;
  }

  removeRows(keys: readonly string[]): void {
    const removing = new Set(keys);
    const kept = this.#rows.filter((row) => !removing.has(stockKey(row)));
    if (this.#rows.length - kept.length !== removing.size) {
      throw new Error(
        `the stock sandbox holds ${this.#rows.length - kept.length} of the ${removing.size} rows to remove`,
      );
    }
    this.#rows.length = 0;
    for (const row of kept) this.#rows.push(row);
    this.version += 1;
  }
}

export function generateStock(catalogue: Catalogue, options: StockOptions = {}): Stock {
  return new GeneratedStock(catalogue, options);
}

/** A standard query as the Siesa sandbox serves it (its rows, the columns it has, its stable order). */
export interface ServedQuery {
  rows: () => SiesaWireRow[];
  fields: readonly string[];
  order: (a: SiesaWireRow, b: SiesaWireRow) => number;
}

/** The warehouse and stock queries over `stock()`, which the sandbox generates on first use. */
export function stockQueries(stock: () => Stock): Record<string, ServedQuery> {
  return {
    [WAREHOUSE_QUERY]: {
      rows: () => stock().warehouses,
      fields: WAREHOUSE_COLUMNS,
      order: (a, b) => Number(a.f150_rowid) - Number(b.f150_rowid),
    },
    [STOCK_QUERY]: {
      rows: () => stock().rows,
      fields: STOCK_COLUMNS,
      order: stockOrder,
    },
  };
}
