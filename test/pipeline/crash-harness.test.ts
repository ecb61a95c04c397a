import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PipelineStore } from "../../runtime/pipeline/ports.js";
import { aTenantId, type OpenedStore, STORE_IMPLEMENTATIONS } from "../store/factories.js";
import { aTenant } from "../tenants/factories.js";
import { CrashController, type CrashPlan, runToEnd } from "./crash-world.js";
import { type StepWorld, stepWorld } from "./step-world.js";

// Exactly once, proven by crashing: a run is killed at every boundary a step has (before and after
// each store, queue and product call), the message comes back (at once, after its visibility timeout,
// after FIFO's deduplication window, or twice at the same time), and beside those fixed cases
// fast-check draws random schedules of crashes and duplicates. Each must end with every record in
// exactly one outcome, the counts adding up, at most one create per record in the product, and the
// run ended. All of it runs on both stores: the in-memory one, and DynamoDB (dynalite in `npm test`,
// DynamoDB Local in `npm run test:dynamodb-local`), whose conditional writes are what AWS relies on.

// Pages of 20 rows: 60 items make a split into several units, and chunks of up to 25 records.
const ITEMS = 60;
const PAGE = 20;

/**
 * How much of the harness each store runs. A scenario takes a few ms in memory and ~170 ms on
 * dynalite (about 130 store calls over HTTP), so to keep `npm test` quick the DynamoDB store crashes
 * at one point in 6 when the message comes back at once and one in 18 for each slower redelivery
 * (other points each: ~75 scenarios, ~13 s), and fast-check draws 12 schedules there instead of
 * 100 (~6 s). The memory store runs everything; the DynamoDB store proves the same code holds on
 * conditional writes over the wire.
 */
const HARNESS: Record<string, { atOnceEvery: number; slowerEvery: number; schedules: number }> = {
  memory: { atOnceEvery: 1, slowerEvery: 3, schedules: 100 },
  DynamoDB: { atOnceEvery: 6, slowerEvery: 18, schedules: 12 },
};

describe.each(STORE_IMPLEMENTATIONS)("on the %s store", (storeName, open) => {
  const harness = HARNESS[storeName];
  if (!harness) throw new Error(`crash harness: no settings for the ${storeName} store`);
  let store: OpenedStore;
  beforeAll(async () => {
    store = await open("crash-harness");
  });
  afterAll(() => store?.close());

  const scenario = (plan: CrashPlan, prepare?: (world: StepWorld) => void) =>
    runScenario(store, plan, prepare);
  /** How many crash points a clean run passes: each is one place to die. */
  async function crashPointsOfACleanRun(): Promise<number> {
    const { crash } = await scenario({ at: new Set(), duplicateEvery: 0, redelivery: "at-once" });
    return crash.hits;
  }

  describe("a worker killed at any boundary, its message delivered again", () => {
    const modes = [
      { redelivery: "at-once", every: harness.atOnceEvery, first: 0 },
      { redelivery: "after-visibility", every: harness.slowerEvery, first: 1 },
      { redelivery: "after-dedup-window", every: harness.slowerEvery, first: 4 },
    ] as const;
    for (const { redelivery, every, first } of modes) {
      it(`ends exactly once at ${every === 1 ? "every crash point" : `one crash point in ${every}`} (redelivered ${redelivery})`, async () => {
        const points = await crashPointsOfACleanRun();
        expect(points).toBeGreaterThan(50);
        for (let at = first; at < points; at += every) {
          const { world, runs, crash } = await scenario({ at: new Set([at]), duplicateEvery: 0, redelivery });
          assertExactlyOnce(world, runs, crash);
          // One crash never costs a record: its message comes back and finishes the work.
          expect(runs[0]?.status, crash.crashed.join("; ")).toBe("succeeded");
        }
      }, 120_000);
    }

    it("ends exactly once when every message is also delivered to a second invocation at the same time", async () => {
      const { world, runs, crash } = await scenario({
        at: new Set(),
        duplicateEvery: 1,
        redelivery: "at-once",
      });
      assertExactlyOnce(world, runs, crash);
      expect(runs[0]?.status).toBe("succeeded");
    });
  });

  describe("a sync request whose every delivery dies", () => {
    it("still leaves its run in the history, ended failed, and the tenant free", async () => {
      // The first crash points are dispatch's; dying at the first five is every delivery dying.
      const plan = { at: new Set([0, 1, 2, 3, 4]), duplicateEvery: 0, redelivery: "at-once" as const };
      const { world, runs, crash } = await scenario(plan);
      assertExactlyOnce(world, runs, crash);
      expect(runs[0]).toMatchObject({
        status: "failed",
        reason: expect.stringMatching(/could not be dispatched/),
      });
      expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
    });
  });

  describe("random schedules of crashes and duplicate deliveries (fast-check)", () => {
    it(`always end with every record in exactly one outcome (${harness.schedules} schedules)`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            crashes: fc.uniqueArray(fc.nat(400), { maxLength: 6 }),
            duplicateEvery: fc.nat(4),
            redelivery: fc.constantFrom(
              "at-once" as const,
              "after-visibility" as const,
              "after-dedup-window" as const,
            ),
            productFailures: fc.nat(3),
          }),
          async ({ crashes, duplicateEvery, redelivery, productFailures }) => {
            const plan = { at: new Set(crashes), duplicateEvery, redelivery };
            const { world, runs, crash } = await scenario(plan, (w) => {
              let failures = productFailures;
              w.product.failWith = () => (failures-- > 0 ? new Error("product answered 503") : undefined);
            });
            assertExactlyOnce(world, runs, crash);
          },
        ),
        { numRuns: harness.schedules },
      );
    }, 120_000);
  });
});

/** One run of a fresh tenant (its own lease, runs and ledger in the shared store) under `plan`. */
async function runScenario(store: PipelineStore, plan: CrashPlan, prepare?: (world: StepWorld) => void) {
  const tenant = aTenant((t) => {
    t.id = aTenantId();
    t.sync = { ...t.sync, concurrency: 4 };
  });
  const world = stepWorld({ items: ITEMS, pageSize: PAGE, store, tenant });
  prepare?.(world);
  const crash = new CrashController(plan);
  await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
  await runToEnd(world, crash, plan);
  const { runs } = await world.store.runs.list(world.tenant.id);
  return { world, crash, runs };
}

type ScenarioRuns = Awaited<ReturnType<typeof runScenario>>["runs"];

/** What must hold whatever happened on the way. */
function assertExactlyOnce(world: StepWorld, runs: ScenarioRuns, crash: CrashController) {
  const why = `crashes: ${crash.crashed.join("; ")}`;
  // Nothing the ledger knew was written again (a write the ledger had not heard of yet may be).
  expect(crash.rewrites, why).toEqual([]);
  expect(runs.length, why).toBeGreaterThan(0);
  for (const run of runs) {
    expect(run.status, why).not.toBe("running");
    const c = run.counts;
    expect(c.extracted, why).toBe(c.created + c.updated + c.unchanged + c.rejected + c.failed);
  }
  const [run] = runs;
  if (run?.status === "succeeded") {
    expect(run.counts.extracted, why).toBe(ITEMS);
    expect(world.product.held.size, why).toBe(ITEMS);
  }
  // The product never saw a second create of one record.
  for (const [externalId, creates] of world.product.creates) expect(creates, `${externalId}: ${why}`).toBe(1);
}
