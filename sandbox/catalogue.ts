import { seededRandom } from "./faults.js";

/**
 * Deterministic Siesa catalogues for the sandbox: the rows of `API_v2_Items` and
 * `API_v2_ItemsBarras` exactly as Siesa sends them, with only the columns docs/integrations/INT-001-siesa.md
 * lists (CHAR-padded values, a few padded keys, some `f120_id` as zero-padded text, several ERP companies),
 * generated from a seed so every test sees the same data.
 *
 * Barcode rows carry no `f120_id` and no `f120_id_cia` (as the real query): they name their item
 * by `f120_referencia` only. Which item a barcode was generated for is kept beside the rows (never
 * served), so tests can know the truth. An item copied into another company under the same
 * `f120_id` and reference gets no barcodes of its own: on the wire nothing could tell them apart.
 *
 * Item rows stay sorted by `f120_id` (then company) so the sandbox can find an id range by binary
 * search instead of scanning 100,000 rows per request.
 */

/** A row as it travels on the wire: padded strings, integers, nulls. */
export type SiesaWireRow = Record<string, string | number | null>;

export interface CatalogueOptions {
  /** Items of the tenant's ERP company. */
  size: number;
  seed: number;
  /** The tenant's `f120_id_cia`. */
  erpCompany?: number;
  /** Extra rows (as a share of `size`) that belong to other companies, half of them reusing a company id. */
  otherCompanyShare?: number;
  /** Share of company items a mapping must reject (empty reference, null description, unknown unit). */
  malformedShare?: number;
  /**
   * Company items whose `f120_id` is 2^31 or more, beyond the SQL int INT-001 says the column
   * is (a Siesa that breaks that contract): after the others, alternately a number and zero-padded
   * text, as ids travel. Default 0.
   */
  beyondIntIds?: number;
}

export interface Catalogue {
  readonly seed: number;
  readonly erpCompany: number;
  /** Every item row of every company, sorted by `f120_id` then `f120_id_cia`. */
  readonly items: SiesaWireRow[];
  /** Every barcode row of every company (`f120_referencia`, `f131_id`, `f131_id_unidad_medida`). */
  readonly barcodes: SiesaWireRow[];
  /** `f120_id`s of the company items that are malformed. */
  readonly malformedIds: ReadonlySet<number>;
  /** Goes up on every change, so a reader can cache what it derives from the rows. */
  readonly version: number;
  /** `f120_id`s of the tenant's company items, ascending. */
  companyItemIds(): number[];
  /** The barcode rows generated for the tenant's company items (the truth a join must find). */
  companyBarcodes(): SiesaWireRow[];
  /** The barcode rows generated for one company item. */
  barcodesOf(id: number): SiesaWireRow[];
  /** Changes the description of `count` well-formed company items (deterministic); returns their ids. */
  changeItems(count: number): number[];
  /** Renames the reference of `count` well-formed company items and of their barcodes, keeping each `f120_id` (deterministic); returns their ids. */
  renameItems(count: number): number[];
  /** Appends `n` well-formed company items (with barcodes) after the highest id; returns their ids. */
  addItems(n: number): number[];
  /** Removes the company items with these ids, and their barcodes. */
  removeItems(ids: readonly number[]): void;
  /** Puts removed company items back as they were, with their barcodes (an item re-enabled in Siesa). */
  restoreItems(ids: readonly number[]): void;
  /**
   * Adds a barcode row as it would sit in Siesa: for the company item `forItem`, or (without it)
   * one that belongs to no company item, e.g. a reference that matches no item.
   */
  addBarcode(row: { reference: string; barcode: string; unit: string }, forItem?: number): SiesaWireRow;
}

/** An item row's `f120_id` as a number, whether it travels as an int or as zero-padded text. */
export const itemId = (row: SiesaWireRow): number => Number(row.f120_id);

/** Column widths as Siesa's CHAR columns pad them. */
const WIDTH = { reference: 20, description: 40, unit: 4, invType: 10, barcode: 20 } as const;
const COLOURS = ["NEGRO", "BLANCO", "AZUL", "ROJO", "VERDE", "GRIS", "BEIGE"];
const KINDS = ["CAMISETA", "PANTALON", "CHAQUETA", "MEDIAS", "GORRA", "BOLSO", "ARROZ", "CAFE"];
const INV_TYPES = ["PT", "MP", "MERC"];
const DESCRIPTION_KEY = "f120_descripcion";
/** A few rows carry this padded key instead of the clean one (seen in the wild). */
const PADDED_DESCRIPTION_KEY = "f120_descripcion  ";
const PADDED_UNIT_KEY = "f120_id_unidad_inventario ";

