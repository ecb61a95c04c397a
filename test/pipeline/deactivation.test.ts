import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LedgerEntry } from "../../runtime/sync/ports.js";
import { CrashController, type CrashPlan, runToEnd } from "./crash-world.js";
import { type StepWorld, stepWorld, T0 } from "./step-world.js";

// The deactivation pass under crashes and redelivery: records an earlier run wrote that Siesa no
// longer returns are set inactive exactly once, whatever dies where; a run that stops deactivates
// nothing. The product and the ledger agree at the end.

const ITEMS = 60;
const PAGE = 20;
/** Written by an earlier run, gone from Siesa now (f120_id 61..66): under the limit of 10. */
const GONE = ["61", "62", "63", "64", "65", "66"];

async function withEarlierRecords(world: StepWorld, keys: readonly string[]): Promise<void> {
  const entries: LedgerEntry[] = keys.map((key) => ({
    key,
    hash: `h-${key}`,
    productId: `p-SKU-${key}`,
    runId: "earlier",
    updatedAt: new Date(T0 - 86_400_000).toISOString(),
  }));
  await world.store.ledger.putMany(world.tenant.id, entries);
  for (const key of keys) world.product.held.set(`SKU-${key}`, { f120_id: Number(key), active: true });
}

async function scenario(plan: CrashPlan, gone: readonly string[] = GONE) {
  const world = stepWorld({ items: ITEMS, pageSize: PAGE });
  await withEarlierRecords(world, gone);
  const crash = new CrashController(plan);
  await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
  await runToEnd(world, crash, plan);
  const { runs } = await world.store.runs.list(world.tenant.id);
  return { world, crash, run: runs[0] };
}

async function assertAgreed(
  world: StepWorld,
  crash: CrashController,
  run: Awaited<ReturnType<typeof scenario>>["run"],
) {
  const why = `crashes: ${crash.crashed.join("; ")}`;
  expect(run?.status, why).not.toBe("running");
  expect(crash.rewrites, why).toEqual([]);
  const ledger = await world.store.ledger.getMany(world.tenant.id, GONE);
  const inactiveInLedger = GONE.filter((key) => ledger.get(key)?.active === false);
  const inactiveInProduct = GONE.filter((key) => world.product.held.get(`SKU-${key}`)?.active === false);
  // What the product holds matches the ledger, and the run's count says the same.
  expect(inactiveInProduct, why).toEqual(inactiveInLedger);
  if (run?.status === "succeeded") expect(run.counts.deactivated, why).toBe(GONE.length);
  if (run?.status === "failed") expect(run.counts.deactivated, why).toBe(0);
}

describe("the deactivation pass", () => {
  it("sets the records Siesa no longer returns inactive, once each, and leaves the others alone", async () => {
    const { world, run } = await scenario({ at: new Set(), duplicateEvery: 0, redelivery: "at-once" });

    expect(run).toMatchObject({
      status: "succeeded",
      counts: { extracted: ITEMS, deactivated: GONE.length },
    });
    for (const key of GONE) expect(world.product.patches.get(`p-SKU-${key}`)).toBe(1);
    expect(world.product.patches.size).toBe(GONE.length);
  });

  it("holds more than the limit, and applies none", async () => {
    const many = Array.from({ length: 12 }, (_, i) => String(ITEMS + 1 + i));
    const { world, run } = await scenario({ at: new Set(), duplicateEvery: 0, redelivery: "at-once" }, many);

    expect(run).toMatchObject({ status: "partial", reason: "held 12 deactivations, limit 10" });
    expect(run?.heldDeactivations).toEqual({ count: 12, limit: 10 });
    expect(world.product.patches.size).toBe(0);
  });

  // Every crash point for a message that comes back at once; every third one (each kind its own
  // third) for the slower redeliveries, which the crash harness already sweeps for a run's other steps.
  const sweeps = [
    ["at-once", 1, 0],
    ["after-visibility", 3, 1],
    ["after-dedup-window", 3, 2],
  ] as const;
  for (const [redelivery, stride, offset] of sweeps) {
    it(`ends with product and ledger agreeing at every crash point (redelivered ${redelivery}, 1 in ${stride})`, async () => {
      const clean = await scenario({ at: new Set(), duplicateEvery: 0, redelivery });
      for (let at = offset; at < clean.crash.hits; at += stride) {
        const { world, crash, run } = await scenario({ at: new Set([at]), duplicateEvery: 0, redelivery });
        await assertAgreed(world, crash, run);
      }
    }, 120_000);
  }

  it("agrees under random schedules of crashes and duplicate deliveries (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { maxLength: 4 }),
        fc.integer({ min: 0, max: 5 }),
        fc.constantFrom("at-once" as const, "after-visibility" as const, "after-dedup-window" as const),
        async (at, duplicateEvery, redelivery) => {
          const { world, crash, run } = await scenario({ at: new Set(at), duplicateEvery, redelivery });
          await assertAgreed(world, crash, run);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
