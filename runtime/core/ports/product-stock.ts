import type { ExpectedStock } from "../domain/expected-stock.js";
import type { ProductType } from "../domain/model.js";

/**
 * Writing expected stock into a product, the day one publishes how: Kong keeps stock on Items
 * (SKU → Items → RFID tags) and neither Kong's nor the WMS's stock endpoints are public. Until then
 * each product's adapter refuses (ProductStockUnavailableError) instead of calling a guessed
 * endpoint; the stock stream keeps its snapshot here (docs/streams.md).
 */
export interface ProductStockWriter {
  readonly product: ProductType;
  write(rows: readonly ExpectedStock[]): Promise<void>;
}

export class ProductStockUnavailableError extends Error {
  override readonly name = "ProductStockUnavailableError";
}
