import { DEFAULT_STREAM, scopeOfRun, streamField, streamScope, streamsOf } from "../domain/stream.js";
import type { ExtractUnit, LoadChunk, SyncRequest } from "../ports/messages.js";
import type { Lease } from "../ports/pipeline.js";
import { RunAlreadyExistsError } from "../ports/store-errors.js";
import { afterProgress } from "./after-progress.js";
import type { PipelineContext } from "./context.js";
import { runIdForMessage } from "./dispatch-run.js";
import { expireRun, takeoverReason } from "./expire-run.js";
import { sendChildren } from "./extract-unit.js";
import { checkLate } from "./late-check.js";
import { countChunk, earlierDeliveries, reachedOutcomes } from "./load-chunk.js";
import { planOp, rangesOf, splitOp, unitOp } from "./operation-data.js";
import { raiseRunEnd, runEndFactsOf } from "./raise-events.js";
import { recordUnstartedRun } from "./start-run.js";
import { countUnreported, plannedChunks } from "./unit-plan.js";

/**
 * What keeps every run finishing although Lambda can die mid-message: the dead-letter queues'
 * consumer, which counts what their messages left uncounted, and the sweeper, which ends runs
 * whose lease expired and recounts a run's totals from its operations.
 */

/** Why a dead-lettered message's work is counted failed when its last delivery said nothing. */
export const DIED_REASON = "its last delivery did not finish (the function timed out or crashed)";

/**
 * A unit of Siesa work in the units DLQ, unless its last delivery counted it: a split unit sends its
 * recorded children again (its last delivery may have died before sending them); when it had planned
 * its loads (its records were read and counted), the chunks that never reported are counted failed (a
 * copy still in flight then finds its operation taken and counts nothing); otherwise the unit failed.
 */
export async function settleUnit(ctx: PipelineContext, unit: ExtractUnit): Promise<void> {
  const { tenantId, runId, unitId } = unit;
  const run = await ctx.runs.get(tenantId, runId);
  if (run?.status !== "running") return;
  const split = await ctx.progress.get(tenantId, runId, splitOp(unitId));
  if (split) {
    await sendChildren(ctx, unit, rangesOf(split), { resent: true });
    await afterProgress(ctx, tenantId, runId);
    return;
  }
  const plan = await ctx.progress.get(tenantId, runId, planOp(unitId));
  if (plan) {
    await countUnreported(ctx, tenantId, runId, plannedChunks(unitId, plan), DIED_REASON);
    const totals = await ctx.progress.apply(tenantId, runId, unitOp(unitId), { unitsDone: 1 });
    await afterProgress(ctx, tenantId, runId, totals);
    return;
  }
  // Counted by its last delivery, which died before its message was deleted: its outcome stands.
  if (await ctx.progress.get(tenantId, runId, unitOp(unitId))) {
    await afterProgress(ctx, tenantId, runId);
    return;
  }
  const where = `f120_id ${unit.range.from}..${unit.range.to}`;
  const error = {
    key: `unit ${unitId} (${where})`,
    outcome: "failed" as const,
    reason: DIED_REASON,
    step: "extract" as const,
  };
  await ctx.runs.putExceptions(tenantId, runId, [error]);
  const totals = await ctx.progress.apply(tenantId, runId, unitOp(unitId), {
    unitsDone: 1,
    unitsFailed: 1,
  });
  if (totals) await ctx.runs.addErrors(tenantId, runId, [error]);
  await afterProgress(ctx, tenantId, runId, totals);
}

/**
 * A load chunk in the loads DLQ: the records the ledger shows written by this run keep that outcome;
 * the others are counted failed (a deactivation's `deactivationsFailed`). Nothing if its last delivery
 * had counted it, but ending the run. Settle writes to neither the product nor the ledger (its role
 * has no product secret and reads the ledger only): a create or update cannot be repeated blind, and
 * a deactivation the ledger does not show leaves the record active there, so the next run's pass sets
 * it inactive again (a PATCH is safe to repeat).
 */
