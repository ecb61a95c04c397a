import type { ProductType } from "../../../core/domain/model.js";
import type { ProductClient, ProductClientOptions, ProductReader } from "../../../core/ports/product.js";
import { KongLocationClient } from "./kong-locations.js";
import { WmsLocationClient } from "./wms-locations.js";

/**
 * The writer of the warehouses stream for a tenant's product type: each warehouse a location. The
 * path is the tenant file's `product.endpoints.locations` (Kong `/inventory/locations/`, WMS
 * `/locations` by default); login and credentials are the product's own.
 */
export function createLocationClient(
  type: ProductType,
  options: ProductClientOptions,
): ProductClient & ProductReader {
  switch (type) {
    case "kong-rfid":
      return new KongLocationClient(options);
    case "wms":
      return new WmsLocationClient(options);
    default:
      throw new Error(
        `tenant ${options.tenantId}: no location client for product type "${String(type)}" (expected kong-rfid or wms)`,
      );
  }
}
