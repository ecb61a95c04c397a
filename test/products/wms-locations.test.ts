import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { WmsLocationClient } from "../../runtime/edges/http/products/index.js";
import { createWmsSandbox, SANDBOX_WMS_CREDENTIALS, type WmsSandboxOptions } from "../../sandbox/wms.js";
import type { NewWmsLocation, WmsLocations } from "../../sandbox/wms-locations.js";
import { closed, locationTenant, STORE, warehouse, withPayload } from "./location-records.js";
import { clientOptions, serve } from "./support.js";

/**
 * The warehouses stream's writer for the WMS, against the WMS sandbox's assumed `/locations` over
 * HTTP. By default the sandbox stores a second location with one external id (the worst case).
 */

const tenant = locationTenant("wms");

const existing = (externalId: string): NewWmsLocation => ({
  external_id: externalId,
  code: externalId.split("-").at(-1) ?? externalId,
  name: `Old ${externalId}`,
  type: "WAREHOUSE",
  parent_external_id: STORE,
  status: "ACTIVE",
});

function withStore(locations: WmsLocations): void {
  locations.store.insert({ external_id: STORE, code: "S1", name: "Store", type: "STORE" });
}

async function wmsWithClient(sandboxOptions: WmsSandboxOptions = {}) {
  const wms = createWmsSandbox(sandboxOptions);
  withStore(wms.locations);
  const client = new WmsLocationClient(clientOptions(await serve(wms.app), SANDBOX_WMS_CREDENTIALS));
  return { wms, client };
}

/** The WMS sandbox behind `routes`, which see a request first. */
async function wmsBehind(routes: (app: Hono, wms: ReturnType<typeof createWmsSandbox>) => void) {
  const wms = createWmsSandbox();
  withStore(wms.locations);
  const app = new Hono();
  routes(app, wms);
  app.route("/", wms.app);
  const client = new WmsLocationClient(clientOptions(await serve(app), SANDBOX_WMS_CREDENTIALS));
  return { wms, client };
}

describe("WmsLocationClient writes a warehouse as a location", () => {
  it("creates the location once, with the body the stream maps, though the WMS would take a duplicate", async () => {
    const { wms, client } = await wmsWithClient();
    const record = warehouse(tenant, "NB1", "Bodega Norte");

    const first = await client.write(record);
    const again = await client.write(record);

    const stored = wms.locations.store.getByExternalId("8585-1-NB1");
    expect(first).toEqual({ outcome: "created", productId: stored?.id });
    expect(again).toEqual({ outcome: "updated", productId: stored?.id });
    expect(stored).toEqual({ id: stored?.id, ...record.payload });
    expect(wms.locations.store.allByExternalId("8585-1-NB1")).toHaveLength(1);
  });

  it("renames the location it knows by id in place, without a lookup", async () => {
    const { wms, client } = await wmsWithClient();
    const known = wms.locations.store.insert(existing("8585-1-NB1"));

    const result = await client.write(warehouse(tenant, "NB1", "Bodega Norte Nueva"), known.id);

    expect(result).toEqual({ outcome: "updated", productId: known.id });
    expect(wms.locations.store.get(known.id)?.name).toBe("Bodega Norte Nueva");
    expect(wms.locations.stats).toMatchObject({ creates: 0, lists: 0 });
  });

  it("finds a location its ledger lost past pages that hold no match, and updates it", async () => {
    const { wms, client } = await wmsWithClient({ pageSize: 2 });
    for (const id of ["8585-1-NB10", "18585-1-NB1", "8585-1-NB"]) wms.locations.store.insert(existing(id));
    const lost = wms.locations.store.insert(existing("8585-1-NB1"));

    const result = await client.write(warehouse(tenant, "NB1", "Bodega Norte"));

    expect(result).toEqual({ outcome: "updated", productId: lost.id });
    expect(wms.locations.store.get(lost.id)?.name).toBe("Bodega Norte");
    expect(wms.locations.store.allByExternalId("8585-1-NB1")).toHaveLength(1);
    expect(wms.locations.stats.creates).toBe(0);
  });

  it("finds a closed warehouse's location the WMS holds INACTIVE, and reopens it instead of creating another", async () => {
    const { wms, client } = await wmsWithClient();
    const lost = wms.locations.store.insert({ ...existing("8585-1-NB1"), status: "INACTIVE" });

    const result = await client.write(warehouse(tenant, "NB1", "Bodega Norte"));

    expect(result).toEqual({ outcome: "updated", productId: lost.id });
    expect(wms.locations.store.allByExternalId("8585-1-NB1")).toHaveLength(1);
    expect(wms.locations.store.get(lost.id)?.status).toBe("ACTIVE");
  });

  it("updates the ACTIVE one of a location's duplicates, though an INACTIVE one is listed first", async () => {
    const { wms, client } = await wmsWithClient();
    const stale = wms.locations.store.insert({ ...existing("8585-1-NB1"), status: "INACTIVE" });
    const live = wms.locations.store.insert(existing("8585-1-NB1"), { allowDuplicate: true });

    const result = await client.write(warehouse(tenant, "NB1", "Bodega Norte"));

    expect(result).toEqual({ outcome: "updated", productId: live.id });
    expect(wms.locations.store.get(stale.id)).toMatchObject({ status: "INACTIVE", name: "Old 8585-1-NB1" });
  });

  it("creates the location again when the one it knew was deleted in the WMS", async () => {
    const { wms, client } = await wmsWithClient();
    const deleted = wms.locations.store.insert(existing("8585-1-NB1"));
    wms.locations.store.remove(deleted.id);

    const result = await client.write(warehouse(tenant, "NB1", "Bodega Norte"), deleted.id);

    const recreated = wms.locations.store.getByExternalId("8585-1-NB1");
    expect(result).toEqual({ outcome: "created", productId: recreated?.id });
    expect(recreated?.id).not.toBe(deleted.id);
  });

  it("keeps only the exact external_id when the WMS ignores the filter", async () => {
    const { wms, client } = await wmsWithClient();
    for (const id of ["8585-1-NB10", "18585-1-NB1"]) wms.locations.store.insert(existing(id));
    const lost = wms.locations.store.insert(existing("8585-1-NB1"));
    wms.locations.ignoreExternalIdFilter(true);

    const result = await client.write(warehouse(tenant, "NB1", "Bodega Norte"));

    expect(result).toEqual({ outcome: "updated", productId: lost.id });
    expect(wms.locations.store.list().filter((l) => l.name === "Bodega Norte")).toEqual([
      expect.objectContaining({ id: lost.id }),
    ]);
  });

  it("closes a location with the inactive patch, sending its external_id as the WMS requires", async () => {
    const { wms, client } = await wmsWithClient();
    const record = warehouse(tenant, "NB1", "Bodega Norte");
    const created = await client.write(record);
    const id = created.outcome === "created" ? created.productId : "";

    const result = await client.patch(id, closed(tenant, record));

    expect(result).toEqual({ outcome: "updated" });
    expect(wms.locations.store.get(id)).toMatchObject({ status: "INACTIVE", name: "Bodega Norte" });
  });

  it("says gone when the location to patch was deleted in the WMS", async () => {
    const { wms, client } = await wmsWithClient();
    const deleted = wms.locations.store.insert(existing("8585-1-NB1"));
    wms.locations.store.remove(deleted.id);

    const result = await client.patch(deleted.id, closed(tenant, warehouse(tenant, "NB1")));

    expect(result).toEqual({ outcome: "gone" });
    expect(wms.locations.stats.creates).toBe(0);
  });

  it.each([
    [
      "a parent the WMS does not have",
      { parent_external_id: "STORE-9" },
      "Validation failed: parent_external_id no location has external_id 'STORE-9'",
    ],
    ["an empty type", { type: "" }, "Validation failed: type must not be empty"],
  ])("rejects %s with the WMS's message naming the field", async (_case, changes, reason) => {
    const { wms, client } = await wmsWithClient();

    const result = await client.write(withPayload(warehouse(tenant, "NB1"), changes));

    expect(result).toEqual({ outcome: "rejected", reason });
    expect(wms.locations.store.size).toBe(1);
  });
});

