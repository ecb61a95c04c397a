import type { ProductType } from "../../../core/domain/model.js";
import type { ProductClient, ProductClientOptions, ProductReader } from "../../../core/ports/product.js";
import { KongClient } from "./kong-client.js";
import { WmsClient } from "./wms-client.js";

/** The client for a tenant's product type (the tenant file's `product.type`). */
export function createProductClient(
  type: ProductType,
  options: ProductClientOptions,
): ProductClient & ProductReader {
  switch (type) {
    case "kong-rfid":
      return new KongClient(options);
    case "wms":
      return new WmsClient(options);
    default:
      throw new Error(
        `tenant ${options.tenantId}: unknown product type "${String(type)}" (expected kong-rfid or wms)`,
      );
  }
}
