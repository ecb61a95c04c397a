import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { payloadHash } from "../../runtime/core/domain/hash.js";
import type { ProductType } from "../../runtime/core/domain/model.js";
import type { VerifyReport } from "../../runtime/core/domain/verify-report.js";
import type { Ledger, PipelineStore } from "../../runtime/core/ports/pipeline.js";
import type { ProductClient } from "../../runtime/core/ports/product.js";
import { markForRepair, REPAIR_HASH } from "../../runtime/core/verify/repair.js";
import { type LocalSqs, startLocalSqs } from "../../runtime/edges/local/sqs.js";
import { aTenantId, type OpenedStore, STORE_IMPLEMENTATIONS } from "../store/factories.js";
import { aTenant } from "../tenants/factories.js";
import { CrashController, type CrashPlan, LocalSqsQueues, onLocalSqs, runToEnd } from "./crash-world.js";
import { type QueuePort, type StepWorld, stepWorld } from "./step-world.js";
import { StrictProduct } from "./strict-products.js";

// Exactly once, proven by crashing: a run is killed at every boundary a step has (before and after
// each store, queue and product call), the message comes back (at once, after its visibility timeout,
// after FIFO's deduplication window, or twice at the same time), and beside those fixed cases
// fast-check draws random schedules of crashes and duplicates. Each must end with every record in
// exactly one outcome, the counts adding up, one object per record in the product, nothing written
// again that the ledger showed written, and the run ended. The product is strict (StrictProduct,
// behind the production write flow): Kong refuses a second create of one external id, the WMS
// sandbox accepts it and mints a second object, so a second create is seen, never absorbed.
// All of it runs on both stores: the in-memory one, and DynamoDB (dynalite in `npm test`,
// DynamoDB Local in `npm run test:dynamodb-local`), whose conditional writes are what AWS relies on.
// On DynamoDB the messages are on the local SQS (fauxqs) too, sent through the same adapter as in
// AWS: when and in which order a crashed message comes back, with which receive count, and when it
// goes to its dead-letter queue, is the emulator's. On the memory store they are on the step queues,
// fast enough to crash at every point.

// Pages of 20 rows: 60 items make a split into several units, and chunks of up to 25 records.
const ITEMS = 60;
const PAGE = 20;
/** A page that holds every item: one unit, whose records make a chunk for each of the 4 slots. */
const ONE_UNIT = ITEMS;

/** Where each store's scenarios keep their messages. */
const QUEUES_OF: Record<string, "step queues" | "local SQS"> = {
  memory: "step queues",
  DynamoDB: "local SQS",
};

/**
 * How much of the harness each store runs. A scenario takes a few ms in memory and a few hundred
 * on dynalite with the local SQS (every store and queue call goes over HTTP, and the ledger writes
 * one request per entry), so to keep `npm test` quick the DynamoDB store crashes at one point in 15
 * when the message comes back at once and one in 45 for each slower redelivery, and fast-check draws
 * one schedule there. The memory store runs every crash point; the DynamoDB store proves the same
 * code holds on conditional writes over the wire and on the emulator's redelivery.
 * fast-check draws 25 schedules on the memory store in `npm test`; `npm run test:deep` (which CI also
 * runs) sets HARNESS_SCHEDULES=100, and then draws 100 there and 5 on the DynamoDB store.
 */
const DEEP_SCHEDULES = Number(process.env.HARNESS_SCHEDULES ?? 0) || 0;
const HARNESS: Record<string, { atOnceEvery: number; slowerEvery: number; schedules: number }> = {
  memory: { atOnceEvery: 1, slowerEvery: 3, schedules: DEEP_SCHEDULES || 25 },
  DynamoDB: { atOnceEvery: 15, slowerEvery: 45, schedules: DEEP_SCHEDULES ? 5 : 1 },
};

/**
 * HARNESS_RUNS=n (default 1) runs n times the schedules, and from 2 on every crash point against
 * both products; by default the products take the crash points in turn (each sees half of them,
 * neighbours in the same step), which keeps `npm test`'s time.
 */
