import { describe, expect, it } from "vitest";
import { generateCatalogue, itemId, type SiesaWireRow } from "../../sandbox/catalogue.js";
import { columnValue } from "../../sandbox/siesa.js";

const companyRows = (rows: SiesaWireRow[], company = 1) => rows.filter((row) => row.f120_id_cia === company);

describe("generateCatalogue", () => {
  it("gives the same rows for the same seed and different rows for another seed", () => {
    const first = generateCatalogue({ size: 300, seed: 5, malformedShare: 0.1 });
    const again = generateCatalogue({ size: 300, seed: 5, malformedShare: 0.1 });
    const other = generateCatalogue({ size: 300, seed: 6, malformedShare: 0.1 });

    expect(again.items).toEqual(first.items);
    expect(again.barcodes).toEqual(first.barcodes);
    expect([...again.malformedIds]).toEqual([...first.malformedIds]);
    expect(other.items).not.toEqual(first.items);
  });

  it("has exactly `size` company items with unique, non-contiguous ids", () => {
    const catalogue = generateCatalogue({ size: 1_000, seed: 1 });

    const ids = catalogue.companyItemIds();

    expect(ids).toHaveLength(1_000);
    expect(new Set(ids).size).toBe(1_000);
    const gaps = ids.slice(1).filter((id, i) => id - (ids[i] as number) > 1);
    expect(gaps.length).toBeGreaterThan(100);
  });

  it("adds about otherCompanyShare rows of other companies, some reusing a company f120_id", () => {
    const catalogue = generateCatalogue({ size: 2_000, seed: 2, otherCompanyShare: 0.2 });

    const others = catalogue.items.filter((row) => row.f120_id_cia !== 1);
    const companyIds = new Set(catalogue.companyItemIds());
    const sharedIds = others.filter((row) => companyIds.has(itemId(row)));

    expect(others.length).toBeGreaterThan(300);
    expect(others.length).toBeLessThan(500);
    expect(sharedIds.length).toBeGreaterThan(100);
    expect(catalogue.barcodes.length).toBeGreaterThan(catalogue.companyBarcodes().length);
  });

  it("serves only the columns INT-001 lists: no status column, barcodes without f120_id or company", () => {
    const catalogue = generateCatalogue({ size: 500, seed: 3 });

    const itemColumns = new Set(catalogue.items.flatMap((row) => Object.keys(row).map((key) => key.trim())));
    const barcodeColumns = new Set(catalogue.barcodes.flatMap((row) => Object.keys(row)));

    expect([...itemColumns].sort()).toEqual([
      "f120_descripcion",
      "f120_id",
      "f120_id_cia",
      "f120_id_tipo_inv_serv",
      "f120_id_unidad_empaque",
      "f120_id_unidad_inventario",
      "f120_ind_tipo_item",
      "f120_referencia",
    ]);
    expect([...barcodeColumns].sort()).toEqual(["f120_referencia", "f131_id", "f131_id_unidad_medida"]);
  });

  it("sends some f120_id as zero-padded text, still in id order", () => {
    const catalogue = generateCatalogue({ size: 500, seed: 3 });

    const texts = catalogue.items.filter((row) => typeof row.f120_id === "string");
    const ids = catalogue.items.map(itemId);

    expect(texts.length).toBeGreaterThan(10);
    expect(texts.every((row) => /^0+\d+$/.test(String(row.f120_id)))).toBe(true);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it("pads values like CHAR columns and pads some keys", () => {
    const catalogue = generateCatalogue({ size: 500, seed: 3 });

    const row = catalogue.items[0] as SiesaWireRow;
    const paddedKeys = catalogue.items.filter((r) => Object.keys(r).some((key) => key !== key.trim()));

    expect(String(row.f120_referencia)).toMatch(/^\S+ +$/);
    expect(String(columnValue(row, "f120_descripcion"))).toMatch(/ +$/);
    expect(String(columnValue(row, "f120_id_unidad_inventario")).trim()).toMatch(/^(UND|KLS)$/);
    expect(paddedKeys.length).toBeGreaterThan(0);
  });

  it("gives each company item 0 to 2 barcodes under its reference: an EAN-13 of its inventory unit, then a DUN-14 of its pack", () => {
    const catalogue = generateCatalogue({ size: 500, seed: 4 });
    const checkDigitOk = (digits: string) => {
      const body = [...digits.slice(0, -1)].reverse();
      const sum = body.reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 3 : 1), 0);
      return Number(digits.at(-1)) === (10 - (sum % 10)) % 10;
    };

    const counts = companyRows(catalogue.items).map((row) => catalogue.barcodesOf(itemId(row)).length);

    expect(Math.max(...counts)).toBe(2);
    expect(counts.filter((n) => n === 0).length).toBeGreaterThan(0);
    for (const item of companyRows(catalogue.items)) {
      const [unit, pack] = catalogue.barcodesOf(itemId(item));
      for (const barcode of [unit, pack]) {
        if (barcode) expect(barcode.f120_referencia).toBe(item.f120_referencia);
      }
      if (unit) {
        expect(String(unit.f131_id)).toMatch(/^\d{13} +$/);
        expect(checkDigitOk(String(unit.f131_id).trim())).toBe(true);
        expect(String(unit.f131_id_unidad_medida).trim()).toBe(
          String(columnValue(item, "f120_id_unidad_inventario")).trim(),
        );
      }
      if (pack) {
        expect(String(pack.f131_id)).toMatch(/^\d{14} +$/);
        expect(checkDigitOk(String(pack.f131_id).trim())).toBe(true);
        expect(String(pack.f131_id_unidad_medida).trim()).toMatch(/^(CAJ|PACA)$/);
      }
    }
  });

  it("marks about malformedShare of the company items malformed, each with a valid integer id", () => {
    const catalogue = generateCatalogue({ size: 2_000, seed: 8, malformedShare: 0.1 });

    const malformed = companyRows(catalogue.items).filter((row) => catalogue.malformedIds.has(itemId(row)));
    const kinds = new Set(
      malformed.map((row) =>
        String(row.f120_referencia).trim() === ""
          ? "empty reference"
          : columnValue(row, "f120_descripcion") === null
            ? "null description"
            : String(columnValue(row, "f120_id_unidad_inventario")).trim() === "???"
              ? "unknown unit"
              : "none",
      ),
    );

    expect(malformed.length).toBeGreaterThan(150);
    expect(malformed.length).toBeLessThan(250);
    expect(kinds).toEqual(new Set(["empty reference", "null description", "unknown unit"]));
    expect(malformed.every((row) => Number.isInteger(itemId(row)))).toBe(true);
  });

  it("generates 100,000 items", () => {
    const catalogue = generateCatalogue({ size: 100_000, seed: 9 });

    expect(catalogue.companyItemIds()).toHaveLength(100_000);
  });
});

