import { afterEach, describe, expect, it } from "vitest";
import { runInProcess } from "../../runtime/cli/in-process.js";
import { locationExternalId } from "../../runtime/core/streams/warehouses.js";
import { withSandboxUrls } from "../../runtime/edges/local/tenants.js";
import { memoryPipelineStore } from "../../runtime/edges/store/memory.js";
import { startSandboxes } from "../../sandbox/local.js";
import { quietLog } from "../support/log.js";
import { aTenant } from "../tenants/factories.js";

// Whole warehouse runs of a WMS tenant through the engine: each warehouse of the ERP company a
// location of the WMS sandbox's assumed `/locations`, whose every PATCH carries the external id.

const STORE_LOCATION = "WMS-STORE";
const fastPolicy = { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 10_000, sleep: async () => {} };
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

async function wmsWarehouses() {
  const sandboxes = await startSandboxes({ product: "wms", items: 10, seed: 11, malformedShare: 0 });
  opened.push(sandboxes);
  const wms = sandboxes.wms;
  if (!wms) throw new Error("a WMS world");
  wms.locations.store.insert({ external_id: STORE_LOCATION, code: "S1", name: "Store", type: "STORE" });
  const tenant = withSandboxUrls(
    aTenant((t) => {
      t.product = { type: "wms", baseUrl: "https://wms.example/", endpoints: {}, defaults: {} };
      t.mapping = "wms";
      t.streams = {
        warehouses: {
          schedule: "rate(1 day)",
          location: { type: "WAREHOUSE", parent: STORE_LOCATION },
          locationsConfirmed: "assumed API, as the WMS sandbox serves it (a test)",
        },
      };
    }),
    sandboxes,
  );
  const store = memoryPipelineStore();
  const run = () =>
    runInProcess({
      tenant,
      stream: "warehouses",
      credentials: sandboxes.credentials,
      store,
      log: quietLog,
      policy: fastPolicy,
      retryBaseSeconds: 0,
      timeScale: 0.01,
    });
  const stock = sandboxes.siesa.stock;
  const locationsOf = (code: string) =>
    wms.locations.store.list().filter((l) => l.code === code || l.external_id.endsWith(`-${code}`));
  return { run, stock, tenant, wms, locationsOf };
}

describe("a WMS tenant's warehouses run", () => {
  it("sets inactive a warehouse gone from Siesa under the external id it was created with", async () => {
    // prepare
    const { run, stock, tenant, locationsOf } = await wmsWarehouses();
    const first = await run();
    const [gone] = stock.activeWarehouseCodes() as [string];
    stock.removeWarehouse(gone);

    // act
    const summary = await run();

    // assess
    expect(first.counts.created).toBeGreaterThan(0);
    expect(summary.counts.deactivated).toBe(1);
    expect(locationsOf(gone)).toEqual([
      expect.objectContaining({ external_id: locationExternalId(tenant, gone), status: "INACTIVE" }),
    ]);
  });

  it("renames, closes and reopens a warehouse's location in place, and brings back one that returns to Siesa", async () => {
    // prepare
    const { run, stock, tenant, wms, locationsOf } = await wmsWarehouses();
    await run();
    const [renamed, closed, returning] = stock.activeWarehouseCodes() as [string, string, string];
    const idOf = (code: string) => locationsOf(code)[0]?.id;
    const ids = [renamed, closed, returning].map(idOf);
    const row = stock.warehouses.find((w) => String(w.f150_id).trim() === returning);
    stock.removeWarehouse(returning);
    await run();

    // act
    stock.renameWarehouse(renamed, "BODEGA RENOMBRADA");
    stock.closeWarehouse(closed);
    if (row) stock.warehouses.push(row);
    const changed = await run();

    // assess: the same locations, each once, under its external id
    expect(changed.counts).toMatchObject({ created: 0, updated: 3, reactivated: 1 });
    expect([renamed, closed, returning].map(idOf)).toEqual(ids);
    for (const code of [renamed, closed, returning])
      expect(locationsOf(code)).toEqual([
        expect.objectContaining({ external_id: locationExternalId(tenant, code) }),
      ]);
    expect(locationsOf(renamed)[0]?.name).toBe("BODEGA RENOMBRADA");
    expect(locationsOf(closed)[0]?.status).toBe("INACTIVE");
    expect(locationsOf(returning)[0]?.status).toBe("ACTIVE");
    expect(wms.locations.store.list().filter((l) => l.external_id !== STORE_LOCATION)).toHaveLength(
      new Set(wms.locations.store.list().map((l) => l.external_id)).size - 1,
    );
  });
});