const RUNS = Math.max(1, Number(process.env.HARNESS_RUNS ?? 1) || 1);
const PRODUCTS: readonly ProductType[] = ["kong-rfid", "wms"];
/** The products a scenario at crash point `at` runs against. */
const productsAt = (at: number): readonly ProductType[] =>
  RUNS > 1 ? PRODUCTS : [PRODUCTS[at % PRODUCTS.length] as ProductType];

describe.each(STORE_IMPLEMENTATIONS)("on the %s store", (storeName, open) => {
  const harness = HARNESS[storeName];
  if (!harness) throw new Error(`crash harness: no settings for the ${storeName} store`);
  let store: OpenedStore;
  let sqs: LocalSqs | undefined;
  beforeAll(async () => {
    store = await open("crash-harness");
    if (QUEUES_OF[storeName] === "local SQS") {
      sqs = await startLocalSqs({ stack: "crash-harness" });
      // The scenarios' clock is the process's Date, which fauxqs times visibility and deduplication by.
      vi.useFakeTimers({ toFake: ["Date"] });
    }
  });
  afterAll(async () => {
    vi.useRealTimers();
    await sqs?.close();
    await store?.close();
  });

  const scenario = (
    plan: CrashPlan,
    product: ProductType,
    prepare?: (world: HarnessWorld, product: StrictProduct) => void,
    pageSize?: number,
  ) => runScenario(store, sqs, plan, product, prepare, pageSize);
  /**
   * How many crash points a clean run passes: each is one place to die. A clean run of a fresh
   * tenant passes the same points each time, so each product's is counted once per store.
   */
  const cleanRunPoints = new Map<ProductType, Promise<number>>();
  function crashPointsOfACleanRun(product: ProductType): Promise<number> {
    let points = cleanRunPoints.get(product);
    if (!points) {
      points = scenario({ at: new Set(), duplicateEvery: 0, redelivery: "at-once" }, product).then(
        ({ crash }) => crash.hits,
      );
      cleanRunPoints.set(product, points);
    }
    return points;
  }

  describe("a worker killed at any boundary, its message delivered again", () => {
    const modes = [
      { redelivery: "at-once", every: harness.atOnceEvery, first: 0 },
      { redelivery: "after-visibility", every: harness.slowerEvery, first: 1 },
      { redelivery: "after-dedup-window", every: harness.slowerEvery, first: 4 },
    ] as const;
    for (const { redelivery, every, first } of modes) {
      it(
        `ends exactly once at ${every === 1 ? "every crash point" : `one crash point in ${every}`} (redelivered ${redelivery})`,
        async () => {
          const points = Math.min(...(await Promise.all(PRODUCTS.map(crashPointsOfACleanRun))));
          expect(points).toBeGreaterThan(50);
          for (let at = first; at < points; at += every) {
            for (const productType of productsAt(at)) {
              const plan = { at: new Set([at]), duplicateEvery: 0, redelivery };
              const { world, product, runs, crash } = await scenario(plan, productType);
              assertExactlyOnce(product, runs, crash);
              // One crash never costs a record: its message comes back and finishes the work.
              expect(runs[0]?.status, crash.crashed.join("; ")).toBe("succeeded");
              await assertLedgerKnowsProduct(world, product, crash);
            }
          }
        },
        120_000 * RUNS,
      );
    }

    it.each(PRODUCTS)(
      "ends exactly once when every message is also delivered to a second invocation at the same time (%s)",
      async (productType) => {
        const plan = { at: new Set<number>(), duplicateEvery: 1, redelivery: "at-once" as const };
        const { product, runs, crash } = await scenario(plan, productType);
        assertExactlyOnce(product, runs, crash);
        expect(runs[0]?.status).toBe("succeeded");
      },
    );
  });

  describe("faults beyond a crash", () => {
    const clean: CrashPlan = { at: new Set(), duplicateEvery: 0, redelivery: "at-once" };
    // On DynamoDB the product that accepts duplicates only (the stricter test), to keep the time.
    const FAULT_PRODUCTS = storeName === "memory" || RUNS > 1 ? PRODUCTS : (["wms"] as const);

    it.each(FAULT_PRODUCTS)(
      "writes each record once when a partial SendMessageBatch makes a unit send its chunks again after the deduplication window (%s)",
      async (productType) => {
        // prepare: the first two sends of loads lose their last chunk (SQS answered Failed for it);
        // the unit's retry comes after FIFO's deduplication window, so the chunks that did go out go
        // out again as new messages, in other groups, and run beside the first copies
        const plan: CrashPlan = { ...clean, parallelLoads: true };
        const { product, runs, crash } = await scenario(
          plan,
          productType,
          (world) => {
            const send = world.queues.sendLoads.bind(world.queues);
            let partial = 2;
            world.queues.sendLoads = async (chunks, concurrency) => {
              if (chunks.length < 2 || partial-- <= 0) return send(chunks, concurrency);
              await send(chunks.slice(0, -1), concurrency);
              world.clock.advance(6 * 60_000);
              throw new Error(`SQS loads: 1 message(s) not sent (${chunks.at(-1)?.chunkId}: InternalError)`);
            };
          },
          ONE_UNIT,
        );

        // assess
        assertExactlyOnce(product, runs, crash);
        expect(runs[0]?.status).toBe("succeeded");
      },
    );

    it.each(FAULT_PRODUCTS)(
      "writes every edit and counts each key once when a unit is retried after Siesa changed (%s)",
      async (productType) => {
        // prepare: a first run wrote everything; items 21-60 are edited; the next run's first send
        // of the unit's loads loses its last chunk, and item 5 is edited before the retry reads again
        const { world, product } = await scenario(clean, productType, undefined, ONE_UNIT);
        const edit = (key: string) => {
          const r = world.siesa.items.find((i) => i.key === key);
          if (r) r.item = { ...r.item, name: `${r.item.name} (edited)` };
        };
        for (let id = 21; id <= ITEMS; id++) edit(String(id));
        const send = world.queues.sendLoads.bind(world.queues);
        let partial = 1;
        world.queues.sendLoads = async (chunks, concurrency) => {
          if (chunks.length < 2 || partial-- <= 0) return send(chunks, concurrency);
          await send(chunks.slice(0, -1), concurrency);
          edit("5");
          throw new Error(`SQS loads: 1 message(s) not sent (${chunks.at(-1)?.chunkId}: InternalError)`);
        };

        // act
        const crash = new CrashController(clean);
        world.clock.advance(60_000);
        await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
        await runToEnd(world, crash, clean);

        // assess: each key counted once, every edit of 21-60 written, and the product holding
        // what the ledger says was written (item 5's edit is written now or by the next run)
        const { runs } = await world.store.runs.list(world.tenant.id);
        assertExactlyOnce(product, runs, crash);
        for (let id = 21; id <= ITEMS; id++) {
          const names = product.objectsOf(`SKU-${id}`).map((o) => o.fields.name);
          expect(names, String(id)).toEqual([`item ${id} (edited)`]);
        }
        await assertProductMatchesLedger(world, product);
      },
    );

    it.each(FAULT_PRODUCTS)(
      "does not write again a record its chunk was counted with (rejected), when the chunk's message comes back (%s)",
      async (productType) => {
        // prepare: the product refuses record 1; each load's message dies right after its chunk
        // was counted (its errors added), and comes back at once
        const refuseOne = (_: HarnessWorld, p: StrictProduct) => {
          p.failWith = (record) => (record.key === "1" ? "rejected" : undefined);
        };
        const { crash: first } = await scenario(clean, productType, refuseOne);
        const counted = first.occurrences.filter((at) => at.startsWith("after runs.addErrors#"));
        expect(counted.length).toBeGreaterThan(0);

        for (const at of counted) {
          // act
          const plan: CrashPlan = { ...clean, atOccurrences: new Set([at]) };
          const { product, runs, crash } = await scenario(plan, productType, refuseOne);

          // assess: record 1 was sent to the product once, and is counted rejected
          assertExactlyOnce(product, runs, crash);
          expect(runs[0]?.counts.rejected, crash.crashed.join("; ")).toBe(1);
        }
      },
    );

    it.each(FAULT_PRODUCTS)(
      "stops writing when its run's lease expires with loads in flight, and leaves the next run's writes (%s)",
      async (productType) => {
        // prepare: one load invocation stalls after the 20th write (mid-chunk), past the run's lease; Siesa is
        // edited meanwhile and the next scheduled run takes the lease over and writes everything
        let nextRun: { crash: CrashController } | undefined;
        const { world, product, runs, crash } = await scenario(clean, productType, (world, p) => {
          const write = p.write.bind(p);
          let writes = 0;
          p.write = async (record, knownProductId) => {
            const result = await write(record, knownProductId);
            if (++writes === 20) {
              world.clock.advance(61 * 60_000);
              for (const r of world.siesa.items) r.item = { ...r.item, name: `${r.item.name} (edited)` };
              nextRun = { crash: new CrashController(clean) };
              await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
              await runToEnd(world, nextRun.crash, clean);
            }
            return result;
          };
        });

        // assess: the late run ended failed and wrote nothing after the next one; the product and the
        // ledger hold the next run's writes
        const [next, late] = runs;
        expect(late?.status).toBe("failed");
        expect(next?.status).toBe("succeeded");
        expect(nextRun?.crash.rewrites).toEqual([]);
        assertExactlyOnce(product, [next as ScenarioRuns[number]], crash);
        const edited = [...product.objects.values()].filter((o) =>
          String(o.fields.name).endsWith("(edited)"),
        );
        expect(edited.length).toBe(ITEMS);
        const ledger = await world.store.ledger.getMany(world.tenant.id, keysOf(world));
        expect(new Set([...ledger.values()].map((e) => e.runId))).toEqual(new Set([next?.runId]));
      },
    );

    it.each(FAULT_PRODUCTS)(
      "keeps a run's ledger entries when a verify --repair that read them before marks them after (%s)",
      async (productType) => {
        // prepare: a first run wrote everything; someone edits 10 records in the product
        const { world, product } = await scenario(clean, productType);
        const drifted = keysOf(world).slice(0, 10);
        for (const key of drifted)
          for (const o of product.objectsOf(`SKU-${key}`)) o.fields.name = "edited in the product";
        const report = {
          tenantId: world.tenant.id,
          differences: drifted.map((key) => ({ status: "drifted", key })),
          counts: { ok: ITEMS - 10, missing: 0, drifted: 10, unknown: 0 },
        } as unknown as VerifyReport;
        // act: the repair reads the ledger, then a run (Siesa edited, so it writes those records)
        // runs to its end before the repair's marks are written
        const secondRun = new CrashController(clean);
        const racing: Ledger = {
          getMany: async (tenantId, keys) => {
            const read = await world.store.ledger.getMany(tenantId, keys);
            for (const r of world.siesa.items.filter((i) => drifted.includes(i.key)))
              r.item = { ...r.item, name: `${r.item.name} v2` };
            world.clock.advance(60_000);
            await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
            await runToEnd(world, secondRun, clean);
            return read;
          },
          putMany: (tenantId, entries) => world.store.ledger.putMany(tenantId, entries),
          all: (tenantId) => world.store.ledger.all(tenantId),
        };
        const marked = await markForRepair(racing, report, new Date(world.clock.now));

        // assess: the marks were refused (the run rewrote those records after the verify read them),
        // so a third run finds every record unchanged and writes nothing
        expect(marked).toBe(0);
        const ledger = await world.store.ledger.getMany(world.tenant.id, drifted);
        expect([...ledger.values()].filter((e) => e.hash === REPAIR_HASH)).toEqual([]);
        const third = new CrashController(clean);
        world.clock.advance(60_000);
        await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
        await runToEnd(world, third, clean);
        const { runs } = await world.store.runs.list(world.tenant.id);
        expect(runs[0]?.counts).toMatchObject({ extracted: ITEMS, unchanged: ITEMS });
        expect(product.duplicates()).toEqual([]);
      },
    );
  });

  describe("Siesa changing between deliveries (insert, edit, undo, delete)", () => {
    const CHANGES = ["insert", "edit", "undo", "delete"] as const;
    const every = harness.slowerEvery * 4;
    it(
      `ends exactly once, and the next run makes the product match Siesa (one crash point in ${every})`,
      async () => {
        const points = await crashPointsOfACleanRun("wms");
        for (let at = 3; at < points; at += every) {
          const change = CHANGES[Math.floor(at / every) % CHANGES.length] as (typeof CHANGES)[number];
          for (const productType of productsAt(at)) {
            // prepare: each death changes Siesa before the message comes back after the deduplication window
            const plan: CrashPlan = {
              at: new Set(change === "undo" ? [at, at + 9] : [at]),
              duplicateEvery: 0,
              redelivery: "after-dedup-window",
              onDeath: (world, deaths) => changeSiesa(world, change, deaths),
            };
            const { world, product, runs, crash } = await scenario(plan, productType);
            const why = `${change} (${productType}), crashes: ${crash.crashed.join("; ")}`;
            assertExactlyOnce(product, runs, crash, { extracted: "any" });
            // Each key Siesa returned is counted once: as it was before the change, or after it.
            const counted = runs[0]?.status === "succeeded" ? runs[0].counts.extracted : undefined;
            const possible = {
              insert: [ITEMS, ITEMS + 1],
              edit: [ITEMS],
              undo: [ITEMS],
              delete: [ITEMS - 1, ITEMS],
            };
            if (counted !== undefined) expect(possible[change], why).toContain(counted);

            // act: the next run, without faults
            const calm: CrashPlan = { ...plan, at: new Set(), onDeath: undefined };
            const next = new CrashController(calm);
            // A lease left by a step that died after ending its run is taken over once it expired.
            world.clock.advance(61 * 60_000);
            await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
            await runToEnd(world, next, calm);

            // assess: every record Siesa holds is one object in the product, with its current fields
            const { runs: after } = await world.store.runs.list(world.tenant.id);
            expect(after.length, why).toBe(2);
            expect(after[0]?.status, why).toBe("succeeded");
            expect(next.rewrites, why).toEqual([]);
            expect(product.duplicates(), why).toEqual([]);
            for (const { key, item } of world.siesa.items) {
              const objects = product.objectsOf(`SKU-${key}`);
              expect(
                objects.map((o) => o.fields.name),
                `${key}: ${why}`,
              ).toEqual([item.name]);
            }
          }
        }
      },
      120_000 * RUNS,
    );
  });

  describe("a sync request whose every delivery dies", () => {
    it("still leaves its run in the history, ended failed, and the tenant free", async () => {
      // The first crash points are dispatch's; dying at the first five is every delivery dying.
      const plan = { at: new Set([0, 1, 2, 3, 4]), duplicateEvery: 0, redelivery: "at-once" as const };
      const { world, product, runs, crash } = await scenario(plan, "wms");
      assertExactlyOnce(product, runs, crash);
      expect(runs[0]).toMatchObject({
        status: "failed",
        reason: expect.stringMatching(/could not be dispatched/),
      });
      expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
    });
  });

  describe("random schedules of crashes and duplicate deliveries (fast-check)", () => {
    it(
      `always end with every record in exactly one outcome (${harness.schedules * RUNS} schedules)`,
      async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.record({
              productType: fc.constantFrom(...PRODUCTS),
              crashes: fc.uniqueArray(fc.nat(400), { maxLength: 6 }),
              duplicateEvery: fc.nat(4),
              redelivery: fc.constantFrom(
                "at-once" as const,
                "after-visibility" as const,
                "after-dedup-window" as const,
              ),
              productFailures: fc.nat(3),
            }),
            async ({ productType, crashes, duplicateEvery, redelivery, productFailures }) => {
              const plan = { at: new Set(crashes), duplicateEvery, redelivery };
              const { world, product, runs, crash } = await scenario(plan, productType, (_, p) => {
                let failures = productFailures;
                p.failWith = () => (failures-- > 0 ? new Error("product answered 503") : undefined);
              });
              assertExactlyOnce(product, runs, crash);
              if (runs[0]?.status === "succeeded") await assertLedgerKnowsProduct(world, product, crash);
            },
          ),
          { numRuns: harness.schedules * RUNS },
        );
      },
      120_000 * RUNS,
    );
  });
});