describe("WmsLocationClient when a create may have been applied", () => {
  it("never sends a create again within the call: the record's next write finds what it left", async () => {
    // prepare: the WMS applies the first create, then its gateway answers 502
    let failing = 1;
    const { wms, client } = await wmsBehind((app, sandbox) => {
      app.post("/locations", async (c) => {
        const answer = await sandbox.app.request(c.req.raw);
        return failing-- > 0 ? c.json({ message: "Bad gateway" }, 502) : answer;
      });
    });

    // act: the write that failed, then the record written again (its chunk came back)
    const error = await client.write(warehouse(tenant, "NB1")).catch((e: unknown) => e);
    const retried = await client.write(warehouse(tenant, "NB1"));

    // assess
    expect(error).toMatchObject({ service: "wms", status: 502, retryable: true });
    expect(retried.outcome).toBe("updated");
    expect(wms.locations.store.allByExternalId("8585-1-NB1")).toHaveLength(1);
  });

  it("turns a 409 into find-and-patch when the location appears between the lookup and the create", async () => {
    const wms = createWmsSandbox({ duplicates: "refuse" });
    withStore(wms.locations);
    let raced: { id: string } | undefined;
    const app = new Hono();
    app.use("/locations", async (c, next) => {
      if (c.req.method === "POST" && !raced) raced = wms.locations.store.insert(existing("8585-1-NB1"));
      await next();
    });
    app.route("/", wms.app);
    const client = new WmsLocationClient(clientOptions(await serve(app), SANDBOX_WMS_CREDENTIALS));

    const result = await client.write(warehouse(tenant, "NB1", "Bodega Norte"));

    expect(result).toEqual({ outcome: "updated", productId: raced?.id });
    expect(wms.locations.store.allByExternalId("8585-1-NB1")).toHaveLength(1);
    expect(wms.locations.store.get(raced?.id ?? "")?.name).toBe("Bodega Norte");
  });
});

describe("WmsLocationClient reads every location back", () => {
  it("follows the cursor to the end", async () => {
    const { wms, client } = await wmsWithClient();
    for (let i = 0; i < 150; i++) wms.locations.store.insert(existing(`8585-1-W${i}`));

    const listed = [];
    for await (const page of client.list({})) listed.push(...page);

    expect(listed).toHaveLength(151);
    expect(new Set(listed.map((l) => l.id)).size).toBe(151);
  });
});
