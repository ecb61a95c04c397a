import { describe, expect, it } from "vitest";
import type { NotificationEvent } from "../../runtime/core/domain/notification.js";
import type { TenantInput } from "../../runtime/core/domain/tenant.js";
import { METRICS } from "../../runtime/core/observability/metric-names.js";
import type { Notifier } from "../../runtime/core/ports/notifier.js";
import { type Closing, closeRun } from "../../runtime/core/steps/close-run.js";
import { settleRequest, sweep } from "../../runtime/core/steps/settle.js";
import { settleVerify, verifyRun } from "../../runtime/core/verify/verify-run.js";
import { localTenantDirectory } from "../../runtime/edges/local/tenants.js";
import { memoryPipelineStore } from "../../runtime/edges/store/memory.js";
import { stepWorld } from "../pipeline/step-world.js";
import { aRun } from "../store/factories.js";
import { quietLog } from "../support/log.js";
import { aTenant } from "../tenants/factories.js";
import { recordingMetrics } from "./support.js";

const NOW = new Date("2026-12-06T12:00:00.000Z");

/** A tenant that asks to be told, a run of it in memory, and what closing it raised. */
async function world(notify: TenantInput["notify"], notifier?: Notifier) {
  const tenant = aTenant((t) => {
    if (notify) t.notify = notify;
  });
  const store = memoryPipelineStore();
  const run = aRun({ tenantId: tenant.id });
  await store.runs.create(run);
  const raised: NotificationEvent[] = [];
  const metrics = recordingMetrics();
  const ctx = {
    ...store,
    tenants: localTenantDirectory([tenant]),
    notifier: notifier ?? { notify: async (events: NotificationEvent[]) => void raised.push(...events) },
    log: quietLog,
    metrics,
    now: () => NOW,
  };
  const close = (closing: Omit<Closing, "audit">) =>
    closeRun(ctx, run, { ...closing, audit: { action: "run finished", detail: {} } });
  // The sweeper, over the same store and tenant (settle's scheduled invocation).
  const sweepNow = () => sweep({ ...stepWorld({ tenant, store }).ctx, notifier: ctx.notifier, now: ctx.now });
  return { tenant, run, store, raised, metrics, close, sweepNow };
}

const counts = (extracted: number, rejected: number, failed = 0) => ({
  extracted,
  created: extracted - rejected - failed,
  updated: 0,
  unchanged: 0,
  rejected,
  failed,
  deactivated: 0,
  reactivated: 0,
});

const everyone = { emails: ["ops@acme.example"], webhook: true };