const pad = (value: string, width: number) => value.padEnd(width, " ");

const PADDED_DESCRIPTIONS = KINDS.map((kind) =>
  COLOURS.map((colour) => pad(`${kind} ${colour}`, WIDTH.description)),
);
const isBulk = (kind: string) => kind === "ARROZ" || kind === "CAFE";
const PADDED_UNITS = KINDS.map((kind) => pad(isBulk(kind) ? "KLS" : "UND", WIDTH.unit));
/** The pack unit of each kind: its second barcode (a DUN-14) belongs to it. */
const PADDED_PACK_UNITS = KINDS.map((kind) => pad(isBulk(kind) ? "PACA" : "CAJ", WIDTH.unit));
/** `f120_ind_tipo_item`: every generated item is an inventory item. */
const ITEM_TYPE = "1";
const PADDED_UNKNOWN_UNIT = pad("???", WIDTH.unit);
const PADDED_INV_TYPES = INV_TYPES.map((type) => pad(type, WIDTH.invType));
const PADDED_EMPTY_REFERENCE = pad("", WIDTH.reference);
const REFERENCE_PREFIXES = KINDS.map((kind) => `${kind.slice(0, 3)}-`);
const PADDED_REFERENCE = (kind: number, id: number) =>
  pad(`${REFERENCE_PREFIXES[kind]}${String(id).padStart(7, "0")}`, WIDTH.reference);