export async function settleChunk(ctx: PipelineContext, chunk: LoadChunk): Promise<void> {
  const { tenantId, runId } = chunk;
  const run = await ctx.runs.get(tenantId, runId);
  if (run?.status !== "running") return;
  // Counted by its last delivery, which may have died before it could end the run.
  const earlier = await earlierDeliveries(ctx, chunk, scopeOfRun(run));
  if (earlier.counted) {
    await afterProgress(ctx, tenantId, runId);
    return;
  }
  await countChunk(ctx, chunk, reachedOutcomes(chunk, earlier.written, DIED_REASON), true);
}

/**
 * A sync request in its DLQ: its run (the API's, or the one the schedule's request would have
 * opened) ends failed, recorded even if the start never got to create it, so a scheduled sync that
 * could not start shows in the tenant's history; a lease it took is given back.
 */
export async function settleRequest(
  ctx: PipelineContext,
  request: SyncRequest,
  delivery: { messageId: string; sentAt: Date },
): Promise<void> {
  const { tenantId } = request;
  const runId = request.runId ?? runIdForMessage(delivery.sentAt, delivery.messageId);
  if (await ctx.progress.get(tenantId, runId, "dispatch")) return; // the run went on: its units end it
  const reason = `the sync request could not be dispatched: ${DIED_REASON}`;
  const recorded = await ctx.runs.get(tenantId, runId);
  if (recorded) {
    // Already ended: an earlier delivery recorded it and may have died before telling anyone.
    if (!(await expireRun(ctx, tenantId, runId, reason))) await raiseRunEnd(ctx, runEndFactsOf(recorded));
  } else if (request.runId === undefined)
    try {
      await recordUnstartedRun(
        ctx,
        { tenantId, runId, trigger: request.trigger, ...streamField(request.stream ?? DEFAULT_STREAM) },
        reason,
      );
    } catch (error) {
      // Its last delivery opened the run after all, just now: it ends as any other.
      if (!(error instanceof RunAlreadyExistsError)) throw error;
      await expireRun(ctx, tenantId, runId, reason);
    }
  await ctx.lease.release(streamScope(tenantId, request.stream ?? DEFAULT_STREAM), runId);
}

/**
 * The sweeper, on its own schedule: a run whose lease expired (or, locally, whose process is gone)
 * ends failed and its tenant is free again;
 * a running run's totals are summed again from its operations, and the run ends if that completes it
 * (a worker that died between an operation and its count left the counter short).
 */
export async function sweep(ctx: PipelineContext): Promise<{ expired: number; finalised: number }> {
  let expired = 0;
  let finalised = 0;
  const now = ctx.now();
  const tenants = await ctx.tenants.list();
  const leases = new Map<string, Lease | undefined>();
  for (const tenant of tenants)
    for (const stream of streamsOf(tenant)) {
      const scope = streamScope(tenant.id, stream);
      const lease = await ctx.lease.current(scope);
      leases.set(scope, lease);
      if (!lease) continue;
      if (Date.parse(lease.expiresAt) <= now.getTime() || ctx.processLease?.isDead(lease)) {
        await expireRun(ctx, tenant.id, lease.runId, takeoverReason(lease, now));
        await ctx.lease.release(scope, lease.runId);
        expired++;
        continue;
      }
      const run = await ctx.runs.get(tenant.id, lease.runId);
      if (run?.status !== "running") {
        // Its closing died before giving the lease back, perhaps before telling anyone: its events are
        // raised again (the notify worker delivers an event id once).
        if (run) await raiseRunEnd(ctx, runEndFactsOf(run));
        await ctx.lease.release(scope, lease.runId);
        continue;
      }
      const totals = await ctx.progress.sum(tenant.id, lease.runId);
      if (await afterProgress(ctx, tenant.id, lease.runId, totals)) finalised++;
    }
  // After every tenant's lease work: a slow scheduler or notifications queue delays no expiry.
  for (const tenant of tenants) await checkLate(ctx, tenant, leases.get(tenant.id));
  if (expired + finalised > 0) ctx.log.info("sweep", { expired, finalised });
  return { expired, finalised };
}
