import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { KongLocationClient } from "../../runtime/edges/http/products/index.js";
import { createKongSandbox, type KongSandboxOptions, SANDBOX_KONG_CREDENTIALS } from "../../sandbox/kong.js";
import type { NewKongLocation } from "../../sandbox/kong-locations.js";
import { CUSTOMER, closed, locationTenant, STORE, warehouse, withPayload } from "./location-records.js";
import { clientOptions, serve } from "./support.js";

/**
 * The warehouses stream's writer for Kong: each record is a warehouse as the stream maps it, written
 * to the Kong sandbox's `/inventory/locations/` over HTTP. The sandbox is strict: an unknown type or
 * parent, a duplicate external id, PUT and DELETE are refused.
 */

const tenant = locationTenant("kong-rfid");

/** A location already in Kong, under the store, for `customer`. */
const existing = (externalId: string, customer = CUSTOMER): NewKongLocation => ({
  external_id: externalId,
  type_external_id: "E1",
  customer_ids: [customer],
  parent_external_id: STORE,
  name: `Old ${externalId}`,
});

async function kongWithStore(sandboxOptions: KongSandboxOptions = {}) {
  const kong = createKongSandbox(sandboxOptions);
  kong.locations.store.insert({
    external_id: STORE,
    type_external_id: "M1",
    customer_ids: [CUSTOMER],
    name: "Store",
  });
  return kong;
}

async function kongWithClient(sandboxOptions: KongSandboxOptions = {}) {
  const kong = await kongWithStore(sandboxOptions);
  const client = new KongLocationClient(clientOptions(await serve(kong.app), SANDBOX_KONG_CREDENTIALS));
  return { kong, client };
}

describe("KongLocationClient writes a warehouse as a location", () => {
  it("creates the location once, under the store, with the body the stream maps", async () => {
    const { kong, client } = await kongWithClient();
    const record = warehouse(tenant, "NB1", "Bodega Norte");

    const first = await client.write(record);
    const again = await client.write(record);

    const stored = kong.locations.store.getByExternalId("8585-1-NB1");
    expect(first).toEqual({ outcome: "created", productId: String(stored?.id) });
    expect(again).toEqual({ outcome: "updated", productId: String(stored?.id) });
    expect(stored).toEqual({ id: stored?.id, ...record.payload });
    expect(stored?.parent_external_id).toBe(STORE);
    expect(kong.locations.store.size).toBe(2);
    expect(kong.locations.stats.creates).toBe(1);
  });

  it("renames the location it knows by id in place", async () => {
    const { kong, client } = await kongWithClient();
    const known = kong.locations.store.insert(existing("8585-1-NB1"));

    const result = await client.write(warehouse(tenant, "NB1", "Bodega Norte Nueva"), String(known.id));

    expect(result).toEqual({ outcome: "updated", productId: String(known.id) });
    expect(kong.locations.store.get(known.id)).toMatchObject({
      name: "Bodega Norte Nueva",
      display_name: "Bodega Norte Nueva (NB1)",
    });
    expect(kong.locations.stats.creates).toBe(0);
    // A known id is patched directly: no lookup.
    expect(kong.locations.stats.lists).toBe(0);
  });

  it("finds a location its ledger lost and updates it, without a second location or a refused create", async () => {
    const { kong, client } = await kongWithClient();
    const lost = kong.locations.store.insert(existing("8585-1-NB1"));

    const result = await client.write(warehouse(tenant, "NB1", "Bodega Norte"));

    expect(result).toEqual({ outcome: "updated", productId: String(lost.id) });
    expect(kong.locations.store.get(lost.id)?.name).toBe("Bodega Norte");
    expect(kong.locations.store.size).toBe(2);
    // Looked up first: duplicate protection does not hang on Kong refusing the create (assumed).
    expect(kong.stats.byStatus[400]).toBeUndefined();
  });

  it("closes a location with the inactive patch, leaving the rest as it was", async () => {
    const { kong, client } = await kongWithClient();
    const record = warehouse(tenant, "NB1", "Bodega Norte");
    const created = await client.write(record);
    const id = created.outcome === "created" ? created.productId : "";

    const result = await client.patch(id, closed(tenant, record));

    expect(result).toEqual({ outcome: "updated" });
    expect(kong.locations.store.get(Number(id))).toMatchObject({ is_active: false, name: "Bodega Norte" });
  });

  it("says gone when the location to patch is not in Kong", async () => {
    const { kong, client } = await kongWithClient();
    const record = warehouse(tenant, "NB1");

    const result = await client.patch("9999", closed(tenant, record));

    expect(result).toEqual({ outcome: "gone" });
    expect(kong.locations.store.size).toBe(1);
  });

  it.each([
    [
      "an unknown location type",
      locationTenant("kong-rfid", "E9"),
      "type_external_id: Object with external_id=E9 does not exist.",
    ],
    [
      "a parent Kong does not have",
      undefined,
      "parent_external_id: Object with external_id=STORE-9 does not exist.",
    ],
  ])("rejects %s with Kong's message naming the field", async (_case, otherTenant, reason) => {
    const { kong, client } = await kongWithClient();
    const record = otherTenant
      ? warehouse(otherTenant, "NB1")
      : withPayload(warehouse(tenant, "NB1"), { parent_external_id: "STORE-9" });

    const result = await client.write(record);

    expect(result).toEqual({ outcome: "rejected", reason });
    expect(kong.locations.store.size).toBe(1);
  });
});

