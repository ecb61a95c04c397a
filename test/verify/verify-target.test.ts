import { describe, expect, it } from "vitest";
import type { ProductType } from "../../runtime/core/domain/model.js";
import { locationExternalId, warehouseMapper } from "../../runtime/core/streams/warehouses.js";
import { LOCATION_SHAPES, verifyTarget } from "../../runtime/core/verify/verify-target.js";
import { aTenant } from "../tenants/factories.js";

// What verify compares a stream's product records with: the warehouses' is declared beside their
// mapping, which is code, so the two are held together here.

const warehousesTenant = (type: ProductType) =>
  aTenant((t) => {
    if (type === "wms") {
      t.product = { type: "wms", baseUrl: "https://wms.example/", endpoints: {}, defaults: {} };
      t.mapping = "wms";
    }
    t.streams = { warehouses: { schedule: "rate(1 day)", location: { type: "E1", parent: "STORE-1" } } };
  });

const warehouse = {
  key: "NB1",
  item: { f150_id: "NB1", f150_id_cia: 1, f150_descripcion: "BODEGA NORTE", f150_ind_estado: 1 },
  barcodes: [],
};

describe("the warehouses stream's verify target", () => {
  it.each(["kong-rfid", "wms"] as const)("for %s, knows every key a location's payload sets", (type) => {
    const tenant = warehousesTenant(type);

    const mapped = warehouseMapper(tenant).map(warehouse);

    if (!mapped.ok) throw new Error(mapped.reason);
    expect(Object.keys(LOCATION_SHAPES[type]).sort()).toEqual(Object.keys(mapped.record.payload).sort());
  });

  it("reads the stream's own ledger partition, and counts as unknown only locations with a warehouse's external id", () => {
    const tenant = warehousesTenant("kong-rfid");

    const fields = { customer_ids: [Number(tenant.product.defaults.customer_id)] };

    const target = verifyTarget(tenant, "warehouses");

    expect(target.partition).toBe(`${tenant.id}#warehouses`);
    expect(target.owns?.({ externalId: locationExternalId(tenant, "NB1"), fields })).toBe(true);
    expect(target.owns?.({ externalId: "STORE-1", fields })).toBe(false);
    // Another ERP company of the same Connekta tenant: 8585-10-NB1 is not 8585-1-'s.
    expect(
      target.owns?.({ externalId: `${tenant.siesa.companyId}-${tenant.siesa.erpCompany}0-NB1`, fields }),
    ).toBe(false);
  });

  it("on Kong, which holds many customers' locations, leaves out one with our external id that another customer holds", () => {
    // Kong documents no customer filter on its location list: the write's lookup trusts none, nor may verify.
    const tenant = warehousesTenant("kong-rfid");
    const ours = Number(tenant.product.defaults.customer_id);
    const externalId = locationExternalId(tenant, "NB1");

    const target = verifyTarget(tenant, "warehouses");

    expect(target.owns?.({ externalId, fields: { customer_ids: [ours] } })).toBe(true);
    expect(target.owns?.({ externalId, fields: { customer_ids: [String(ours)] } })).toBe(true);
    expect(target.owns?.({ externalId, fields: { customer_ids: [ours + 1] } })).toBe(false);
  });

  it("leaves the catalogue's as it was: the tenant's partition, every listed record the tenant's", () => {
    const tenant = warehousesTenant("wms");

    const target = verifyTarget(tenant);

    expect(target.partition).toBe(tenant.id);
    expect(target.owns).toBeUndefined();
  });

  it("on Kong, counts as the catalogue's only SKUs of the tenant's customer, should Kong list others' (a filter it ignores)", () => {
    const tenant = warehousesTenant("kong-rfid");
    const ours = Number(tenant.product.defaults.customer_id);

    const target = verifyTarget(tenant);

    expect(target.partition).toBe(tenant.id);
    expect(target.owns?.({ externalId: "1042", fields: { customer_id: ours } })).toBe(true);
    expect(target.owns?.({ externalId: "1042", fields: { customer_id: String(ours) } })).toBe(true);
    expect(target.owns?.({ externalId: "9001", fields: { customer_id: ours + 1 } })).toBe(false);
  });
});
