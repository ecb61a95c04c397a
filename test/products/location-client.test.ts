import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { ProductType } from "../../runtime/core/domain/model.js";
import { createLocationClient } from "../../runtime/edges/http/products/index.js";
import { createKongSandbox, SANDBOX_KONG_CREDENTIALS } from "../../sandbox/kong.js";
import { createWmsSandbox, SANDBOX_WMS_CREDENTIALS } from "../../sandbox/wms.js";
import { CUSTOMER, locationTenant, STORE, warehouse } from "./location-records.js";
import { clientOptions, serve } from "./support.js";

/** The warehouses stream's writer is picked by the tenant's product type and uses its `endpoints.locations`. */

/** Each product's sandbox behind a path prefix, so only a client that uses the tenant's paths reaches it. */
async function behindPrefix(type: ProductType) {
  const app = new Hono();
  if (type === "kong-rfid") {
    const kong = createKongSandbox();
    kong.locations.store.insert({
      external_id: STORE,
      type_external_id: "M1",
      customer_ids: [CUSTOMER],
      name: "Store",
    });
    app.route("/api", kong.app);
    const endpoints = { locations: "api/inventory/locations", login: "/api/auth/token/login/" };
    return {
      url: await serve(app),
      endpoints,
      credentials: SANDBOX_KONG_CREDENTIALS,
      size: () => kong.locations.store.size,
    };
  }
  const wms = createWmsSandbox();
  wms.locations.store.insert({ external_id: STORE, code: "S1", name: "Store", type: "STORE" });
  app.route("/api", wms.app);
  const endpoints = { locations: "/api/locations/", login: "/api/auth" };
  return {
    url: await serve(app),
    endpoints,
    credentials: SANDBOX_WMS_CREDENTIALS,
    size: () => wms.locations.store.size,
  };
}

describe("createLocationClient", () => {
  it.each(["kong-rfid", "wms"] as const)(
    "writes a %s location at the tenant's endpoints.locations, logging in at its endpoints.login",
    async (type) => {
      const product = await behindPrefix(type);
      const client = createLocationClient(
        type,
        clientOptions(`${product.url}/`, product.credentials, { endpoints: product.endpoints }),
      );

      const result = await client.write(warehouse(locationTenant(type), "NB1"));

      expect(result.outcome).toBe("created");
      expect(client.type).toBe(type);
      expect(product.size()).toBe(2);
    },
  );

  it("refuses a product type it has no location client for, naming the tenant", () => {
    expect(() =>
      createLocationClient(
        "erp" as ProductType,
        clientOptions("http://127.0.0.1:1", SANDBOX_KONG_CREDENTIALS),
      ),
    ).toThrow('tenant acme-test: no location client for product type "erp" (expected kong-rfid or wms)');
  });
});
