import type { FetchResponse } from "ofetch";
import { describe, expect, it } from "vitest";
import { drfPages, pageResults, wmsPages } from "../../runtime/edges/http/products/list-pages.js";
import type { ProductApi } from "../../runtime/edges/http/products/product-api.js";

// The pages of a product's list (list-pages.ts): Kong's DRF `next` links and the WMS's cursors are
// followed until a page names none, or names one asked before (a product whose paging loops must
// not keep a sync reading for ever).

/** A product API whose answers are these pages, by the query asked; it records what was asked. */
function apiOf(pages: (query: Record<string, string>) => unknown) {
  const asked: Record<string, string>[] = [];
  const api = {
    call: async (_operation: string, _url: string, options: { query?: Record<string, string> }) => {
      const query = options.query ?? {};
      asked.push(query);
      return { status: 200, _data: pages(query) } as FetchResponse<unknown>;
    },
  } as unknown as ProductApi;
  return { api, asked };
}

async function resultsOf(pages: AsyncIterable<FetchResponse<unknown>>) {
  const results: unknown[] = [];
  for await (const page of pages) results.push(pageResults(page));
  return results;
}

describe("the pages of a product's list", () => {
  it("follows DRF's next links to the last page, and stops at a link back to a page asked before", async () => {
    const { api, asked } = apiOf(({ page = "1" }) => ({
      results: [`sku ${page}`],
      // the second page links back to the first, as asked
      next: `http://kong.internal/inventory/skus/?customer_id=7${page === "1" ? "&page=2" : ""}`,
    }));

    const results = await resultsOf(
      drfPages(api, "https://kong/inventory/skus/", "list skus", { customer_id: "7" }),
    );

    expect(results).toEqual([["sku 1"], ["sku 2"]]);
    expect(asked).toEqual([{ customer_id: "7" }, { customer_id: "7", page: "2" }]);
  });

  it("follows the WMS's cursor to the last page, and stops at a cursor asked before", async () => {
    const { api, asked } = apiOf(({ last_evaluated_key_id: cursor }) => ({
      results: [`product after ${cursor ?? "start"}`],
      last_evaluated_key_id: cursor === "b" ? "a" : cursor === "a" ? "b" : "a",
    }));

    const results = await resultsOf(wmsPages(api, "https://wms/products", "list products", { limit: "100" }));

    expect(results).toEqual([["product after start"], ["product after a"], ["product after b"]]);
    expect(asked.map((q) => q.last_evaluated_key_id)).toEqual([undefined, "a", "b"]);
  });
});
