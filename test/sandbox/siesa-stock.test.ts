import { describe, expect, it } from "vitest";
import { generateCatalogue, itemId, type SiesaWireRow } from "../../sandbox/catalogue.js";
import {
  createSiesaSandbox,
  SANDBOX_SIESA_COMPANY_ID,
  SANDBOX_SIESA_CREDENTIALS,
  type SiesaSandbox,
  type SiesaSandboxOptions,
} from "../../sandbox/siesa.js";
import { generateStock, STOCK_QUERY, stockKey, WAREHOUSE_QUERY } from "../../sandbox/stock.js";

/**
 * The Siesa sandbox's warehouse (`API_v2_Bodegas`) and stock (`API_v2_Inventarios_InvFecha`)
 * queries, read over the wire as any client would. Each quirk is shown by what a client that
 * trusts the rows as they come (no trimming, no de-duplication, no company or status check)
 * would get wrong.
 */

const catalogue = () => generateCatalogue({ size: 200, seed: 11 });

function sandboxOf(options: Partial<SiesaSandboxOptions> = {}) {
  return createSiesaSandbox({ catalogue: catalogue(), ...options });
}

/** A sandbox that answers in a stable order without repeats: the truth, read over the wire. */
const stableSandbox = (options: Partial<SiesaSandboxOptions> = {}) =>
  sandboxOf({ unstableOrder: false, repeatShare: 0, ...options });

type Answer = { status: number; body: { codigo: number; detalle: unknown } };

