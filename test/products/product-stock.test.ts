import { describe, expect, it } from "vitest";
import { ProductStockUnavailableError } from "../../runtime/core/ports/product-stock.js";
import { productStockWriter } from "../../runtime/edges/http/products/product-stock.js";
import { startSandboxes } from "../../sandbox/local.js";

// No product publishes a stock API: writing stock refuses, naming the product, and calls nothing.

describe.each(["kong-rfid", "wms"] as const)("stock written to %s", (product) => {
  it("is refused, naming the product, without a request to it", async () => {
    const sandboxes = await startSandboxes({ product, items: 1, seed: 1 });
    try {
      const before = sandboxes.kong?.stats.requests ?? sandboxes.wms?.stats.requests;
      const row = {
        item: 1,
        reference: null,
        warehouse: "NB1",
        installation: "01",
        onHand: 1,
        committed: 0,
        pos: 0,
        expected: 1,
      };

      const written = productStockWriter(product).write([row]);

      await expect(written).rejects.toThrow(ProductStockUnavailableError);
      await expect(written).rejects.toThrow(new RegExp(`not written to ${product}`));
      expect(sandboxes.kong?.stats.requests ?? sandboxes.wms?.stats.requests).toBe(before);
    } finally {
      await sandboxes.close();
    }
  });
});