describe("the end of a run raises what its tenant asked to be told", () => {
  it("a failed run raises one event with its reason and counts, however often it is closed", async () => {
    const { run, raised, close } = await world({ emails: ["ops@acme.example"] });

    const first = await close({
      status: "failed",
      counts: counts(100, 0),
      reason: "Siesa refused the credentials",
    });
    const again = await close({
      status: "failed",
      counts: counts(100, 0),
      reason: "Siesa refused the credentials",
    });

    expect([first, again]).toEqual([true, false]);
    expect(raised).toEqual([
      {
        id: `${run.runId}#failed`,
        tenantId: run.tenantId,
        kind: "failed",
        runId: run.runId,
        reason: "Siesa refused the credentials",
        counts: counts(100, 0),
        at: NOW.toISOString(),
      },
    ]);
  });

  it("a partial run at or below the tenant's threshold raises nothing; above it, one event", async () => {
    const below = await world({ ...everyone, partialAbove: 0.1 });
    const above = await world({ ...everyone, partialAbove: 0.1 });

    await below.close({ status: "partial", counts: counts(100, 10) });
    await above.close({ status: "partial", counts: counts(100, 8, 3) });

    expect(below.raised).toEqual([]);
    expect(above.raised.map((e) => [e.kind, e.reason])).toEqual([
      ["partial", "11 % of the run's records were rejected or failed (more than the tenant's 10 %)"],
    ]);
  });

  it("held deactivations and drift each raise their own event", async () => {
    const { run, raised, close } = await world(everyone);

    await close({
      status: "failed",
      counts: counts(100, 90),
      reason: "drift: name: required in 90 % of rows",
      heldDeactivations: { count: 40, limit: 10, keys: [] },
    });

    expect(raised.map((e) => e.id)).toEqual([`${run.runId}#drift`, `${run.runId}#deactivationsHeld`]);
    expect(raised[1]?.counts).toMatchObject({ held: 40, limit: 10 });
  });

  it("the run's end is on record even while its events cannot be queued (the queue does not answer)", async () => {
    const { run, store, close } = await world(everyone, { notify: () => new Promise<void>(() => {}) });

    void close({ status: "failed", counts: counts(10, 0), reason: "Siesa refused the credentials" });
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(store.audit.entries.map((e) => [e.action, e.runId])).toEqual([["run finished", run.runId]]);
  });

  it("a run that failed as drift is told as the failure it is to a tenant that asked for failures only", async () => {
    const { run, raised, close } = await world({ emails: ["ops@acme.example"], on: ["failed"] });

    await close({
      status: "failed",
      counts: counts(100, 90),
      reason: "drift: name: required in 90 % of rows",
    });

    expect(raised.map((e) => [e.id, e.reason])).toEqual([
      [`${run.runId}#failed`, "drift: name: required in 90 % of rows"],
    ]);
  });

  it("a verify that finds records missing or changed in the product raises drift with their counts", async () => {
    const { run, raised, close } = await world(everyone);

    await close({
      status: "partial",
      counts: counts(0, 0),
      reason: "not ok: 2 missing, 1 drifted, 0 unknown",
      verify: {
        tenantId: run.tenantId,
        product: "kong-rfid",
        startedAt: run.startedAt,
        durationMs: 1_000,
        read: { product: 97, ledger: 100 },
        counts: { ok: 97, missing: 2, drifted: 1, unknown: 0 },
        differences: [],
      },
    });

    expect(raised.map((e) => [e.id, e.reason, e.counts.missing, e.counts.drifted])).toEqual([
      [`${run.runId}#drift`, "not ok: 2 missing, 1 drifted, 0 unknown", 2, 1],
    ]);
  });

  it("raises only the events the tenant's notify.on names, and nothing for a tenant without notify", async () => {
    const onlyFailures = await world({ emails: ["ops@acme.example"], on: ["failed"] });
    const silent = await world(undefined);

    await onlyFailures.close({ status: "partial", counts: counts(100, 50) });
    await silent.close({ status: "failed", counts: counts(100, 0), reason: "boom" });

    expect(onlyFailures.raised).toEqual([]);
    expect(silent.raised).toEqual([]);
  });

  it("a run whose closing died before it gave the lease back is told by the next sweep", async () => {
    const { run, store, raised, sweepNow } = await world({ emails: ["ops@acme.example"] });
    // What a closeRun that died right after ending the run leaves: the run failed, its lease held.
    await store.lease.acquire(run.tenantId, run.runId, NOW, 60 * 60_000);
    await store.runs.complete(run.tenantId, run.runId, {
      status: "failed",
      counts: counts(10, 0),
      reason: "Siesa refused the credentials",
      finishedAt: NOW.toISOString(),
      durationMs: 1,
    });

    await sweepNow();

    expect(raised.map((e) => [e.id, e.reason])).toEqual([
      [`${run.runId}#failed`, "Siesa refused the credentials"],
    ]);
    expect(await store.lease.current(run.tenantId)).toBeUndefined();
  });

  /** What a verify worker that died right after ending its run leaves: the run ended, no lease (the
   * verify gave it back before ending the run, for its repair run), nothing raised. */
  async function aVerifyThatDiedAfterEndingItsRun() {
    const { tenant, run, store, raised } = await world(everyone);
    const steps = stepWorld({ tenant, store });
    const notifier = { notify: async (events: NotificationEvent[]) => void raised.push(...events) };
    await store.runs.complete(run.tenantId, run.runId, {
      status: "partial",
      counts: counts(0, 0),
      reason: "not ok: 2 missing, 0 drifted, 0 unknown",
      finishedAt: NOW.toISOString(),
      durationMs: 1,
      verify: {
        tenantId: run.tenantId,
        product: "kong-rfid",
        startedAt: run.startedAt,
        durationMs: 1_000,
        read: { product: 98, ledger: 100 },
        counts: { ok: 98, missing: 2, drifted: 0, unknown: 0 },
        differences: [],
      },
    });
    const request = { tenantId: run.tenantId, runId: run.runId, repair: false };
    return { steps, notifier, request, raised, drift: [[`${run.runId}#drift`, 2]] };
  }

  it("a verify whose worker died after ending its run, before telling anyone, is told when its request comes back", async () => {
    const { steps, notifier, request, raised, drift } = await aVerifyThatDiedAfterEndingItsRun();

    await verifyRun(steps.scoped("verify", { ...steps.deps, notifier }), request, {});

    expect(raised.map((e) => [e.id, e.counts.missing])).toEqual(drift);
  });

  it("...or when its request was dead-lettered, by settle", async () => {
    const { steps, notifier, request, raised, drift } = await aVerifyThatDiedAfterEndingItsRun();

    await settleVerify(steps.scoped("settle", { ...steps.deps, notifier }), request);

    expect(raised.map((e) => [e.id, e.counts.missing])).toEqual(drift);
  });

  it("a scheduled run that never started (every delivery of its request died) is told as failed, once", async () => {
    const { tenant, store, raised } = await world({ emails: ["ops@acme.example"] });
    const ctx = {
      ...stepWorld({ tenant, store }).ctx,
      notifier: { notify: async (events: NotificationEvent[]) => void raised.push(...events) },
      now: () => NOW,
    };
    const request = { tenantId: tenant.id, trigger: "schedule" as const };
    const delivery = { messageId: "m-1", sentAt: NOW };

    await settleRequest(ctx, request, delivery);
    await settleRequest(ctx, request, delivery);

    // Raised again by the second (it cannot know the first told anyone): one event id, delivered once.
    expect(new Set(raised.map((e) => e.id)).size).toBe(1);
    expect(raised[0] && [raised[0].kind, raised[0].reason]).toEqual([
      "failed",
      expect.stringMatching(/^the sync request could not be dispatched/),
    ]);
  });

  it("a scheduled run that never started is told even when settle died after recording it, before telling anyone", async () => {
    const { tenant, store, raised } = await world({ emails: ["ops@acme.example"] });
    const ctx = {
      ...stepWorld({ tenant, store }).ctx,
      notifier: { notify: async (events: NotificationEvent[]) => void raised.push(...events) },
      now: () => NOW,
    };
    const request = { tenantId: tenant.id, trigger: "schedule" as const };
    const delivery = { messageId: "m-1", sentAt: NOW };
    const died = new Error("the settle function timed out");
    const dyingAfterTheRunIsRecorded = {
      ...ctx,
      audit: {
        ...ctx.audit,
        record: async () => {
          throw died;
        },
      },
    };

    await expect(settleRequest(dyingAfterTheRunIsRecorded, request, delivery)).rejects.toBe(died);
    await settleRequest(ctx, request, delivery);

    expect(raised.map((e) => [e.kind, e.reason])).toEqual([
      ["failed", expect.stringMatching(/^the sync request could not be dispatched/)],
    ]);
  });

  it("a notifier that fails does not fail the run: the run ends and the loss is counted", async () => {
    const broken: Notifier = {
      notify: async () => {
        throw new Error("queue unreachable");
      },
    };
    const { run, store, metrics, close } = await world({ emails: ["ops@acme.example"] }, broken);

    const ended = await close({ status: "failed", counts: counts(10, 0), reason: "boom" });

    expect(ended).toBe(true);
    expect((await store.runs.get(run.tenantId, run.runId))?.status).toBe("failed");
    expect(metrics.recorded).toContainEqual({
      name: METRICS.notificationsNotRaised,
      value: 1,
      dimensions: { tenantId: run.tenantId },
    });
  });
});