/** Digits plus their GS1 check digit (EAN-13 from 12 digits, DUN-14 from 13). */
function withCheckDigit(digits: string): string {
  let sum = 0;
  // Digits from the right: the rightmost weighs 3, the next 1, and so on.
  for (let i = 0; i < digits.length; i++) {
    sum += Number(digits[digits.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  }
  return `${digits}${(10 - (sum % 10)) % 10}`;
}
/** `f120_id` of some rows travels as zero-padded text (the column is an int, some views cast it). */
const ZERO_PADDED_ID = (id: number) => String(id).padStart(10, "0");
/** The first id a SQL int cannot hold. */
export const BEYOND_INT_ID = 2 ** 31;

type Malformation = "empty-reference" | "null-description" | "unknown-unit";
const MALFORMATIONS: Malformation[] = ["empty-reference", "null-description", "unknown-unit"];

class GeneratedCatalogue implements Catalogue {
  readonly seed: number;
  readonly erpCompany: number;
  items: SiesaWireRow[] = [];
  barcodes: SiesaWireRow[] = [];
  readonly malformedIds = new Set<number>();
  version = 0;
  /** Which item (id, company) each generated barcode row belongs to: never on the wire. */
  private readonly owner = new WeakMap<SiesaWireRow, { id: number; company: number }>();
  /** Removed company items with their barcodes, by id, for restoreItems. */
  private readonly removed = new Map<number, { item: SiesaWireRow; barcodes: SiesaWireRow[] }>();
  private maxId = 1000;
  private nextBarcode = 0;
  private mutations = 0;
  /** Drives values (names, units, barcodes) separately from ids, so options do not reshuffle data. */
  private readonly valueRandom: () => number;

  constructor(options: CatalogueOptions) {
    const { size, seed } = options;
    const erpCompany = options.erpCompany ?? 1;
    const otherShare = options.otherCompanyShare ?? 0.1;
    const malformedShare = options.malformedShare ?? 0;
    if (!Number.isInteger(size) || size < 0)
      throw new Error(`catalogue size must be a whole number >= 0, got ${size}`);
    this.seed = seed;
    this.erpCompany = erpCompany;
    this.valueRandom = seededRandom(seed ^ 0x5eed);
    this.nextBarcode = Math.floor(seededRandom(seed)() * 1e6) * 1000;
    const idRandom = seededRandom(seed);
    const malformedRandom = seededRandom(seed ^ 0xbad);
    const others = [erpCompany + 1, erpCompany + 2];

    for (let i = 0; i < size; i++) {
      // Leave gaps: Siesa ids are never contiguous (deleted items, other item types).
      this.maxId += 1 + Math.floor(idRandom() * 3);
      if (idRandom() < otherShare / 2) {
        // Another company's item with an id of its own, just before a company item.
        this.push(this.maxId, others[i % 2] ?? erpCompany + 1);
        this.maxId += 1;
      }
      const malformed = malformedRandom() < malformedShare;
      const malformation = MALFORMATIONS[Math.floor(malformedRandom() * MALFORMATIONS.length)];
      const kind = this.push(this.maxId, erpCompany, malformed ? malformation : undefined);
      if (idRandom() < otherShare / 2) {
        // Same f120_id and reference in another company (f120_id is unique per company only):
        // only the company filter tells the items apart.
        this.push(this.maxId, others[(i + 1) % 2] ?? erpCompany + 1, undefined, kind);
      }
    }
    for (let i = 0; i < (options.beyondIntIds ?? 0); i++) {
      // Gaps as elsewhere; every other one as text padded wider than an int's ten digits.
      const id = BEYOND_INT_ID + i * 3;
      this.push(id, erpCompany, undefined, undefined, i % 2 === 1 ? `00${id}` : id);
    }
  }

  /** Appends one item (and its barcodes); returns its kind so a copy in another company can share it. */
  private push(
    id: number,
    company: number,
    malformation?: Malformation,
    sameKindAs?: number,
    /** How the id travels; drawn when absent. */
    wireId?: number | string,
  ): number {
    const r = this.valueRandom;
    const drawn = Math.floor(r() * KINDS.length);
    const kind = sameKindAs ?? drawn;
    const colour = Math.floor(r() * COLOURS.length);
    const reference = PADDED_REFERENCE(kind, id);
    // Few distinct descriptions: share the padded strings (100,000 rows must generate fast).
    const description =
      malformation === "null-description" ? null : (PADDED_DESCRIPTIONS[kind]?.[colour] ?? null);
    const unit = malformation === "unknown-unit" ? PADDED_UNKNOWN_UNIT : (PADDED_UNITS[kind] as string);
    const invType = PADDED_INV_TYPES[Math.floor(r() * PADDED_INV_TYPES.length)] as string;
    const referenceValue = malformation === "empty-reference" ? PADDED_EMPTY_REFERENCE : reference;
    const keyDraw = r();
    // About one row in twelve carries its id as zero-padded text.
    const idValue = wireId ?? (keyDraw > 0.92 ? ZERO_PADDED_ID(id) : id);
    const row: SiesaWireRow = {
      f120_id_cia: company,
      f120_id: idValue,
      f120_referencia: referenceValue,
      [keyDraw < 0.05 ? PADDED_DESCRIPTION_KEY : DESCRIPTION_KEY]: description,
      f120_id_tipo_inv_serv: invType,
      [keyDraw >= 0.05 && keyDraw < 0.08 ? PADDED_UNIT_KEY : "f120_id_unidad_inventario"]: unit,
      f120_id_unidad_empaque: PADDED_PACK_UNITS[kind] as string,
      f120_ind_tipo_item: ITEM_TYPE,
    };
    this.items.push(row);
    if (malformation) this.malformedIds.add(id);
    // 0, 1 or 2 barcodes: the first for the inventory unit (EAN-13), the second for the pack
    // (DUN-14). An item without a reference cannot have any (they join by reference), nor can a
    // copy of another company's item under the same reference.
    const barcodeCount =
      malformation === "empty-reference" || sameKindAs !== undefined ? 0 : Math.floor(r() * 3);
    for (let b = 0; b < barcodeCount; b++) {
      this.nextBarcode += 1;
      const body = String(770_000_000_000 + (this.nextBarcode % 1e9));
      const barcode = b === 0 ? withCheckDigit(body) : withCheckDigit(`1${body}`);
      const barcodeUnit = b === 0 ? unit : (PADDED_PACK_UNITS[kind] as string);
      this.pushBarcode({ reference, barcode, unit: barcodeUnit }, { id, company });
    }
    return kind;
  }

  private pushBarcode(
    { reference, barcode, unit }: { reference: string; barcode: string; unit: string },
    owner?: { id: number; company: number },
  ): SiesaWireRow {
    const row: SiesaWireRow = {
      f120_referencia: pad(reference, WIDTH.reference),
      f131_id: pad(barcode, WIDTH.barcode),
      f131_id_unidad_medida: pad(unit, WIDTH.unit),
    };
    this.barcodes.push(row);
    if (owner) this.owner.set(row, owner);
    return row;
  }

  private isCompanyItem(row: SiesaWireRow): boolean {
    return row.f120_id_cia === this.erpCompany;
  }

  companyItemIds(): number[] {
    const ids: number[] = [];
    for (const row of this.items) if (this.isCompanyItem(row)) ids.push(itemId(row));
    return ids;
  }

  companyBarcodes(): SiesaWireRow[] {
    return this.barcodes.filter((row) => this.owner.get(row)?.company === this.erpCompany);
  }

  barcodesOf(id: number): SiesaWireRow[] {
    return this.barcodes.filter((row) => {
      const owner = this.owner.get(row);
      return owner?.company === this.erpCompany && owner.id === id;
    });
  }

  /** `count` well-formed company items, a deterministic random choice per mutation. */
  private pick(count: number, what: string): SiesaWireRow[] {
    const candidates = this.items.filter(
      (row) => this.isCompanyItem(row) && !this.malformedIds.has(itemId(row)),
    );
    if (count > candidates.length) {
      throw new Error(
        `cannot ${what} ${count} items: the catalogue has ${candidates.length} well-formed ones`,
      );
    }
    this.mutations += 1;
    this.version += 1;
    const random = seededRandom(this.seed * 31 + this.mutations);
    // Partial Fisher-Yates: the first `count` entries become a deterministic random choice.
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (candidates.length - i));
      [candidates[i], candidates[j]] = [candidates[j] as SiesaWireRow, candidates[i] as SiesaWireRow];
    }
    return candidates.slice(0, count);
  }

  changeItems(count: number): number[] {
    const changed = this.pick(count, "change");
    for (const row of changed) {
      const key = DESCRIPTION_KEY in row ? DESCRIPTION_KEY : PADDED_DESCRIPTION_KEY;
      const base = String(row[key])
        .trim()
        .replace(/ REV \d+$/, "");
      row[key] = pad(`${base} REV ${this.mutations}`, WIDTH.description);
    }
    return changed.map(itemId).sort((a, b) => a - b);
  }

  renameItems(count: number): number[] {
    const renamed = this.pick(count, "rename");
    for (const row of renamed) {
      const id = itemId(row);
      const old = String(row.f120_referencia).trim();
      const next = `${old.replace(/-R\d+$/, "")}-R${this.mutations}`;
      row.f120_referencia = pad(next, WIDTH.reference);
      for (const barcode of this.barcodesOf(id)) barcode.f120_referencia = pad(next, WIDTH.reference);
    }
    return renamed.map(itemId).sort((a, b) => a - b);
  }

  addItems(n: number): number[] {
    const ids: number[] = [];
    this.version += 1;
    // Ids beyond a SQL int sort last: added items go before them.
    const firstBeyond = this.items.findIndex((row) => itemId(row) >= BEYOND_INT_ID);
    const beyond = firstBeyond < 0 ? [] : this.items.splice(firstBeyond);
    for (let i = 0; i < n; i++) {
      this.maxId += 1 + Math.floor(this.valueRandom() * 3);
      this.push(this.maxId, this.erpCompany);
      ids.push(this.maxId);
    }
    this.items.push(...beyond); // still sorted by f120_id
    return ids;
  }

  removeItems(ids: readonly number[]): void {
    const gone = new Set(ids);
    this.version += 1;
    this.items = this.items.filter((row) => {
      const removed = this.isCompanyItem(row) && gone.has(itemId(row));
      if (removed) this.removed.set(itemId(row), { item: row, barcodes: [] });
      return !removed;
    });
    this.barcodes = this.barcodes.filter((row) => {
      const owner = this.owner.get(row);
      const removed = owner?.company === this.erpCompany && gone.has(owner.id);
      if (removed) this.removed.get(owner.id)?.barcodes.push(row);
      return !removed;
    });
    for (const id of ids) this.malformedIds.delete(id);
  }

  restoreItems(ids: readonly number[]): void {
    this.version += 1;
    for (const id of ids) {
      const removed = this.removed.get(id);
      if (!removed) throw new Error(`item ${id} was not removed, so it cannot be restored`);
      this.removed.delete(id);
      this.items.push(removed.item);
      this.barcodes.push(...removed.barcodes);
    }
    this.items.sort((a, b) => itemId(a) - itemId(b) || Number(a.f120_id_cia) - Number(b.f120_id_cia));
  }

  addBarcode(row: { reference: string; barcode: string; unit: string }, forItem?: number): SiesaWireRow {
    this.version += 1;
    return this.pushBarcode(
      row,
      forItem === undefined ? undefined : { id: forItem, company: this.erpCompany },
    );
  }
}

export function generateCatalogue(options: CatalogueOptions): Catalogue {
  return new GeneratedCatalogue(options);
}
