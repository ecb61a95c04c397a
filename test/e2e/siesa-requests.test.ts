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

describe("the Siesa requests of a run", () => {
  it("of stock, after a complete run, read each warehouse in about one request per 90 rows", async () => {
    // prepare: a complete first run
    const w = await streamWorld(500);
    closers.push(w.close);
    const { stock } = w.sandboxes.siesa;
    const stats = w.sandboxes.siesa.stats.byDescripcion;
    const first = await w.run("stock");
    const firstRequests = stats[STOCK_QUERY] ?? 0;

    // act
    const second = await w.run("stock");

    // assess: one request a leaf of each warehouse, plus the run's check for ids beyond an int
    const requests = (stats[STOCK_QUERY] ?? 0) - firstRequests;
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
    // prepare: a complete first run
    const w = await streamWorld(1_000);
    closers.push(w.close);
    const stats = w.sandboxes.siesa.stats.byDescripcion;
    const first = await w.run("catalogue");
    const firstRequests = stats[ITEMS_QUERY] ?? 0;

    // act
    const second = await w.run("catalogue");

    // assess: one request a leaf, plus the run's check for ids beyond an int
    const requests = (stats[ITEMS_QUERY] ?? 0) - firstRequests;
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
