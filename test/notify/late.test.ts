import { describe, expect, it } from "vitest";
import type { NotificationEvent } from "../../runtime/core/domain/notification.js";
import { newRunId } from "../../runtime/core/domain/run-id.js";
import type { ScheduleState } from "../../runtime/core/ports/pipeline.js";
import { sweep } from "../../runtime/core/steps/settle.js";
import { stepWorld, T0 } from "../pipeline/step-world.js";
import { aRun } from "../store/factories.js";
import { aTenant } from "../tenants/factories.js";

const HOUR = 60 * 60_000;

/** An hourly tenant that asks to be told it is late, whose last run completed `hoursAgo` before the sweep. */
async function lateWorld(hoursAgo: number, state: ScheduleState = "ENABLED", changedAt?: Date) {
  const tenant = aTenant((t) => {
    t.sync = { schedule: "rate(1 hour)" };
    t.notify = { emails: ["ops@acme.example"] };
  });
  const world = stepWorld({ tenant });
  const finishedAt = new Date(T0 - hoursAgo * HOUR).toISOString();
  await world.store.runs.create(
    aRun({
      runId: newRunId(new Date(finishedAt)),
      tenantId: tenant.id,
      status: "succeeded",
      startedAt: finishedAt,
      finishedAt,
    }),
  );
  const raised: NotificationEvent[] = [];
  const ctx = {
    ...world.ctx,
    notifier: { notify: async (events: NotificationEvent[]) => void raised.push(...events) },
    schedules: { describe: async () => ({ state, ...(changedAt ? { changedAt } : {}) }) },
  };
  return { tenant, raised, world, sweepNow: () => sweep(ctx) };
}

describe("the sweeper's late check", () => {
  it("raises late for a tenant with no completed run in two periods, with the same id on every sweep", async () => {
    const { tenant, raised, sweepNow } = await lateWorld(3);

    await sweepNow();
    await sweepNow();

    expect(raised.map((e) => e.kind)).toEqual(["late", "late"]);
    expect(raised[0]?.id).toBe(raised[1]?.id);
    expect(raised[0]?.id).toBe(`${tenant.id}#late#${new Date(T0 - HOUR).toISOString()}`);
    expect(raised[0]?.reason).toContain("two periods of rate(1 hour) have passed");
  });

  it("raises nothing for a tenant resumed a minute ago after days paused: its schedule has not had time to fire", async () => {
    const resumed = await lateWorld(72, "ENABLED", new Date(T0 - 60_000));

    await resumed.sweepNow();

    expect(resumed.raised).toEqual([]);
  });

  it("does not take a verify for a completed sync", async () => {
    const { tenant, raised, sweepNow, world } = await lateWorld(3);
    const at = new Date(T0 - 10 * 60_000).toISOString();
    await world.store.runs.create(
      aRun({
        runId: newRunId(new Date(at)),
        tenantId: tenant.id,
        trigger: "verify",
        status: "succeeded",
        startedAt: at,
        finishedAt: at,
      }),
    );

    await sweepNow();

    expect(raised.map((e) => e.kind)).toEqual(["late"]);
  });

  it("raises nothing for a tenant that is on time, or whose schedule is paused", async () => {
    const onTime = await lateWorld(1);
    const paused = await lateWorld(3, "DISABLED");

    await onTime.sweepNow();
    await paused.sweepNow();

    expect(onTime.raised).toEqual([]);
    expect(paused.raised).toEqual([]);
  });
});