type HarnessWorld = StepWorld<QueuePort>;

/**
 * One run of a fresh tenant (its own lease, runs and ledger in the shared store) under `plan`, its
 * messages on the local SQS when given, else on the step queues.
 */
async function runScenario(
  store: PipelineStore,
  sqs: LocalSqs | undefined,
  plan: CrashPlan,
  productType: ProductType,
  prepare?: (world: HarnessWorld, product: StrictProduct) => void,
  pageSize = PAGE,
) {
  const tenant = aTenant((t) => {
    t.id = aTenantId();
    t.sync = { ...t.sync, concurrency: 4 };
  });
  const product = new StrictProduct(productType);
  const productClient = product as unknown as ProductClient;
  const options = { items: ITEMS, pageSize, store, tenant, productClient };
  const world: HarnessWorld = sqs
    ? onLocalSqs(stepWorld({ ...options, queues: () => new LocalSqsQueues(sqs) }), (now) =>
        vi.setSystemTime(now),
      )
    : stepWorld(options);
  prepare?.(world, product);
  const crash = new CrashController(plan);
  product.sending = () => crash.unlessDead();
  await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
  await runToEnd(world, crash, plan);
  const { runs } = await world.store.runs.list(world.tenant.id);
  return { world, product, crash, runs };
}

