import { afterEach, describe, expect, it } from "vitest";
import type { QueueHandler } from "../../runtime/core/ports/dependencies.js";
import type { PipelineStore } from "../../runtime/core/ports/pipeline.js";
import { defaultDeactivationLimit } from "../../runtime/core/steps/deactivate.js";
import { type ServedStock, snapshotRows, snapshotRun } from "../../runtime/core/steps/stock-snapshot.js";
import { stockKey } from "../../runtime/core/streams/stock.js";
import { itemId, type SiesaWireRow } from "../../sandbox/catalogue.js";
import { type Stock, stockKey as sandboxKey } from "../../sandbox/stock.js";
import { streamWorld } from "./stream-world.js";

// Whole stock runs of the demo tenant through the engine: every stock row of the company's active
// warehouses ends as expected stock, by the tenant's rule; an unchanged read writes nothing; the
// snapshot served is always the last complete read.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function world(items: number) {
  const w = await streamWorld(items);
  closers.push(w.close);
  return { ...w, stock: w.sandboxes.siesa.stock };
}

const keyOf = (row: SiesaWireRow) =>
  stockKey(String(row.f150_id).trim(), itemId(row), String(row.f400_id_instalacion).trim());

/** What Siesa expects now: each active warehouse's rows, on hand less committed and unposted POS. */
function truth(stock: Stock): Map<string, number> {
  const expected = new Map<string, number>();
  for (const code of stock.activeWarehouseCodes())
    for (const row of stock.rowsOf(code)) {
      const q = (column: string) => Number(row[column]);
      const value = q("f400_cant_existencia_1") - q("f400_cant_comprometida_1") - q("f400_cant_pos_1");
      expected.set(keyOf(row), Math.round(value * 10_000) / 10_000 + 0);
    }
  return expected;
}

/** What the stock API serves: the last complete run's snapshot, every row (routes/stock.ts). */
async function served(store: PipelineStore, tenantId: string) {
  const { run } = await snapshotRun(store.runs, tenantId);
  const rows = new Map<string, ServedStock>();
  if (!run) return { runId: undefined, rows };
  for await (const page of snapshotRows(store, tenantId, run.runId, {}))
    for (const row of page) rows.set(row.key, row.stock);
  return { runId: run.runId, rows };
}

const expectedOf = (rows: Map<string, ServedStock>) =>
  new Map([...rows].map(([key, stock]) => [key, stock.expected]));

