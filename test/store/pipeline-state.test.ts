import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../../runtime/core/domain/run-id.js";
import { isComplete, zeroProgress } from "../../runtime/core/domain/run-status.js";
import type { LeaseStore, ProgressStore, RunState } from "../../runtime/core/ports/pipeline.js";
import { aRun, aTenantId, type OpenedStore, STORE_IMPLEMENTATIONS } from "./factories.js";

// The state a distributed run keeps besides its run record: the tenant lease and the counters
// that SQS's at-least-once delivery must not inflate.

describe.each(STORE_IMPLEMENTATIONS)("pipeline state in %s", (_name, open) => {
  let store: OpenedStore;
  let progress: ProgressStore;
  let lease: LeaseStore;
  let runs: RunState;

  beforeAll(async () => {
    store = await open("pipeline");
    ({ progress, lease, runs } = store);
  });
  afterAll(() => store?.close());

  describe("RunProgress", () => {
    it("applies an operation once, however often it is delivered", async () => {
      const tenantId = aTenantId();
      const runId = newRunId();

      const first = await progress.apply(tenantId, runId, "rec:42", { extracted: 1, created: 1 });
      const again = await progress.apply(tenantId, runId, "rec:42", { extracted: 1, created: 1 });

      expect(first).toMatchObject({ extracted: 1, created: 1 }); // the totals right after it
      expect(again).toBeUndefined();
      expect(await progress.read(tenantId, runId)).toMatchObject({ extracted: 1, created: 1 });
    });

    it("tells whether an operation was applied", async () => {
      const tenantId = aTenantId();
      const runId = newRunId();
      await progress.apply(tenantId, runId, "unit:0.3", { unitsDone: 1 });

      expect(await progress.get(tenantId, runId, "unit:0.3")).toEqual({ delta: { unitsDone: 1 } });
      expect(await progress.get(tenantId, runId, "unit:0.4")).toBeUndefined();
      expect(await progress.get(tenantId, newRunId(), "unit:0.3")).toBeUndefined();
    });

    it("sums exactly under many parallel workers, duplicates included", async () => {
      const tenantId = aTenantId();
      const runId = newRunId();
      const ops = Array.from({ length: 300 }, (_, i) => `rec:${i}`);

      // Every operation delivered twice, all at once.
      await Promise.all([...ops, ...ops].map((op) => progress.apply(tenantId, runId, op, { updated: 1 })));

      const totals = await progress.read(tenantId, runId);
      expect(totals.updated).toBe(300);
    });

    it("keeps what a step stored with an operation (a split's ranges) and gives it back on retry", async () => {
      const tenantId = aTenantId();
      const runId = newRunId();
      const ranges = [
        { from: 0, to: 50 },
        { from: 50, to: 100 },
      ];

      await progress.apply(tenantId, runId, "split:0", { unitsPlanned: 2 }, { ranges });
      const retry = await progress.apply(tenantId, runId, "split:0", { unitsPlanned: 3 }, { ranges: [] });

      expect(retry).toBeUndefined();
      expect(await progress.get(tenantId, runId, "split:0")).toEqual({
        delta: { unitsPlanned: 2 },
        data: { ranges },
      });
      expect((await progress.read(tenantId, runId)).unitsPlanned).toBe(2);
    });

    it("sums the totals from the operations' markers, as the counter holds them when none died", async () => {
      const tenantId = aTenantId();
      const runId = newRunId();
      for (let i = 0; i < 30; i++)
        await progress.apply(tenantId, runId, `load:0.${i}/0`, { loadsDone: 1, created: 3 });

      const totals = await progress.sum(tenantId, runId);

      expect(totals).toMatchObject({ loadsDone: 30, created: 90 });
      expect(await progress.read(tenantId, runId)).toEqual(totals);
    });

    it("lets one delivery at a time write a load chunk, until its time ends or its message comes back", async () => {
      // prepare: message m-1 holds chunk 0/0 until t=1000
      const tenantId = aTenantId();
      const runId = newRunId();
      const holder = { messageId: "m-1", receiveCount: 1, until: 1_000 };
      expect(await progress.claim(tenantId, runId, "0/0", holder, 0)).toEqual({ claimed: true });

      // act: a copy (another message), the same delivery at once, the message delivered again, and
      // a copy once the holder's time is over
      const copy = await progress.claim(tenantId, runId, "0/0", { ...holder, messageId: "m-2" }, 500);
      const sameAtOnce = await progress.claim(tenantId, runId, "0/0", holder, 500);
      const otherChunk = await progress.claim(tenantId, runId, "0/1", { ...holder, messageId: "m-2" }, 500);
      const redelivered = await progress.claim(tenantId, runId, "0/0", { ...holder, receiveCount: 2 }, 500);
      const later = await progress.claim(tenantId, runId, "0/0", { ...holder, messageId: "m-2" }, 1_000);

      // assess
      expect(copy).toEqual({ claimed: false, holder });
      expect(sameAtOnce).toEqual({ claimed: false, holder });
      expect(otherChunk).toEqual({ claimed: true });
      // Each claim that took over says from whom: that delivery may have left exceptions behind.
      expect(redelivered).toEqual({ claimed: true, after: holder });
      expect(later).toEqual({ claimed: true, after: { ...holder, receiveCount: 2 } });
      expect(await progress.sum(tenantId, runId)).toEqual(zeroProgress()); // a claim counts nothing
    });

    it("keeps runs and tenants apart", async () => {
      const tenantId = aTenantId();
      const [runA, runB] = [newRunId(), newRunId()];
      await progress.apply(tenantId, runA, "unit:0", { unitsPlanned: 1, unitsDone: 1 });
      await progress.apply(aTenantId(), runB, "unit:0", { unitsPlanned: 5 });

      expect(await progress.read(tenantId, runA)).toMatchObject({ unitsPlanned: 1, unitsDone: 1 });
      expect(await progress.read(tenantId, runB)).toEqual(zeroProgress());
    });

    it("calls a run complete only when every unit is done and every extracted record has an outcome", () => {
      const base = {
        ...zeroProgress(),
        unitsPlanned: 3,
        unitsDone: 3,
        extracted: 10,
        unchanged: 4,
        created: 6,
      };

      expect(isComplete(base)).toBe(true);
      expect(isComplete({ ...base, unitsDone: 2 })).toBe(false);
      expect(isComplete({ ...base, created: 5 })).toBe(false);
      expect(isComplete(zeroProgress())).toBe(false);
    });
  });

  describe("TenantLease", () => {
    const now = new Date("2026-11-22T10:00:00Z");
    const hour = 3_600_000;

    it("lets one run in at a time and tells the other which run holds it", async () => {
      const tenantId = aTenantId();

      const results = await Promise.all([
        lease.acquire(tenantId, "run-a", now, hour),
        lease.acquire(tenantId, "run-b", now, hour),
      ]);

      const winners = results.filter((r) => r.acquired);
      expect(winners).toHaveLength(1);
      const loser = results.find((r) => !r.acquired);
      expect(loser).toMatchObject({
        acquired: false,
        holder: { runId: expect.stringMatching(/^run-[ab]$/) },
      });
    });

    it("is taken again by the same run (a redelivered message)", async () => {
      const tenantId = aTenantId();
      await lease.acquire(tenantId, "run-a", now, hour);

      expect(await lease.acquire(tenantId, "run-a", now, hour)).toEqual({ acquired: true });
    });

    it("expires after the run's maximum duration, and says which run it replaced", async () => {
      const tenantId = aTenantId();
      await lease.acquire(tenantId, "crashed", now, hour);

      const later = new Date(now.getTime() + hour + 1);
      const result = await lease.acquire(tenantId, "next", later, hour);

      expect(result).toMatchObject({ acquired: true, replaced: { runId: "crashed" } });
    });

    it("is taken over at once when its holder's process is gone, not before", async () => {
      const tenantId = aTenantId();
      const owner = { host: "this-machine", pid: 4242 };
      await lease.acquire(tenantId, "killed", now, hour, { owner });

      const alive = await lease.acquire(tenantId, "next", now, hour, { isDead: () => false });
      const dead = await lease.acquire(tenantId, "next", now, hour, {
        isDead: (held) => held.owner?.pid === 4242,
      });

      expect(alive).toMatchObject({ acquired: false, holder: { runId: "killed", owner } });
      expect(dead).toMatchObject({ acquired: true, replaced: { runId: "killed", owner } });
    });

    it("is released only by its holder", async () => {
      const tenantId = aTenantId();
      await lease.acquire(tenantId, "run-a", now, hour);

      await lease.release(tenantId, "someone-else");
      expect((await lease.current(tenantId))?.runId).toBe("run-a");
      await lease.release(tenantId, "run-a");
      expect(await lease.current(tenantId)).toBeUndefined();
    });
  });

  describe("RunStore, for the pipeline", () => {
    it("completes a running run once, with its final counts", async () => {
      const run = aRun({ status: "running" });
      await runs.create(run);
      const end = {
        status: "succeeded" as const,
        finishedAt: "2026-11-22T10:05:00.000Z",
        durationMs: 300_000,
        counts: {
          extracted: 2,
          created: 2,
          updated: 0,
          unchanged: 0,
          rejected: 0,
          failed: 0,
          deactivated: 0,
          reactivated: 0,
        },
      };

      const outcomes = await Promise.all([
        runs.complete(run.tenantId, run.runId, end),
        runs.complete(run.tenantId, run.runId, end),
      ]);

      expect(outcomes.sort()).toEqual([false, true]);
      expect(await runs.get(run.tenantId, run.runId)).toMatchObject({
        status: "succeeded",
        counts: end.counts,
      });
    });

    it("keeps the first stop reason, the skipped requests and the failed-unit streak", async () => {
      const run = aRun({ status: "running" });
      await runs.create(run);

      await runs.requestStop(run.tenantId, run.runId, "siesa down");
      await runs.requestStop(run.tenantId, run.runId, "later reason");
      await runs.addSkipped(run.tenantId, run.runId, { trigger: "schedule", at: "2026-11-22T10:01:00.000Z" });
      const streak = [
        await runs.unitOutcome(run.tenantId, run.runId, true),
        await runs.unitOutcome(run.tenantId, run.runId, true),
        await runs.unitOutcome(run.tenantId, run.runId, false),
        await runs.unitOutcome(run.tenantId, run.runId, true),
      ];

      expect(streak).toEqual([1, 2, 0, 1]);
      expect(await runs.get(run.tenantId, run.runId)).toMatchObject({
        stopReason: "siesa down",
        skipped: [{ trigger: "schedule", at: "2026-11-22T10:01:00.000Z" }],
      });
    });
  });
});
