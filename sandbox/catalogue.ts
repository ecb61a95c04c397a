import { seededRandom } from "./faults.js";

/**
 * Deterministic Siesa catalogues for the sandbox: the rows of `API_v2_Items` and
 * `API_v2_ItemsBarras` exactly as Siesa sends them (CHAR-padded values, a few padded keys,
 * several ERP companies), generated from a seed so every test sees the same data.
 *
 * Both row arrays stay sorted by `f120_id` (then company) so the sandbox can find an id range
 * by binary search instead of scanning 100,000 rows per request.
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
}

export interface Catalogue {
  readonly seed: number;
  readonly erpCompany: number;
  /** Every item row of every company, sorted by `f120_id` then `f120_id_cia`. */
  readonly items: SiesaWireRow[];
  /** Every barcode row of every company, sorted by `f120_id` then `f120_id_cia`. */
  readonly barcodes: SiesaWireRow[];
  /** `f120_id`s of the company items that are malformed. */
  readonly malformedIds: ReadonlySet<number>;
  /** `f120_id`s of the tenant's company items, ascending. */
  companyItemIds(): number[];
  /** Changes the description of `count` well-formed company items (deterministic); returns their ids. */
  changeItems(count: number): number[];
  /** Appends `n` well-formed company items (with barcodes) after the highest id; returns their ids. */
  addItems(n: number): number[];
  /** Removes the company items with these ids, and their barcodes. */
  removeItems(ids: readonly number[]): void;
}

/** Column widths as Siesa's CHAR columns pad them. */
const WIDTH = { reference: 20, description: 40, unit: 4, invType: 10 } as const;
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
const PADDED_UNITS = KINDS.map((kind) =>
  pad(kind === "ARROZ" || kind === "CAFE" ? "KLS" : "UND", WIDTH.unit),
);
const PADDED_UNKNOWN_UNIT = pad("???", WIDTH.unit);
const PADDED_INV_TYPES = INV_TYPES.map((type) => pad(type, WIDTH.invType));
const PADDED_EMPTY_REFERENCE = pad("", WIDTH.reference);
const REFERENCE_PREFIXES = KINDS.map((kind) => `${kind.slice(0, 3)}-`);
const PADDED_REFERENCE = (kind: number, id: number) =>
  pad(`${REFERENCE_PREFIXES[kind]}${String(id).padStart(7, "0")}`, WIDTH.reference);

/** A 12-digit number plus its EAN-13 check digit. */
function ean13(first12: number): string {
  let sum = 0;
  let rest = first12;
  // Digits from the right: positions 12, 10, ... weigh 3; 11, 9, ... weigh 1.
  for (let i = 0; i < 12; i++) {
    sum += (rest % 10) * (i % 2 === 0 ? 3 : 1);
    rest = Math.floor(rest / 10);
  }
  return `${first12}${(10 - (sum % 10)) % 10}`;
}

type Malformation = "empty-reference" | "null-description" | "unknown-unit";
const MALFORMATIONS: Malformation[] = ["empty-reference", "null-description", "unknown-unit"];

class GeneratedCatalogue implements Catalogue {
  readonly seed: number;
  readonly erpCompany: number;
  items: SiesaWireRow[] = [];
  barcodes: SiesaWireRow[] = [];
  readonly malformedIds = new Set<number>();
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
        // Same f120_id and reference in another company (f120_id is unique per company only),
        // with barcodes of its own: only the company filter tells them apart.
        this.push(this.maxId, others[(i + 1) % 2] ?? erpCompany + 1, undefined, kind);
      }
    }
  }

  /** Appends one item (and its barcodes); returns its kind so a copy in another company can share it. */
  private push(id: number, company: number, malformation?: Malformation, sameKindAs?: number): number {
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
    let row: SiesaWireRow;
    if (keyDraw < 0.05) {
      row = {
        f120_id: id,
        f120_referencia: referenceValue,
        [PADDED_DESCRIPTION_KEY]: description,
        f120_id_unidad_inventario: unit,
        f120_id_tipo_inv_serv: invType,
        f120_id_cia: company,
      };
    } else if (keyDraw < 0.08) {
      row = {
        f120_id: id,
        f120_referencia: referenceValue,
        f120_descripcion: description,
        [PADDED_UNIT_KEY]: unit,
        f120_id_tipo_inv_serv: invType,
        f120_id_cia: company,
      };
    } else {
      row = {
        f120_id: id,
        f120_referencia: referenceValue,
        f120_descripcion: description,
        f120_id_unidad_inventario: unit,
        f120_id_tipo_inv_serv: invType,
        f120_id_cia: company,
      };
    }
    this.items.push(row);
    if (malformation) this.malformedIds.add(id);
    // 0, 1 or 2 barcodes; an item without a reference cannot have any (they join by reference).
    const barcodeCount = malformation === "empty-reference" ? 0 : Math.floor(r() * 3);
    for (let b = 0; b < barcodeCount; b++) {
      this.nextBarcode += 1;
      this.barcodes.push({
        f120_id: id,
        f120_referencia: reference,
        f131_id: ean13(770_000_000_000 + (this.nextBarcode % 1e9)),
        f120_id_cia: company,
      });
    }
    return kind;
  }

  companyItemIds(): number[] {
    const ids: number[] = [];
    for (const row of this.items) if (row.f120_id_cia === this.erpCompany) ids.push(row.f120_id as number);
    return ids;
  }

  changeItems(count: number): number[] {
    const candidates = this.items.filter(
      (row) => row.f120_id_cia === this.erpCompany && !this.malformedIds.has(row.f120_id as number),
    );
    if (count > candidates.length) {
      throw new Error(
        `cannot change ${count} items: the catalogue has ${candidates.length} well-formed ones`,
      );
    }
    this.mutations += 1;
    const random = seededRandom(this.seed * 31 + this.mutations);
    // Partial Fisher-Yates: the first `count` entries become a deterministic random choice.
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (candidates.length - i));
      [candidates[i], candidates[j]] = [candidates[j] as SiesaWireRow, candidates[i] as SiesaWireRow];
    }
    const changed = candidates.slice(0, count);
    for (const row of changed) {
      const key = DESCRIPTION_KEY in row ? DESCRIPTION_KEY : PADDED_DESCRIPTION_KEY;
      const base = String(row[key])
        .trim()
        .replace(/ REV \d+$/, "");
      row[key] = pad(`${base} REV ${this.mutations}`, WIDTH.description);
    }
    return changed.map((row) => row.f120_id as number).sort((a, b) => a - b);
  }

  addItems(n: number): number[] {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      this.maxId += 1 + Math.floor(this.valueRandom() * 3);
      this.push(this.maxId, this.erpCompany);
      ids.push(this.maxId);
    }
    return ids;
  }

  removeItems(ids: readonly number[]): void {
    const gone = new Set(ids);
    const keep = (row: SiesaWireRow) =>
      !(row.f120_id_cia === this.erpCompany && gone.has(row.f120_id as number));
    this.items = this.items.filter(keep);
    this.barcodes = this.barcodes.filter(keep);
    for (const id of ids) this.malformedIds.delete(id);
  }
}

export function generateCatalogue(options: CatalogueOptions): Catalogue {
  return new GeneratedCatalogue(options);
}
