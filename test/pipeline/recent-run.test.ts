import { describe, expect, it } from "vitest";
import { zeroCounts } from "../../runtime/core/domain/model.js";
import { RECENT_RUN_MS, recentRuns } from "../../runtime/core/steps/recent-run.js";
import { MemoryRuns } from "../../runtime/edges/store/memory.js";

// What the units of a run read of it: one read per second per container, not one per unit, and a
// stop or an end that happens in this container is seen by its next unit at once.

const TENANT = "acme-staging";
const RUN = "20261201T020000.000Z-aaaaaaaaaaaa";

/** The runs table, counting its reads. */
class CountedRuns extends MemoryRuns {
  reads = 0;
  override async get(tenantId: string, runId: string) {
    this.reads++;
    return super.get(tenantId, runId);
  }
}

function world() {
  let now = Date.parse("2026-12-01T02:00:00Z");
  const store = new CountedRuns();
  const here = recentRuns(store, () => now);
  return {
    store,
    here,
    reads: () => store.reads,
    advance: (ms: number) => {
      now += ms;
    },
    start: () =>
      store.create({
        runId: RUN,
        tenantId: TENANT,
        trigger: "schedule",
        status: "running",
        startedAt: new Date(now).toISOString(),
        counts: zeroCounts(),
        errors: [],
      }),
  };
}

describe("a run as its units read it", () => {
  it("is read once for all the units of the same second", async () => {
    // prepare
    const w = world();
    await w.start();

    // act
    for (let unit = 0; unit < 20; unit++) await w.here.recent(TENANT, RUN);

    // assess
    expect(w.reads()).toBe(1);
  });

  it("shows a stop asked for in this container to the next unit at once", async () => {
    // prepare
    const w = world();
    await w.start();
    await w.here.recent(TENANT, RUN);

    // act
    await w.here.runs.requestStop(TENANT, RUN, "credentials refused");

    // assess
    expect((await w.here.recent(TENANT, RUN))?.stopReason).toBe("credentials refused");
  });

  it("shows a stop asked for in another container within RECENT_RUN_MS", async () => {
    // prepare
    const w = world();
    await w.start();
    await w.here.recent(TENANT, RUN);

    // act: another container stops the run
    await w.store.requestStop(TENANT, RUN, "5 units of Siesa work failed in a row");

    // assess
    expect((await w.here.recent(TENANT, RUN))?.stopReason).toBeUndefined();
    w.advance(RECENT_RUN_MS);
    expect((await w.here.recent(TENANT, RUN))?.stopReason).toBe("5 units of Siesa work failed in a row");
  });

  it("shows a run this container ended as ended, and a failed unit's streak at once", async () => {
    // prepare
    const w = world();
    await w.start();
    await w.here.recent(TENANT, RUN);

    // act
    await w.here.runs.unitOutcome(TENANT, RUN, true);
    const streak = (await w.here.recent(TENANT, RUN))?.failedUnitStreak;
    await w.here.runs.complete(TENANT, RUN, {
      status: "succeeded",
      counts: zeroCounts(),
      finishedAt: "2026-12-01T02:00:01.000Z",
      durationMs: 1_000,
    });

    // assess
    expect(streak).toBe(1);
    expect((await w.here.recent(TENANT, RUN))?.status).toBe("succeeded");
  });
});