async function ask(
  sandbox: SiesaSandbox,
  descripcion: string,
  page: number,
  size: number,
  parametros?: string,
): Promise<Answer> {
  const query = new URLSearchParams({
    idCompania: String(SANDBOX_SIESA_COMPANY_ID),
    descripcion,
    paginacion: `numPag=${page}|tamPag=${size}`,
    ...(parametros === undefined ? {} : { parametros }),
  });
  const response = await sandbox.app.request(`/api/siesa/v3/ejecutarconsultaestandar?${query}`, {
    headers: {
      ConniKey: SANDBOX_SIESA_CREDENTIALS.conniKey,
      ConniToken: SANDBOX_SIESA_CREDENTIALS.conniToken,
    },
  });
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

const rowsOf = (answer: Answer) => (answer.body.detalle as { Table: SiesaWireRow[] }).Table;

/** Every page until a short one, rows kept as they come: the naive reader. */
async function readAll(
  sandbox: SiesaSandbox,
  descripcion: string,
  parametros?: string,
  size = 100,
): Promise<SiesaWireRow[]> {
  const rows: SiesaWireRow[] = [];
  for (let page = 1; ; page++) {
    const answer = await ask(sandbox, descripcion, page, size, parametros);
    expect(answer.body.codigo).toBe(0);
    const table = rowsOf(answer);
    rows.push(...table);
    if (table.length < size) return rows;
  }
}

const trimmed = (value: unknown) => String(value).trim();
const keysOf = (rows: readonly SiesaWireRow[]) => rows.map(stockKey).sort();

describe("Siesa sandbox warehouses (API_v2_Bodegas)", () => {
  it("pads warehouse codes, so a client comparing raw codes finds none of them", async () => {
    const sandbox = stableSandbox();

    const warehouses = await readAll(sandbox, WAREHOUSE_QUERY);

    expect(warehouses.map((w) => w.f150_id)).not.toContain("NB1");
    expect(warehouses.every((w) => String(w.f150_id).endsWith(" "))).toBe(true);
    expect(warehouses.map((w) => trimmed(w.f150_id))).toContain("NB1");
  });

  it("lists the ERP company's closed warehouses, which still hold stock, beside the active ones", async () => {
    const sandbox = stableSandbox();
    const company = sandbox.catalogue.erpCompany;

    const warehouses = await readAll(sandbox, WAREHOUSE_QUERY);
    const closed = warehouses.filter((w) => w.f150_id_cia === company && w.f150_ind_estado === 0);
    const closedStock = await readAll(sandbox, STOCK_QUERY, `f150_id = ''${trimmed(closed[0]?.f150_id)}''`);

    expect(closed.length).toBeGreaterThan(0);
    expect(closedStock.length).toBeGreaterThan(0);
    expect(closed.map((w) => trimmed(w.f150_id))).not.toContain(sandbox.stock.activeWarehouseCodes()[0]);
  });

  it("lists another ERP company's warehouses, with stock of their own, beside the tenant's", async () => {
    const sandbox = stableSandbox();
    const company = sandbox.catalogue.erpCompany;

    const warehouses = await readAll(sandbox, WAREHOUSE_QUERY);
    const foreign = warehouses.filter((w) => w.f150_id_cia !== company);
    const foreignStock = await readAll(sandbox, STOCK_QUERY, `f150_id = ''${trimmed(foreign[0]?.f150_id)}''`);
    const kept = warehouses
      .filter((w) => w.f150_id_cia === company && w.f150_ind_estado === 1)
      .map((w) => trimmed(w.f150_id));

    expect(foreign.length).toBeGreaterThan(0);
    expect(foreignStock.length).toBeGreaterThan(0);
    expect(kept).toEqual(sandbox.stock.activeWarehouseCodes());
  });

  it("shows a warehouse closed or renamed in Siesa on the next read", async () => {
    const sandbox = stableSandbox();

    sandbox.stock.closeWarehouse("TD1");
    sandbox.stock.renameWarehouse("NB1", "BODEGA NORTE NUEVA");
    const warehouses = await readAll(sandbox, WAREHOUSE_QUERY);
    const byCode = new Map(warehouses.map((w) => [trimmed(w.f150_id), w]));

    expect(byCode.get("TD1")?.f150_ind_estado).toBe(0);
    expect(trimmed(byCode.get("NB1")?.f150_descripcion)).toBe("BODEGA NORTE NUEVA");
    expect(sandbox.stock.activeWarehouseCodes()).not.toContain("TD1");
  });
});

describe("Siesa sandbox stock (API_v2_Inventarios_InvFecha)", () => {
  it("answers the filter f150_id = ''NB1'' with that warehouse's rows only, whether the code is padded or not", async () => {
    const sandbox = stableSandbox();
    const truth = keysOf(sandbox.stock.rowsOf("NB1"));

    const plain = await readAll(sandbox, STOCK_QUERY, "f150_id = ''NB1''");
    const padded = await readAll(sandbox, STOCK_QUERY, "f150_id = ''NB1   ''");
    const two = await readAll(sandbox, STOCK_QUERY, "f150_id IN (''NB1'', ''PPAL'')");

    expect(truth.length).toBeGreaterThan(50);
    expect(keysOf(plain)).toEqual(truth);
    expect(keysOf(padded)).toEqual(truth);
    expect(keysOf(two)).toEqual([...truth, ...keysOf(sandbox.stock.rowsOf("PPAL"))].sort());
  });

  it("narrows each warehouse to an f120_id range, as the item queries do, for a large warehouse", async () => {
    const sandbox = stableSandbox();

    for (const warehouse of sandbox.stock.warehouses) {
      const code = trimmed(warehouse.f150_id);
      const ids = sandbox.stock.rowsOf(code).map(itemId);
      const [lo, hi] = [
        ids[Math.floor(ids.length / 4)] as number,
        ids[Math.floor((ids.length * 3) / 4)] as number,
      ];

      const range = await readAll(
        sandbox,
        STOCK_QUERY,
        `f150_id = ''${code}'' AND f120_id >= ${lo} AND f120_id < ${hi}`,
      );

      const truth = sandbox.stock.rowsOf(code).filter((row) => itemId(row) >= lo && itemId(row) < hi);
      expect(truth.length, code).toBeGreaterThan(1);
      expect(keysOf(range), code).toEqual(keysOf(truth));
    }
  });

  it("reshuffles and repeats rows across pages, so reading each page once gets a warehouse wrong", async () => {
    const sandbox = sandboxOf({ seed: 3 });
    const truth = sandbox.stock.rowsOf("NB1");

    const naive = await readAll(sandbox, STOCK_QUERY, "f150_id = ''NB1''", 10);
    const distinct = new Set(naive.map(stockKey));

    expect(naive.length).toBeGreaterThan(distinct.size);
    expect(distinct.size).toBeLessThan(truth.length);
  });

  it("repeats rows within a result even in a stable order, so a client must de-duplicate by key", async () => {
    const sandbox = sandboxOf({ unstableOrder: false, seed: 3 });
    const truth = sandbox.stock.rowsOf("NB1");

    const naive = await readAll(sandbox, STOCK_QUERY, "f150_id = ''NB1''", 10);
    const distinct = new Set(naive.map(stockKey));

    expect(naive.length).toBeGreaterThan(truth.length);
    expect([...distinct].sort()).toEqual(keysOf(truth));
  });

  it("has negative and fractional quantities on hand", async () => {
    const sandbox = stableSandbox();

    const rows = await readAll(sandbox, STOCK_QUERY);
    const onHand = rows.map((row) => row.f400_cant_existencia_1 as number);

    expect(onHand.some((quantity) => quantity < 0)).toBe(true);
    expect(onHand.some((quantity) => !Number.isInteger(quantity))).toBe(true);
    expect(rows.some((row) => !Number.isInteger(row.f400_cant_comprometida_1))).toBe(true);
  });

  it("stocks an item in several warehouses, and in one warehouse under two installations", async () => {
    const sandbox = stableSandbox();

    const rows = await readAll(sandbox, STOCK_QUERY);
    const warehousesOfItem = new Map<number, Set<string>>();
    const installationsOf = new Map<string, SiesaWireRow[]>();
    for (const row of rows) {
      const id = itemId(row);
      warehousesOfItem.set(id, (warehousesOfItem.get(id) ?? new Set()).add(trimmed(row.f150_id)));
      const itemAndWarehouse = `${id}|${trimmed(row.f150_id)}`;
      installationsOf.set(itemAndWarehouse, [...(installationsOf.get(itemAndWarehouse) ?? []), row]);
    }
    const twins = [...installationsOf.values()].filter((pair) => pair.length > 1);

    expect([...warehousesOfItem.values()].some((codes) => codes.size > 1)).toBe(true);
    expect(twins.length).toBeGreaterThan(0);
    for (const pair of twins) {
      expect(new Set(pair.map((row) => trimmed(row.f400_id_instalacion))).size).toBe(pair.length);
    }
    expect(new Set(rows.map(stockKey)).size).toBe(rows.length);
  });

  it("has rows for items the item query does not list", async () => {
    const sandbox = stableSandbox();

    const items = await readAll(sandbox, "API_v2_Items");
    const stock = await readAll(sandbox, STOCK_QUERY);
    const listed = new Set(items.map(itemId));
    const unknown = stock.filter((row) => !listed.has(itemId(row)));

    expect(unknown.length).toBeGreaterThan(0);
    expect(new Set(unknown.map(itemId))).toEqual(sandbox.stock.orphanIds);
  });

  it("has no company column: a stock filter on f120_id_cia answers no records, not an error", async () => {
    const sandbox = stableSandbox();

    const byCompany = await readAll(sandbox, STOCK_QUERY, `f120_id_cia = ${sandbox.catalogue.erpCompany}`);
    const anyRow = rowsOf(await ask(sandbox, STOCK_QUERY, 1, 1))[0] ?? {};

    expect(byCompany).toEqual([]);
    expect(Object.keys(anyRow).map((key) => key.trim())).not.toContain("f120_id_cia");
  });

  it("carries f120_id and f120_referencia, and can leave either out (which one Siesa sends is unconfirmed)", async () => {
    const sandbox = stableSandbox({ withoutColumns: ["f120_id"] });

    const row = rowsOf(await ask(sandbox, STOCK_QUERY, 1, 1))[0] ?? {};
    sandbox.setOptions({ withoutColumns: [] });
    const full = rowsOf(await ask(sandbox, STOCK_QUERY, 1, 1))[0] ?? {};

    expect(Object.keys(row)).not.toContain("f120_id");
    expect(Object.keys(row)).toContain("f120_referencia");
    expect(Object.keys(full)).toEqual(expect.arrayContaining(["f120_id", "f120_referencia"]));
  });

  it("answers a filter on a column it left out with no records, as for any column a query lacks", async () => {
    const sandbox = stableSandbox({ withoutColumns: ["f120_id"] });

    const byId = rowsOf(await ask(sandbox, STOCK_QUERY, 1, 10, "f150_id = ''NB1'' AND f120_id >= 0"));
    const byWarehouse = rowsOf(await ask(sandbox, STOCK_QUERY, 1, 10, "f150_id = ''NB1''"));

    expect(byId).toEqual([]);
    expect(byWarehouse).toHaveLength(10);
  });

  it("removes stock rows by key, as a count posted to zero may", async () => {
    const sandbox = stableSandbox();
    const [row] = sandbox.stock.rowsOf("NB1");
    const key = stockKey(row as SiesaWireRow);

    sandbox.stock.removeRows([key]);

    expect(sandbox.stock.rowsOf("NB1").map(stockKey)).not.toContain(key);
    expect(() => sandbox.stock.removeRows([key])).toThrow(/holds 0 of the 1 rows/);
  });

  it("shows an item's renamed reference in its stock rows, under the same f120_id", async () => {
    const sandbox = stableSandbox();
    const company = sandbox.catalogue.erpCompany;
    const codes = sandbox.stock.warehouses
      .filter((w) => w.f150_id_cia === company)
      .map((w) => trimmed(w.f150_id));
    const [renamed] = sandbox.catalogue.renameItems(1);

    const stocked = await readAll(
      sandbox,
      STOCK_QUERY,
      `f120_id = ${renamed} AND f150_id IN (${codes.map((code) => `''${code}''`).join(", ")})`,
    );
    const [item] = await readAll(
      sandbox,
      "API_v2_Items",
      `f120_id_cia = ${company} AND f120_id = ${renamed}`,
    );

    expect(stocked.length).toBeGreaterThan(0);
    for (const row of stocked) expect(row.f120_referencia).toBe(item?.f120_referencia);
    expect(trimmed(item?.f120_referencia)).toMatch(/-R\d+$/);
  });

  it("on request, stocks a warehouse in runs of consecutive items, as a store carrying some lines and not others", () => {
    // prepare: 20,000 items, an item stocked in a warehouse with a chance of 0.2, evenly or in runs
    const items = generateCatalogue({ size: 20_000, seed: 7 });
    const ids = items.items.filter((row) => row.f120_id_cia === items.erpCompany).map(itemId);
    /** A warehouse's stocked share in each run of 100 consecutive catalogue items. */
    const sharesOf = (rows: readonly SiesaWireRow[]) => {
      const stocked = new Set(rows.map(itemId));
      const shares: number[] = [];
      for (let at = 0; at + 100 <= ids.length; at += 100)
        shares.push(ids.slice(at, at + 100).filter((id) => stocked.has(id)).length / 100);
      return shares;
    };

    // act
    const even = generateStock(items, { stockedShare: 0.2 });
    const runs = generateStock(items, { stockedShare: 0.2, clustered: true });

    // assess: about the same share over the warehouses; in runs, many stretches of 100 items hold
    // almost none of a warehouse's rows and some about three times the share (evenly, none below 0.05)
    const codes = runs.activeWarehouseCodes();
    const all = codes.flatMap((code) => sharesOf(runs.rowsOf(code)));
    const mean = all.reduce((sum, share) => sum + share, 0) / all.length;
    expect(mean).toBeGreaterThan(0.12);
    expect(mean).toBeLessThan(0.3);
    for (const code of codes) {
      const clustered = sharesOf(runs.rowsOf(code));
      expect(clustered.filter((share) => share < 0.05).length, code).toBeGreaterThan(clustered.length / 4);
      expect(Math.max(...clustered), code).toBeGreaterThan(0.4);
      expect(Math.min(...sharesOf(even.rowsOf(code))), code).toBeGreaterThan(0.05);
    }
  });

  it("serves the same warehouses and stock for the same seed, and other stock for another", () => {
    const first = generateStock(catalogue());
    const again = generateStock(catalogue());
    const other = generateStock(catalogue(), { seed: 12 });

    expect(again.warehouses).toEqual(first.warehouses);
    expect(again.rows).toEqual(first.rows);
    expect(other.rows).not.toEqual(first.rows);
  });

  it("changes the quantity on hand of the rows it is told to, and no others", async () => {
    const sandbox = stableSandbox();
    const before = new Map((await readAll(sandbox, STOCK_QUERY)).map((row) => [stockKey(row), row]));

    const changed = sandbox.stock.changeQuantities(3);
    const after = await readAll(sandbox, STOCK_QUERY);
    const differing = after
      .filter((row) => before.get(stockKey(row))?.f400_cant_existencia_1 !== row.f400_cant_existencia_1)
      .map(stockKey)
      .sort();

    expect(differing).toEqual(changed);
    expect(changed).toHaveLength(3);
  });
});
