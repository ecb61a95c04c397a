import { describe, expect, it } from "vitest";
import { startRun } from "../../runtime/core/steps/start-run.js";
import { deliver, drain, type StepWorld, startScheduledRun, stepWorld } from "./step-world.js";

// A run of one item (start-run.ts `item`) on the in-memory store: started through the one start, so
// the tenant's lease keeps it from racing a full run, and its first unit is that one id.

/** A run of `item` started as the API and the CLI start it. */
const startItemRun = (world: StepWorld, item: number) =>
  startRun(world.ctx, world.tenant, "manual", { item });

describe("a run of one item", () => {
  it("is refused while a full run of the tenant holds the lease, naming that run, and changes nothing", async () => {
    // prepare: a scheduled run dispatched, its units not yet read
    const world = stepWorld({ items: 30 });
    const full = await startScheduledRun(world);

    // act
    const started = await startItemRun(world, 7);

    // assess
    expect(started).toEqual({ started: false, activeRunId: full });
    expect((await world.store.runs.list(world.tenant.id)).runs.map((r) => r.runId)).toEqual([full]);
    expect(await world.store.lease.current(world.tenant.id)).toMatchObject({ runId: full });
  });

  it("is recorded with its item, and dispatch sends that one id as its first unit", async () => {
    const world = stepWorld({ items: 30 });

    const started = await startItemRun(world, 7);
    if (!started.started) throw new Error("the item run did not start");
    await deliver(world, "syncRequests");

    expect(await world.store.runs.get(world.tenant.id, started.runId)).toMatchObject({ item: 7 });
    expect(world.queues.queues.units.queue.bodies().map((b) => JSON.parse(b))).toEqual([
      { tenantId: world.tenant.id, runId: started.runId, unitId: "0", range: { from: 7, to: 8 } },
    ]);
  });

  it("holds the lease until it ends: a scheduled request meanwhile is skipped, and the next one runs", async () => {
    const world = stepWorld({ items: 30 });
    const started = await startItemRun(world, 7);
    if (!started.started) throw new Error("the item run did not start");

    await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
    await drain(world);

    const run = await world.store.runs.get(world.tenant.id, started.runId);
    expect(run).toMatchObject({ status: "succeeded", counts: { extracted: 1, created: 1 } });
    expect(run?.skipped).toEqual([{ trigger: "schedule", at: expect.any(String) }]);
    expect([...world.product.held.keys()]).toEqual(["SKU-7"]);
    await startScheduledRun(world); // the lease was given back: it would throw otherwise
  });
});
