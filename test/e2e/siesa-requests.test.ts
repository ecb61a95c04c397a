import { afterEach, describe, expect, it } from "vitest";
import { streamWorld } from "./stream-world.js";

// What a run costs the client's Siesa: a run after a complete one cuts its range (the catalogue's
// whole range, each stock warehouse) on the rows that run read there (baseline-keys.ts,
// SiesaRangeReader.cutOnKnown), so it reads a leaf of about 90 known rows with each request instead
// of counting and sampling again.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const STOCK_QUERY = "API_v2_Inventarios_InvFecha";
const ITEMS_QUERY = "API_v2_Items";

/** A complete first run of the stream, then a second over the same Siesa: what each did, and the requests of `query`. */
async function twoRuns(items: number, stream: "catalogue" | "stock", query: string) {
  const w = await streamWorld(items);
  closers.push(w.close);
  const stats = w.sandboxes.siesa.stats.byDescripcion;
  const first = await w.run(stream);
  const firstRequests = stats[query] ?? 0;
  const second = await w.run(stream);
  return {
    first,
    second,
    firstRequests,
    requests: (stats[query] ?? 0) - firstRequests,
    siesa: w.sandboxes.siesa,
  };
}

describe("the Siesa requests of a run", () => {
  it("of stock, after a complete run, read each warehouse in about one request per 90 rows", async () => {
    // prepare + act: a complete first run, then an unchanged one
    const { first, second, firstRequests, requests, siesa } = await twoRuns(500, "stock", STOCK_QUERY);

    // assess: one request a leaf of each warehouse, plus the run's check for ids beyond an int
    const { stock } = siesa;
    const leaves = stock
      .activeWarehouseCodes()
      .reduce((sum, code) => sum + Math.max(1, Math.ceil(stock.rowsOf(code).length / 90)), 0);
    expect(first.status).toBe("succeeded");
    expect(second.status).toBe("succeeded");
    expect(second.counts.unchanged).toBe(first.counts.created);
    expect(
      requests,
      `${requests} requests, first run ${firstRequests}, ${leaves} leaves`,
    ).toBeLessThanOrEqual(leaves + 1);
  });

  it("of the catalogue, after a complete run, read its items in about one request per 90 items", async () => {
    // prepare + act: a complete first run, then an unchanged one
    const { first, second, firstRequests, requests } = await twoRuns(1_000, "catalogue", ITEMS_QUERY);

    // assess: one request a leaf, plus the run's check for ids beyond an int
    const leaves = Math.ceil(first.counts.extracted / 90) + 1;
    expect(first.status).toBe("succeeded");
    expect(second.status).toBe("succeeded");
    expect(second.counts.unchanged).toBe(first.counts.created);
    expect(
      requests,
      `${requests} requests, first run ${firstRequests}, ${leaves} leaves`,
    ).toBeLessThanOrEqual(leaves + 1);
  });
});
