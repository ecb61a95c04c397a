import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../../runtime/core/domain/run-id.js";
import type { PipelineStore } from "../../runtime/core/ports/pipeline.js";
import type { LedgerEntry } from "../../runtime/core/ports/records.js";
import { aTenantId, type OpenedStore, STORE_IMPLEMENTATIONS } from "../store/factories.js";
import { aTenant } from "../tenants/factories.js";
import { CrashController, type CrashPlan, runToEnd } from "./crash-world.js";
import { stepWorld, T0 } from "./step-world.js";

// The deactivation pass under crashes and redelivery: records an earlier run wrote that Siesa no
// longer returns are set inactive once each, whatever dies where; a run that stops deactivates
// nothing; and the product, the ledger and the run's count agree at the end. On both stores, as the
// crash harness.

const ITEMS = 60;
const PAGE = 20;
/** Written by an earlier run, gone from Siesa now (f120_id 61..66): under the default limit of 10. */
const GONE = ["61", "62", "63", "64", "65", "66"];

/**
 * A sample, to keep `npm test` quick (the crash harness already sweeps a run's other steps): in
 * memory every crash point redelivered at once, one in 6 for the slower redeliveries, 25 random
 * schedules; on DynamoDB (~170 ms a scenario on dynalite) one in 12, one in 36, and 6 schedules.
 * `npm run test:deep` (which CI also runs) sets HARNESS_SCHEDULES=100: 100 random schedules in
 * memory and 20 on DynamoDB.
 */
const DEEP_SCHEDULES = Number(process.env.HARNESS_SCHEDULES ?? 0) || 0;
const SAMPLE: Record<string, { atOnceEvery: number; slowerEvery: number; schedules: number }> = {
  memory: { atOnceEvery: 1, slowerEvery: 6, schedules: DEEP_SCHEDULES || 25 },
  DynamoDB: { atOnceEvery: 12, slowerEvery: 36, schedules: DEEP_SCHEDULES ? DEEP_SCHEDULES / 5 : 6 },
};

async function scenario(store: PipelineStore, plan: CrashPlan, gone: readonly string[] = GONE) {
  const tenant = aTenant((t) => {
    t.id = aTenantId();
    t.sync = { ...t.sync, concurrency: 4 };
  });
  const world = stepWorld({ items: ITEMS, pageSize: PAGE, store, tenant });
  const entries: LedgerEntry[] = gone.map((key) => ({
    key,
    hash: `h-${key}`,
    productId: `p-SKU-${key}`,
    runId: newRunId(new Date(T0 - 86_400_000)), // a day before this run: ledger writes keep run order
    updatedAt: new Date(T0 - 86_400_000).toISOString(),
  }));
  await world.store.ledger.putMany(tenant.id, entries);
  for (const key of gone) world.product.held.set(`SKU-${key}`, { f120_id: Number(key), active: true });
  const crash = new CrashController(plan);
  await world.queues.requestSync({ tenantId: tenant.id, trigger: "schedule" });
  await runToEnd(world, crash, plan);
  const { runs } = await world.store.runs.list(tenant.id);
  return { world, crash, run: runs[0] };
}

/**
 * A schedule that kills each delivery of the pass's chunk: the first before its marker read, the
 * second (a fresh container) before its run read, the last after the product's first PATCH and
 * before the ledger hears of it. Found from the crash points each schedule passes, on either store.
 */
async function everyDeliveryOfTheChunkDies(store: PipelineStore): Promise<CrashPlan> {
  // By occurrence, not by index: a chunk's ledger writes run beside its product writes, so the
  // scenario's count of crash points before a given one differs from run to run on DynamoDB.
  const plan = (at: string[]) => ({
    at: new Set<number>(),
    atOccurrences: new Set(at),
    duplicateEvery: 0,
    redelivery: "at-once" as const,
  });
  /** The occurrence of `where` next after index `from` of a scenario's crash points. */
  const next = ({ passed, occurrences }: CrashController, from: number, where: string) => {
    const found = passed.indexOf(where, from);
    if (found < 0) throw new Error(`no crash point "${where}" after ${from}`);
    return occurrences[found] as string;
  };
  /** The occurrence of `where` next after the one a scenario died at. */
  const nextAfter = (crash: CrashController, died: string, where: string) =>
    next(crash, crash.occurrences.indexOf(died) + 1, where);
  const clean = (await scenario(store, plan([]))).crash;
  const firstPatch = clean.passed.indexOf("before product.patch");
  const markerRead = clean.occurrences[clean.passed.lastIndexOf("before progress.get", firstPatch)] as string;
  const second = (await scenario(store, plan([markerRead]))).crash;
  const runRead = nextAfter(second, markerRead, "before runs.get");
  const third = (await scenario(store, plan([markerRead, runRead]))).crash;
  return plan([markerRead, runRead, nextAfter(third, runRead, "after product.patch")]);
}

type Scenario = Awaited<ReturnType<typeof scenario>>;

/** The gone records inactive in the ledger, and in the product. */
async function inactive(world: Scenario["world"]) {
  const ledger = await world.store.ledger.getMany(world.tenant.id, GONE);
  return {
    inLedger: GONE.filter((key) => ledger.get(key)?.active === false),
    inProduct: GONE.filter((key) => world.product.held.get(`SKU-${key}`)?.active === false),
  };
}

