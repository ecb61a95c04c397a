import { describe, expect, it } from "vitest";
import { FULL_RANGE } from "../../runtime/core/ports/siesa.js";
import { SiesaFilterError, SiesaUnconfirmedError } from "../../runtime/core/ports/siesa-errors.js";
import { SiesaWarehouseReader } from "../../runtime/edges/http/siesa/index.js";
import type { SiesaWireRow } from "../../sandbox/catalogue.js";
import { generateStock } from "../../sandbox/stock.js";
import { catalogue, startSiesa } from "./helpers.js";

// SiesaWarehouseReader: the warehouses stream's reader, API_v2_Bodegas read completely, the
// tenant's ERP company's warehouses only, closed ones included (the mapping writes them inactive).

const code = (row: SiesaWireRow) => String(row.f150_id).trim();

async function warehouses(sandboxOptions: Parameters<typeof startSiesa>[0] = {}) {
  const started = await startSiesa({
    catalogue: catalogue({ size: 50 }),
    repeatShare: 0.3,
    ...sandboxOptions,
  });
  const { stock } = started.sandbox;
  /** The truth: every warehouse of the company, by trimmed code. */
  const companyCodes = () =>
    stock.warehouses
      .filter((w) => w.f150_id_cia === stock.erpCompany)
      .map(code)
      .sort();
  return { ...started, stock, companyCodes };
}

const keysOf = async (reader: SiesaWarehouseReader) => {
  const result = await reader.extractRange(FULL_RANGE);
  if (result.kind !== "records") throw new Error("the warehouse reader split");
  return result.records;
};

describe("SiesaWarehouseReader.extractRange", () => {
  it.each([100, 3, 2])(
    "returns each warehouse of the company once, closed ones included, whatever the order and repeats (page of %i rows)",
    async (pageSize) => {
      // prepare: 5 company warehouses (PPAL and TD2 closed) and 2 of another company, a third of the rows repeated
      const { readerOptions, stock, companyCodes } = await warehouses();
      stock.closeWarehouse("PPAL");

      // act
      const records = await keysOf(new SiesaWarehouseReader(readerOptions({ pageSize })));

      // assess
      expect(records.map((r) => r.key)).toEqual(companyCodes());
      expect(records.map((r) => r.key)).not.toContain("X1");
      const closed = records.filter((r) => r.item.f150_ind_estado === 0).map((r) => r.key);
      expect(closed.sort()).toEqual(["PPAL", "TD2"]);
      expect(records.every((r) => r.barcodes.length === 0)).toBe(true);
    },
  );

  it("keys and keeps each row trimmed, as the mapping reads it", async () => {
    const { readerOptions } = await warehouses();

    const [nb1] = (await keysOf(new SiesaWarehouseReader(readerOptions()))).filter((r) => r.key === "NB1");

    expect(nb1?.item).toMatchObject({ f150_id: "NB1", f150_descripcion: "BODEGA NORTE", f150_ind_estado: 1 });
  });

  it("costs two requests when the warehouses fit a page (the page, and the check that no row id lies beyond the ranges)", async () => {
    const { readerOptions, sandbox } = await warehouses();

    await keysOf(new SiesaWarehouseReader(readerOptions()));

    expect(sandbox.stats.byDescripcion).toEqual({ API_v2_Bodegas: 2 });
  });

  it("reads a company of many warehouses in ranges of f150_rowid, each once", async () => {
    // prepare: 40 company warehouses in pages of 10, a third of the rows repeated
    const data = catalogue({ size: 50 });
    const many = generateStock(data, { warehouses: 35, closedWarehouses: 5 });
    const { readerOptions } = await startSiesa({ catalogue: data, stock: many, repeatShare: 0.3 });

    // act
    const records = await keysOf(new SiesaWarehouseReader(readerOptions({ pageSize: 10 })));

    // assess
    const truth = many.warehouses.filter((w) => w.f150_id_cia === many.erpCompany).map(code);
    expect(truth).toHaveLength(40);
    expect(records.map((r) => r.key)).toEqual(truth.sort());
  });

  it("stops the run when the warehouse rows carry no f150_rowid, instead of reading no warehouse", async () => {
    // prepare: a filter on the missing column answers "no records"
    const { readerOptions } = await warehouses({ withoutColumns: ["f150_rowid"] });

    const reading = () => keysOf(new SiesaWarehouseReader(readerOptions()));

    await expect(reading()).rejects.toThrow(SiesaFilterError);
    await expect(reading()).rejects.toThrow(
      /API_v2_Bodegas answered no warehouse of company 1 in ranges of f150_rowid, yet holds warehouse \w+ .*tenant acme-test.*carry no integer f150_rowid.*npm run probe -- --tenant acme-test/,
    );
  });
});

describe("SiesaWarehouseReader.stillAbsent", () => {
  it("returns the codes a second complete read lacks too, and not a closed warehouse's (it is still there)", async () => {
    // prepare: the run read every company warehouse; then TD1 is deleted and TD2 (closed) stays
    const { readerOptions, stock, companyCodes } = await warehouses();
    const seen = companyCodes().filter((c) => c !== "TD1" && c !== "TD2");
    stock.removeWarehouse("TD1");

    // act: TD1 and TD2 did not come back in some run
    const absent = await new SiesaWarehouseReader(readerOptions()).stillAbsent(["TD1", "TD2"], seen);

    // assess
    expect(absent).toEqual(["TD1"]);
  });

  it("refuses when the second read lacks a warehouse the run read: a 'no records' glitch confirms nothing", async () => {
    const { readerOptions, sandbox, companyCodes } = await warehouses();
    const seen = companyCodes().filter((c) => c !== "TD1");
    sandbox.setOptions({ noRecords: ({ descripcion }) => descripcion === "API_v2_Bodegas" });

    const asking = new SiesaWarehouseReader(readerOptions()).stillAbsent(["TD1"], seen);

    await expect(asking).rejects.toThrow(SiesaUnconfirmedError);
    await expect(new SiesaWarehouseReader(readerOptions()).stillAbsent(["TD1"], seen)).rejects.toThrow(
      /lacked warehouse \w+, which this run read/,
    );
  });

  it("refuses when the run read no warehouse at all (no witness)", async () => {
    const { readerOptions } = await warehouses();

    await expect(new SiesaWarehouseReader(readerOptions()).stillAbsent(["TD1"], [])).rejects.toThrow(
      /no warehouse of tenant acme-test to witness/,
    );
  });
});