describe("a stock run", () => {
  it("keeps every row of the active warehouses once, by the tenant's rule, and serves it as the last complete read", async () => {
    // prepare
    const { run, stock, store, tenant } = await world(120);
    const rows = [...truth(stock).keys()];

    // act
    const summary = await run("stock");

    // assess: one outcome per row; closed and other companies' warehouses are not read
    expect(summary.status).toBe("succeeded");
    expect(summary.counts).toMatchObject({
      extracted: rows.length,
      created: rows.length,
      failed: 0,
      rejected: 0,
    });
    const snapshot = await served(store, tenant.id);
    expect(snapshot.runId).toBe(summary.runId);
    expect(expectedOf(snapshot.rows)).toEqual(truth(stock));
  });

  it("writes nothing for an unchanged read, and only the rows whose quantities changed", async () => {
    const { run, stock } = await world(120);
    await run("stock");

    const unchanged = await run("stock");
    const changed = stock.changeQuantities(7);
    const after = await run("stock");

    expect(unchanged.counts).toMatchObject({ created: 0, updated: 0, failed: 0 });
    expect(unchanged.counts.unchanged).toBe(unchanged.counts.extracted);
    expect(after.counts).toMatchObject({ created: 0, updated: changed.length });
  });

  it("ends with exact counts and the same snapshot when load handlers die after their writes", async () => {
    const { run, stock, store, tenant } = await world(120);
    let crashes = 0;
    const crashAfterWork =
      (handler: QueueHandler): QueueHandler =>
      async (event) => {
        const answer = await handler(event);
        if (crashes < 5 && event.Records.some((r) => r.attributes.ApproximateReceiveCount === "1")) {
          crashes++;
          throw new Error("simulated crash after the writes");
        }
        return answer;
      };

    const summary = await run("stock", {
      wrapHandlers: (worker, handler) => (worker === "load" ? crashAfterWork(handler) : handler),
      // A crashed delivery comes back after its visibility timeout: shortened, as the wait proves
      // nothing, yet kept longer than a loaded machine takes to write a chunk (or SQS would deliver
      // the chunk again while its first delivery still writes, and use up its receives).
      timeScale: 0.004,
    });

    expect(crashes).toBe(5);
    expect(summary.status).toBe("succeeded");
    expect(summary.counts).toMatchObject({
      extracted: truth(stock).size,
      created: truth(stock).size,
      failed: 0,
    });
    expect(expectedOf((await served(store, tenant.id)).rows)).toEqual(truth(stock));
  });

  it("rejects a row Siesa answers twice in one read with two quantities, whichever comes first, and serves its last agreed quantities", async () => {
    // prepare: a complete read; then one row comes twice, the twin with 5 more on hand
    const { run, stock, store, tenant } = await world(120);
    await run("stock");
    const [row] = stock.rowsOf(stock.activeWarehouseCodes()[0] as string) as [SiesaWireRow];
    const key = keyOf(row);
    const before = (await served(store, tenant.id)).rows.get(key);
    const onHand = Number(row.f400_cant_existencia_1);
    stock.repeatRow(sandboxKey(row), onHand + 5);

    // act: twice, as Siesa's order (which twin comes first) changes on every request
    const runs = [await run("stock"), await run("stock")];

    // assess: one outcome for the row, the same in each run; the snapshot keeps what the last
    // read that agreed found, with the reason
    for (const summary of runs) {
      expect(summary.status).toBe("partial");
      expect(summary.counts).toMatchObject({ extracted: truth(stock).size, rejected: 1, failed: 0 });
      const { created, updated, unchanged, rejected, failed } = summary.counts;
      expect(created + updated + unchanged + rejected + failed).toBe(summary.counts.extracted);
      const { exceptions } = await store.runs.exceptions(tenant.id, summary.runId, {});
      expect(exceptions.map((e) => [e.key, e.outcome, e.reason])).toEqual([
        [
          key,
          "rejected",
          `f400_cant_existencia_1 Siesa answered this row twice in one read, with ${onHand} and ${onHand + 5}: neither is taken; the next run reads it again`,
        ],
      ]);
    }
    const { runId } = await snapshotRun(store.runs, tenant.id).then((s) => ({ runId: s.run?.runId }));
    expect(runId).toBe(runs[1]?.runId);
    const rows = new Map<string, { stock: ServedStock; rejected?: string }>();
    for await (const page of snapshotRows(store, tenant.id, runId as string, {}))
      for (const r of page) rows.set(r.key, r);
    expect(rows.get(key)?.stock).toEqual(before);
    expect(rows.get(key)?.rejected).toMatch(/twice in one read/);
  });

  it("ends with exact counts when units die after planning their loads and before sending them, quantities changed meanwhile", async () => {
    // prepare: a complete read, then quantities change; the first units to plan loads die before
    // sending them, and Siesa changes more quantities before they are delivered again
    const { run, stock, store, tenant } = await world(120);
    await run("stock");
    const changed = stock.changeQuantities(30);
    let crashes = 0;
    let later: string[] = [];
    const summary = await run("stock", {
      wrapQueues: (queues) => {
        const sendLoads: typeof queues.sendLoads = async (chunks, concurrency) => {
          if (crashes < 3) {
            crashes++;
            if (crashes === 3) later = stock.changeQuantities(5);
            throw new Error("simulated crash after the unit's plan");
          }
          return queues.sendLoads(chunks, concurrency);
        };
        return new Proxy(queues, {
          get: (target, name) => {
            if (name === "sendLoads") return sendLoads;
            const value = Reflect.get(target, name);
            return typeof value === "function" ? value.bind(target) : value;
          },
        });
      },
      timeScale: 0.004,
    });

    // assess: every row once, in one outcome; each unit's plan stands, so a row it counted
    // unchanged before the second change waits for the next run
    expect(crashes).toBe(3);
    expect(summary.status).toBe("succeeded");
    const { created, updated, unchanged, rejected, failed, extracted } = summary.counts;
    expect(extracted).toBe(truth(stock).size);
    expect(created + updated + unchanged + rejected + failed).toBe(extracted);
    expect({ created, rejected, failed }).toEqual({ created: 0, rejected: 0, failed: 0 });
    expect(updated).toBeGreaterThanOrEqual(new Set(changed).size);
    expect(updated).toBeLessThanOrEqual(new Set([...changed, ...later]).size);
    const next = await run("stock");
    expect(next.counts.updated).toBeLessThanOrEqual(later.length);
    expect(expectedOf((await served(store, tenant.id)).rows)).toEqual(truth(stock));
  });

  it("reads a warehouse that opened since the last run in the next stock run, before any warehouses run makes its location", async () => {
    // prepare: a complete read; then TD2, closed so far, opens
    const { run, stock, store, tenant } = await world(120);
    await run("stock");
    const td2 = stock.warehouses.find((w) => String(w.f150_id).trim() === "TD2") as SiesaWireRow;
    td2.f150_ind_estado = 1;

    // act
    const summary = await run("stock");

    // assess: its rows are created and served; no location is needed for that
    expect(summary.status).toBe("succeeded");
    expect(summary.counts.created).toBe(stock.rowsOf("TD2").length);
    expect(expectedOf((await served(store, tenant.id)).rows)).toEqual(truth(stock));
  });

  it("keeps the rows of a warehouse that closes while the run reads, deactivating nothing, and drops them in the next run", async () => {
    // prepare: a complete read; a row of NB1 goes; TD1 closes once the run has split into warehouses
    const { run, stock, store, tenant } = await world(120);
    await run("stock");
    const [row] = stock.rowsOf("NB1") as [SiesaWireRow];
    stock.removeRows([sandboxKey(row)]);
    const td1 = stock.rowsOf("TD1").map(keyOf);
    let closed = false;

    // act
    const during = await run("stock", {
      wrapHandlers: (worker, handler) =>
        worker !== "extract"
          ? handler
          : async (event) => {
              const answer = await handler(event);
              if (!closed) {
                closed = true;
                stock.closeWarehouse("TD1");
              }
              return answer;
            },
    });
    const servedDuring = await served(store, tenant.id);
    const after = await run("stock");

    // assess: the second read of the warehouses disagrees with the first, so nothing is dropped
    // on it; the next run drops TD1's rows (evidenced by its closing) and the row NB1 lost
    expect(during.status).toBe("partial");
    expect(during.counts.deactivated).toBe(0);
    expect(servedDuring.runId).not.toBe(during.runId);
    expect(td1.every((key) => servedDuring.rows.has(key))).toBe(true);
    expect(after.status).toBe("succeeded");
    expect(after.counts.deactivated).toBe(td1.length + 1);
    expect(expectedOf((await served(store, tenant.id)).rows)).toEqual(truth(stock));
  });

  it("fails, naming the warehouse, when another ERP company's warehouse takes a counted code, and keeps serving the last complete read", async () => {
    // prepare: a complete read; then company 2 gets a warehouse NB1, whose stock rows would come
    // back with NB1's filter and could not be told apart
    const { run, stock, store, tenant } = await world(120);
    const first = await run("stock");
    const before = (await served(store, tenant.id)).rows;
    const [nb1] = stock.warehouses as [SiesaWireRow];
    stock.warehouses.push({ ...nb1, f150_rowid: stock.warehouses.length + 1, f150_id_cia: 2 });

    // act
    const summary = await run("stock");

    // assess
    expect(summary.status).toBe("failed");
    expect(summary.reason).toMatch(
      /warehouse NB1 of ERP company 1 shares its code with a warehouse of ERP company 2/,
    );
    expect(summary.counts).toMatchObject({ extracted: 0, created: 0, updated: 0, deactivated: 0 });
    const snapshot = await served(store, tenant.id);
    expect(snapshot.runId).toBe(first.runId);
    expect(snapshot.rows).toEqual(before);
  });

  it("drops a row Siesa no longer returns, once a second read confirms it", async () => {
    const { run, stock, store, tenant } = await world(120);
    await run("stock");
    const [row] = stock.rowsOf(stock.activeWarehouseCodes()[0] as string);
    const gone = keyOf(row as SiesaWireRow);
    stock.removeRows([sandboxKey(row as SiesaWireRow)]);

    const summary = await run("stock");

    expect(summary.status).toBe("succeeded");
    expect(summary.counts.deactivated).toBe(1);
    const snapshot = await served(store, tenant.id);
    expect(snapshot.rows.has(gone)).toBe(false);
    expect(expectedOf(snapshot.rows)).toEqual(truth(stock));
  });

  it("drops a closed warehouse's rows without approval and serves the open warehouses' new quantities", async () => {
    // prepare: a complete read; then PPAL closes (its rows are more than the limit on deactivations)
    // and quantities change in the warehouses still open
    const { run, stock, store, tenant } = await world(120);
    const first = await run("stock");
    const closedRows = stock.rowsOf("PPAL").length;
    expect(closedRows).toBeGreaterThan(defaultDeactivationLimit(first.counts.created));
    stock.closeWarehouse("PPAL");
    const changed = stock.changeQuantities(20);

    // act
    const closing = await run("stock");
    const servedAfterClosing = await served(store, tenant.id);
    stock.changeQuantities(20);
    const next = await run("stock");

    // assess: the closed warehouse's rows are gone, nothing waits for approval, and each run's read
    // of the open warehouses is what is served
    expect(closing.status).toBe("succeeded");
    expect(closing.heldDeactivations).toBeUndefined();
    expect(closing.counts).toMatchObject({ deactivated: closedRows, updated: changed.length });
    expect(servedAfterClosing.runId).toBe(closing.runId);
    expect(next.status).toBe("succeeded");
    const snapshot = await served(store, tenant.id);
    expect(snapshot.runId).toBe(next.runId);
    expect([...snapshot.rows.keys()].filter((key) => key.startsWith("PPAL|"))).toEqual([]);
    expect(expectedOf(snapshot.rows)).toEqual(truth(stock));
  });

  it("drops the rows of a warehouse the tenant no longer counts without approval", async () => {
    const { run, stock, store, tenant } = await world(120);
    const settings = tenant.streams?.stock;
    if (!settings) throw new Error("the stream world's tenant syncs stock");
    const counted = stock.activeWarehouseCodes();
    const listing = (warehouses: string[]) => ({
      ...tenant,
      streams: { ...tenant.streams, stock: { ...settings, warehouses } },
    });
    const first = await run("stock", { tenant: listing(counted) });
    const dropped = stock.rowsOf("PPAL").length;
    expect(dropped).toBeGreaterThan(defaultDeactivationLimit(first.counts.created));

    const summary = await run("stock", { tenant: listing(counted.filter((code) => code !== "PPAL")) });

    expect(summary.status).toBe("succeeded");
    expect(summary.counts.deactivated).toBe(dropped);
    const snapshot = await served(store, tenant.id);
    expect(snapshot.runId).toBe(summary.runId);
    expect([...snapshot.rows.keys()].filter((key) => key.startsWith("PPAL|"))).toEqual([]);
  });

  it("holds for approval the rows of an open warehouse that all vanished from its stock query", async () => {
    // prepare: PPAL stays open, yet its stock query now answers none of its rows
    const { run, stock } = await world(120);
    const first = await run("stock");
    const vanished = stock.rowsOf("PPAL");
    stock.removeRows(vanished.map(sandboxKey));

    const summary = await run("stock");

    expect(summary.status).toBe("partial");
    expect(summary.counts.deactivated).toBe(0);
    expect(summary.heldDeactivations).toMatchObject({
      count: vanished.length,
      limit: defaultDeactivationLimit(first.counts.created),
    });
  });

  it("serves a held run's read of the other rows, the held rows as last known until an approval drops them", async () => {
    // prepare: a complete read; then PPAL's stock query loses every row (held) while quantities
    // change in the other warehouses
    const { run, stock, store, tenant } = await world(120);
    await run("stock");
    const before = expectedOf((await served(store, tenant.id)).rows);
    const vanished = stock.rowsOf("PPAL");
    const lastKnown = new Map([...before].filter(([key]) => key.startsWith("PPAL|")));
    stock.removeRows(vanished.map(sandboxKey));
    stock.changeQuantities(20);

    // act
    const held = await run("stock");
    const whileHeld = await served(store, tenant.id);
    const approved = await run("stock", { approveDeactivationsOf: held.runId });

    // assess
    expect(held.status).toBe("partial");
    expect(held.heldDeactivations?.count).toBe(vanished.length);
    expect(whileHeld.runId).toBe(held.runId);
    expect(expectedOf(whileHeld.rows)).toEqual(new Map([...truth(stock), ...lastKnown]));
    expect(approved.status).toBe("succeeded");
    expect(approved.counts.deactivated).toBe(vanished.length);
    expect(expectedOf((await served(store, tenant.id)).rows)).toEqual(truth(stock));
  });

  it("leaves the served snapshot as the last complete read when a later run fails midway", async () => {
    // prepare: a complete read, then changed quantities and a Siesa that fails every stock request of
    // one warehouse (the run writes the other warehouses' changed rows, then fails)
    const { run, stock, store, tenant, sandboxes } = await world(120);
    const first = await run("stock");
    const before = truth(stock);
    stock.changeQuantities(40);
    const broken = stock.activeWarehouseCodes().at(-1) as string;
    sandboxes.siesa.setOptions({
      serverError: ({ descripcion, parametros }) =>
        descripcion === "API_v2_Inventarios_InvFecha" && (parametros ?? "").includes(`'${broken}'`),
    });

    // act
    const failed = await run("stock", { policy: { retryAttempts: 0 } });

    // assess: the failed run wrote some rows of its read, yet what is served is the first read
    expect(failed.status).toBe("failed");
    expect(failed.counts.updated).toBeGreaterThan(0);
    const snapshot = await served(store, tenant.id);
    expect(snapshot.runId).toBe(first.runId);
    expect(expectedOf(snapshot.rows)).toEqual(before);
  });
});
