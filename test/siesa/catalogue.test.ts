import { describe, expect, it } from "vitest";
import { generateCatalogue, type SiesaWireRow } from "../../sandbox/catalogue.js";
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
    const sharedIds = others.filter((row) => companyIds.has(row.f120_id as number));

    expect(others.length).toBeGreaterThan(300);
    expect(others.length).toBeLessThan(500);
    expect(sharedIds.length).toBeGreaterThan(100);
    expect(catalogue.barcodes.some((row) => row.f120_id_cia !== 1)).toBe(true);
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

  it("gives each company item 0 to 2 valid EAN-13 barcodes joined by reference", () => {
    const catalogue = generateCatalogue({ size: 500, seed: 4 });

    const perItem = new Map<number, number>();
    for (const barcode of companyRows(catalogue.barcodes)) {
      perItem.set(barcode.f120_id as number, (perItem.get(barcode.f120_id as number) ?? 0) + 1);
    }
    const references = new Map(companyRows(catalogue.items).map((row) => [row.f120_id, row.f120_referencia]));

    expect(Math.max(...perItem.values())).toBe(2);
    expect(perItem.size).toBeLessThan(500);
    for (const barcode of companyRows(catalogue.barcodes)) {
      expect(barcode.f120_referencia).toBe(references.get(barcode.f120_id));
      const digits = String(barcode.f131_id);
      expect(digits).toMatch(/^\d{13}$/);
      const sum = [...digits.slice(0, 12)].reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
      expect(Number(digits[12])).toBe((10 - (sum % 10)) % 10);
    }
  });

  it("marks about malformedShare of the company items malformed, each with a valid integer id", () => {
    const catalogue = generateCatalogue({ size: 2_000, seed: 8, malformedShare: 0.1 });

    const malformed = companyRows(catalogue.items).filter((row) =>
      catalogue.malformedIds.has(row.f120_id as number),
    );
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
    expect(malformed.every((row) => Number.isInteger(row.f120_id))).toBe(true);
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
    expect(altered.map((row) => row.f120_id).sort()).toEqual(changed);
    expect(
      altered.every((row) => row.f120_id_cia === 1 && !catalogue.malformedIds.has(row.f120_id as number)),
    ).toBe(true);
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
    const highest = Math.max(...catalogue.items.map((row) => row.f120_id as number));

    const added = catalogue.addItems(5);
    const removed = catalogue.companyItemIds().slice(0, 3);
    catalogue.removeItems(removed);

    expect(added.every((id) => id > highest)).toBe(true);
    expect(catalogue.companyItemIds()).toHaveLength(102);
    expect(catalogue.companyItemIds()).toEqual(expect.arrayContaining(added));
    expect(catalogue.companyItemIds().some((id) => removed.includes(id))).toBe(false);
    expect(companyRows(catalogue.barcodes).some((row) => removed.includes(row.f120_id as number))).toBe(
      false,
    );
  });
});
