import { afterEach, describe, expect, it } from "vitest";
import type { QueueHandler } from "../../runtime/core/ports/dependencies.js";
import { locationExternalId } from "../../runtime/core/streams/warehouses.js";
import { STORE_LOCATION, streamWorld } from "./stream-world.js";

// Whole warehouse runs of the demo tenant through the engine: each warehouse of the ERP company
// becomes one Kong location under the tenant's parent, renamed in place, set inactive when it
// closes or leaves Siesa, and written once however often the run is repeated.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function world() {
  const w = await streamWorld(50);
  closers.push(w.close);
  const kong = w.sandboxes.kong;
  if (!kong) throw new Error("demo is a Kong RFID tenant");
  const stock = w.sandboxes.siesa.stock;
  const locationOf = (code: string) =>
    kong.locations.store.getByExternalId(locationExternalId(w.tenant, code));
  const companyCodes = () =>
    stock.warehouses
      .filter((row) => Number(row.f150_id_cia) === w.tenant.siesa.erpCompany)
      .map((row) => String(row.f150_id).trim());
  return { ...w, kong, stock, locationOf, companyCodes };
}

describe("a warehouses run", () => {
  it("makes each of the company's warehouses one location under the tenant's parent, closed ones inactive", async () => {
    const { run, kong, stock, locationOf, companyCodes } = await world();

    const summary = await run("warehouses");

    expect(summary.status).toBe("succeeded");
    expect(summary.counts).toMatchObject({
      extracted: companyCodes().length,
      created: companyCodes().length,
    });
    for (const code of companyCodes()) {
      const location = locationOf(code);
      expect(location).toMatchObject({ type_external_id: "E1", parent_external_id: STORE_LOCATION });
      expect(location?.is_active).toBe(stock.activeWarehouseCodes().includes(code));
    }
    // The parent and the company's warehouses: no other company's, none twice.
    expect(kong.locations.store.list()).toHaveLength(1 + companyCodes().length);
  });

  it("rejects a warehouse without a code, naming it, and writes every other warehouse", async () => {
    // prepare: a warehouse row of the company whose f150_id is blank
    const { run, stock, locationOf, companyCodes } = await world();
    const [model] = stock.warehouses.filter((row) => Number(row.f150_id_cia) === 1);
    stock.warehouses.push({
      ...model,
      f150_rowid: 999,
      f150_id: "   ",
      f150_descripcion: "BODEGA SIN CODIGO",
    });
    const coded = companyCodes().filter((code) => code !== "");

    // act
    const summary = await run("warehouses");

    // assess
    expect(summary.status).toBe("partial");
    expect(summary.counts).toMatchObject({ created: coded.length, rejected: 1, failed: 0 });
    expect(summary.errors).toEqual([
      expect.objectContaining({
        outcome: "rejected",
        field: "f150_id",
        reason: expect.stringMatching(/^f150_id is empty: .*BODEGA SIN CODIGO.*f150_rowid 999/),
      }),
    ]);
    for (const code of coded) expect(locationOf(code)).toBeDefined();
  });

  it("writes nothing when nothing changed, renames in place and closes a warehouse that closed", async () => {
    const { run, kong, stock, locationOf } = await world();
    await run("warehouses");
    const [renamed, closed] = stock.activeWarehouseCodes() as [string, string];
    const creates = kong.locations.stats.creates;

    const unchanged = await run("warehouses");
    stock.renameWarehouse(renamed, "BODEGA RENOMBRADA");
    stock.closeWarehouse(closed);
    const changed = await run("warehouses");

    expect(unchanged.counts).toMatchObject({ created: 0, updated: 0 });
    expect(changed.counts).toMatchObject({ created: 0, updated: 2 });
    expect(kong.locations.stats.creates).toBe(creates);
    expect(locationOf(renamed)?.name).toBe("BODEGA RENOMBRADA");
    expect(locationOf(closed)?.is_active).toBe(false);
  });

  it("writes each location once when every message is delivered twice", async () => {
    const { run, kong, companyCodes } = await world();
    const twice =
      (handler: QueueHandler): QueueHandler =>
      async (event) => {
        await handler(event);
        return handler(event);
      };

    const summary = await run("warehouses", { wrapHandlers: (_worker, handler) => twice(handler) });

    expect(summary.status).toBe("succeeded");
    expect(summary.counts).toMatchObject({
      extracted: companyCodes().length,
      created: companyCodes().length,
    });
    expect(kong.locations.stats.creates).toBe(companyCodes().length);
  });

  it("sets inactive a warehouse gone from Siesa, once a second read agrees it is gone", async () => {
    const { run, stock, locationOf } = await world();
    await run("warehouses");
    const [gone] = stock.activeWarehouseCodes() as [string];
    stock.removeWarehouse(gone);

    const summary = await run("warehouses");

    expect(summary.counts.deactivated).toBe(1);
    expect(locationOf(gone)?.is_active).toBe(false);
  });
});