/** Another run of the same world, nothing crashing. */
async function nextRun(world: Scenario["world"]) {
  const clean = { at: new Set<number>(), duplicateEvery: 0, redelivery: "at-once" as const };
  world.clock.advance(60_000);
  await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
  await runToEnd(world, new CrashController(clean), clean);
}

async function assertAgreed({ world, crash, run }: Scenario) {
  const why = `crashes: ${crash.crashed.join("; ")}`;
  expect(run?.status, why).not.toBe("running");
  expect(crash.rewrites, why).toEqual([]);
  // What the ledger holds inactive is inactive in the product. A deactivation whose every delivery
  // died may have reached the product without the ledger hearing of it: settle counts it failed (its
  // role writes neither), and the next run's pass sets it inactive again; then both agree.
  const { inLedger, inProduct } = await inactive(world);
  expect(
    inLedger.filter((key) => !inProduct.includes(key)),
    why,
  ).toEqual([]);
  if (inProduct.length > inLedger.length) {
    expect(run?.status, why).toBe("partial");
    await nextRun(world);
    const after = await inactive(world);
    expect(after.inProduct, why).toEqual(GONE);
    expect(after.inLedger, why).toEqual(GONE);
  }
  if (run?.status === "succeeded") expect(run.counts.deactivated, why).toBe(GONE.length);
  if (run?.status === "failed") expect(run.counts.deactivated, why).toBe(0);
  const c = run?.counts;
  if (c) expect(c.extracted, why).toBe(c.created + c.updated + c.unchanged + c.rejected + c.failed);
}

describe.each(STORE_IMPLEMENTATIONS)("the deactivation pass on the %s store", (storeName, open) => {
  const sample = SAMPLE[storeName];
  if (!sample) throw new Error(`deactivation: no sample for the ${storeName} store`);
  let store: OpenedStore;
  beforeAll(async () => {
    store = await open("deactivation");
  });
  afterAll(() => store?.close());
  const clean = { at: new Set<number>(), duplicateEvery: 0, redelivery: "at-once" as const };

  it("sets the records Siesa no longer returns inactive, once each, and leaves the others alone", async () => {
    const { world, run } = await scenario(store, clean);

    expect(run).toMatchObject({
      status: "succeeded",
      counts: { extracted: ITEMS, deactivated: GONE.length },
    });
    for (const key of GONE) expect(world.product.patches.get(`p-SKU-${key}`)).toBe(1);
    expect(world.product.patches.size).toBe(GONE.length);
  });

  it("holds more than the limit, and applies none", async () => {
    const many = Array.from({ length: 12 }, (_, i) => String(ITEMS + 1 + i));
    const { world, run } = await scenario(store, clean, many);

    expect(run).toMatchObject({ status: "partial", reason: "held 12 deactivations, limit 10" });
    expect(run?.heldDeactivations).toMatchObject({ count: 12, limit: 10, keys: many });
    expect(world.product.patches.size).toBe(0);
  });

  const sweeps = [
    ["at-once", sample.atOnceEvery, 0],
    ["after-visibility", sample.slowerEvery, 1],
    ["after-dedup-window", sample.slowerEvery, 2],
  ] as const;
  /** The crash points a clean run passes: the same for every redelivery, as nothing dies; counted once. */
  let cleanRunPoints: Promise<number> | undefined;
  for (const [redelivery, every, offset] of sweeps) {
    it(`agrees at ${every === 1 ? "every crash point" : `1 crash point in ${every}`}, redelivered ${redelivery}`, async () => {
      cleanRunPoints ??= scenario(store, clean).then(({ crash }) => crash.hits);
      const points = await cleanRunPoints;
      for (let at = offset % every; at < points; at += every) {
        await assertAgreed(await scenario(store, { at: new Set([at]), duplicateEvery: 0, redelivery }));
      }
    }, 120_000);
  }

  it("agrees when every delivery of a deactivation chunk died, the last after its patch", async () => {
    // The chunk's three deliveries die: before its marker read, before its run read, after the
    // product's first PATCH and before the ledger heard of it. Settle counts the chunk from the
    // ledger (its records' deactivations failed); the next run's pass sets them inactive.
    const plan = await everyDeliveryOfTheChunkDies(store);

    const result = await scenario(store, plan);

    expect(result.crash.crashed).toHaveLength(3);
    expect(result.run).toMatchObject({ status: "partial", counts: { deactivated: 0 } });
    expect((await inactive(result.world)).inProduct).toEqual(["61"]);
    await assertAgreed(result);
  });

  it(`agrees under ${sample.schedules} random schedules of crashes and duplicate deliveries (fast-check)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.nat(400), { maxLength: 5 }),
        fc.nat(4),
        fc.constantFrom("at-once" as const, "after-visibility" as const, "after-dedup-window" as const),
        async (at, duplicateEvery, redelivery) => {
          await assertAgreed(await scenario(store, { at: new Set(at), duplicateEvery, redelivery }));
        },
      ),
      { numRuns: sample.schedules },
    );
  }, 120_000);
});