type ScenarioRuns = Awaited<ReturnType<typeof runScenario>>["runs"];

/** Every ledger entry names an object of the product that holds the payload it hashes. */
async function assertProductMatchesLedger(world: HarnessWorld, product: StrictProduct) {
  const ledger = await world.store.ledger.getMany(world.tenant.id, keysOf(world));
  for (const entry of ledger.values()) {
    const object = product.objects.get(entry.productId);
    expect(object && payloadHash(object.fields), entry.key).toBe(entry.hash);
  }
}

/**
 * After a succeeded run, the ledger names every object the product holds: one it does not know would
 * be created (or looked up and written) again by the next run.
 */
async function assertLedgerKnowsProduct(world: HarnessWorld, product: StrictProduct, crash: CrashController) {
  const ledger = await world.store.ledger.getMany(world.tenant.id, keysOf(world));
  const named = new Set([...ledger.values()].map((entry) => entry.productId));
  const unknown = [...product.objects.values()].filter((o) => !named.has(o.id)).map((o) => o.externalId);
  expect(unknown, `crashes: ${crash.crashed.join("; ")}`).toEqual([]);
}

/** The keys Siesa holds now. */
const keysOf = (world: HarnessWorld) => world.siesa.items.map((r) => r.key);

/** Siesa between two deliveries: a record added, edited, an edit undone, a record deleted. */
function changeSiesa(world: HarnessWorld, change: "insert" | "edit" | "undo" | "delete", deaths: number) {
  const items = world.siesa.items;
  const item = (key: string) => items.find((r) => r.key === key);
  if (change === "insert" && deaths === 1)
    items.push({ key: "61", item: { f120_id: 61, name: "item 61" }, barcodes: [] });
  if (change === "delete" && deaths === 1)
    items.splice(
      items.findIndex((r) => r.key === "30"),
      1,
    );
  for (const key of change === "edit" ? ["5", "45"] : change === "undo" ? ["5"] : []) {
    const record = item(key);
    if (!record) continue;
    const name = `item ${key}`;
    // An undo puts back, at the second death, what the first one edited.
    const edited = change === "undo" && deaths === 2 ? name : `${name} (edited ${deaths})`;
    record.item = { ...record.item, name: edited };
  }
}

/** What must hold whatever happened on the way. */
function assertExactlyOnce(
  product: StrictProduct,
  runs: ScenarioRuns,
  crash: CrashController,
  options: { extracted?: "all" | "any" } = {},
) {
  const why = `crashes: ${crash.crashed.join("; ")}`;
  // Nothing the ledger knew was written again (a write the ledger had not heard of yet may be).
  expect(crash.rewrites, why).toEqual([]);
  // Nor a record whose chunk was counted with it failed or rejected.
  expect(crash.writesAfterCount, why).toEqual([]);
  expect(runs.length, why).toBeGreaterThan(0);
  for (const run of runs) {
    expect(run.status, why).not.toBe("running");
    const c = run.counts;
    expect(c.extracted, why).toBe(c.created + c.updated + c.unchanged + c.rejected + c.failed);
  }
  // One object per record in the product, however often and however concurrently it was sent.
  expect(product.duplicates(), why).toEqual([]);
  const [run] = runs;
  if (run?.status === "succeeded" && options.extracted !== "any") {
    expect(run.counts.extracted, why).toBe(ITEMS);
    expect(product.objects.size, why).toBe(ITEMS);
  }
}
