import type { ProductType } from "../../../core/domain/model.js";
import { ProductStockUnavailableError, type ProductStockWriter } from "../../../core/ports/product-stock.js";

/** Why each product cannot take stock yet: what its team publishes, and where stock lives there. */
const WHY: Readonly<Record<ProductType, string>> = {
  "kong-rfid":
    "Kong RFID publishes no stock endpoint: its stock lives on Items (SKU → Items → RFID tags), written by its own readers",
  wms: "the WMS's published collection has no stock endpoint",
};

/**
 * The stock writer of a product: none can take stock yet, so each refuses, naming the product and
 * calling nothing. Replaced by a real adapter once the product's team publishes its stock API.
 */
export function productStockWriter(product: ProductType): ProductStockWriter {
  return {
    product,
    async write() {
      throw new ProductStockUnavailableError(`stock is not written to ${product}: ${WHY[product]}`);
    },
  };
}