describe("KongLocationClient when a create may have been applied", () => {
  it("never sends a create again within the call: with a Kong that keeps a second location, the next write finds the first", async () => {
    // prepare: Kong applies the first create, then its gateway answers 502
    const kong = await kongWithStore();
    kong.locations.acceptDuplicates(true);
    let failing = 1;
    const app = new Hono();
    app.post("/inventory/locations/", async (c) => {
      const answer = await kong.app.request(c.req.raw);
      return failing-- > 0 ? c.json({ detail: "Bad gateway" }, 502) : answer;
    });
    app.route("/", kong.app);
    const client = new KongLocationClient(clientOptions(await serve(app), SANDBOX_KONG_CREDENTIALS));
    const record = warehouse(tenant, "NB1", "Bodega Norte");

    // act: the write that failed, then the record written again (its chunk came back)
    const error = await client.write(record).catch((e: unknown) => e);
    const retried = await client.write(record);

    // assess
    expect(error).toMatchObject({ service: "kong-rfid", status: 502, retryable: true });
    expect(retried.outcome).toBe("updated");
    expect(kong.locations.store.allByExternalId("8585-1-NB1")).toHaveLength(1);
  });
});

describe("KongLocationClient finds a location by its exact external_id", () => {
  it("finds the exact one on a later page when Kong ignores the external_id filter, and never creates a duplicate", async () => {
    const { kong, client } = await kongWithClient({ maxPageSize: 2 });
    for (const id of ["8585-1-NB10", "8585-1-NB1 ", "8585-1-NB", "18585-1-NB1"]) {
      kong.locations.store.insert(existing(id));
    }
    const target = kong.locations.store.insert(existing("8585-1-NB1"));
    kong.locations.ignoreExternalIdFilter(true);

    const result = await client.write(warehouse(tenant, "NB1", "Bodega Norte"));

    expect(result).toEqual({ outcome: "updated", productId: String(target.id) });
    expect(kong.locations.store.get(target.id)?.name).toBe("Bodega Norte");
    expect(kong.locations.store.list().filter((l) => l.name === "Bodega Norte")).toHaveLength(1);
    expect(kong.locations.store.size).toBe(6);
  });

  it("never patches another customer's location with the same external_id, even when Kong ignores the customer filter", async () => {
    const kong = await kongWithStore();
    const foreign = kong.locations.store.insert(existing("8585-1-NB1", 99));
    // A Kong whose location list has no customer filter: DRF drops the parameter.
    const app = new Hono();
    app.get("/inventory/locations/", (c) => {
      const url = new URL(c.req.url);
      url.searchParams.delete("customer_id");
      return kong.app.request(new Request(url, c.req.raw));
    });
    app.route("/", kong.app);
    const client = new KongLocationClient(clientOptions(await serve(app), SANDBOX_KONG_CREDENTIALS));

    const result = await client.write(warehouse(tenant, "NB1", "Bodega Norte"));

    expect(result).toEqual({
      outcome: "rejected",
      reason: `external_id 8585-1-NB1 already exists in Kong but no location with it was found for customer_id ${CUSTOMER}`,
    });
    expect(kong.locations.store.get(foreign.id)).toMatchObject({
      name: "Old 8585-1-NB1",
      customer_ids: [99],
    });
  });
});

describe("KongLocationClient for a tenant whose file writes its customer id as digits", () => {
  const digits = { ...tenant, product: { ...tenant.product, defaults: { customer_id: String(CUSTOMER) } } };

  it("creates the location for that customer, its id a number", async () => {
    const { kong, client } = await kongWithClient();

    const result = await client.write(warehouse(digits, "NB1", "Bodega Norte"));

    expect(result.outcome).toBe("created");
    expect(kong.locations.store.getByExternalId("8585-1-NB1")).toMatchObject({ customer_ids: [CUSTOMER] });
  });

  it("never takes another customer's location with the same external_id", async () => {
    const { kong, client } = await kongWithClient();
    const foreign = kong.locations.store.insert(existing("8585-1-NB1", 99));

    const result = await client.write(warehouse(digits, "NB1", "Bodega Norte"));

    expect(result).toEqual({
      outcome: "rejected",
      reason: `external_id 8585-1-NB1 already exists in Kong but no location with it was found for customer_id ${CUSTOMER}`,
    });
    expect(kong.locations.store.get(foreign.id)).toMatchObject({
      name: "Old 8585-1-NB1",
      customer_ids: [99],
    });
  });
});

describe("KongLocationClient reads the customer's locations back", () => {
  it("lists every location of the customer across pages, and none of another's", async () => {
    const { kong, client } = await kongWithClient({ maxPageSize: 2 });
    for (const code of ["NB1", "PPAL", "CEDI", "TD1"])
      kong.locations.store.insert(existing(`8585-1-${code}`));
    kong.locations.store.insert(existing("9999-1-NB1", 99));

    const listed = [];
    for await (const page of client.list({ customerId: String(CUSTOMER) })) listed.push(...page);

    expect(listed.map((l) => l.externalId).sort()).toEqual(
      [STORE, "8585-1-CEDI", "8585-1-NB1", "8585-1-PPAL", "8585-1-TD1"].sort(),
    );
  });
});