describe("catalogue mutations", () => {
  it("changeItems changes the description of that many well-formed company items, deterministically", () => {
    const make = () => generateCatalogue({ size: 400, seed: 12, malformedShare: 0.1 });
    const catalogue = make();
    const before = new Map(catalogue.items.map((row) => [row, columnValue(row, "f120_descripcion")]));

    const changed = catalogue.changeItems(10);

    expect(make().changeItems(10)).toEqual(changed);
    expect(changed).toHaveLength(10);
    const altered = catalogue.items.filter((row) => columnValue(row, "f120_descripcion") !== before.get(row));
    expect(altered.map(itemId).sort()).toEqual(changed);
    expect(altered.every((row) => row.f120_id_cia === 1 && !catalogue.malformedIds.has(itemId(row)))).toBe(
      true,
    );
    expect(String(columnValue(altered[0] as SiesaWireRow, "f120_descripcion"))).toMatch(/ REV 1 +$/);
  });

  it("a second changeItems picks again and changes descriptions again", () => {
    const catalogue = generateCatalogue({ size: 50, seed: 13 });
    const all = catalogue.changeItems(50);
    const snapshot = catalogue.items.map((row) => columnValue(row, "f120_descripcion"));

    catalogue.changeItems(50);

    expect(all).toHaveLength(50);
    expect(catalogue.items.map((row) => columnValue(row, "f120_descripcion"))).not.toEqual(snapshot);
  });

  it("addItems appends new company items after the highest id, and removeItems takes items and barcodes away", () => {
    const catalogue = generateCatalogue({ size: 100, seed: 14 });
    const highest = Math.max(...catalogue.items.map(itemId));

    const added = catalogue.addItems(5);
    const removed = catalogue.companyItemIds().slice(0, 3);
    catalogue.removeItems(removed);

    expect(added.every((id) => id > highest)).toBe(true);
    expect(catalogue.companyItemIds()).toHaveLength(102);
    expect(catalogue.companyItemIds()).toEqual(expect.arrayContaining(added));
    expect(catalogue.companyItemIds().some((id) => removed.includes(id))).toBe(false);
    expect(removed.flatMap((id) => catalogue.barcodesOf(id))).toEqual([]);
    expect(catalogue.companyBarcodes().length).toBe(
      catalogue.companyItemIds().reduce((sum, id) => sum + catalogue.barcodesOf(id).length, 0),
    );
  });

  it("renameItems gives that many company items a new reference, their barcodes too, and keeps their f120_id", () => {
    const catalogue = generateCatalogue({ size: 100, seed: 15 });
    const referenceOf = (id: number) =>
      String(companyRows(catalogue.items).find((row) => itemId(row) === id)?.f120_referencia).trim();
    const ids = catalogue.companyItemIds();
    const before = new Map(ids.map((id) => [id, referenceOf(id)]));

    const renamed = catalogue.renameItems(3);

    expect(renamed).toHaveLength(3);
    expect(catalogue.companyItemIds()).toEqual(ids);
    for (const id of ids) {
      if (renamed.includes(id)) expect(referenceOf(id)).toBe(`${before.get(id)}-R1`);
      else expect(referenceOf(id)).toBe(before.get(id));
      for (const barcode of catalogue.barcodesOf(id)) {
        expect(String(barcode.f120_referencia).trim()).toBe(referenceOf(id));
      }
    }
  });
});
