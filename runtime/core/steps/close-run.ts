import type { Counts, RunRecord } from "../domain/model.js";
import { scopeOfRun } from "../domain/stream.js";
import { DIMENSIONS, METRICS } from "../observability/metric-names.js";
import type { RunDependencies } from "../ports/dependencies.js";
import type { RunEnd } from "../ports/pipeline.js";
import { raiseRunEnd, runEndFactsOf } from "./raise-events.js";

/** How a run ends: its status and counts, and the audit entry that says so. */
export type Closing = Omit<RunEnd, "finishedAt" | "durationMs"> & {
  counts: Counts;
  /** The audit entry's action (`run finished`, `run expired`, `verified`) and detail. */
  audit: { action: string; detail: Record<string, unknown> };
};

/**
 * The end of a run, whatever ends it (its last operation, an expired lease, a dead request, a
 * verify, a start that could not queue its work): the only code that sets a run's final status.
 * Ending is a conditional write, so of several callers exactly one gets true; that one raises the
 * run's notifications, counts its end metrics, gives the lease back and writes the audit entry.
 * Returns whether this call ended the run.
 */
export async function closeRun(
  ctx: Pick<RunDependencies, "runs" | "lease" | "audit" | "log" | "now" | "tenants" | "metrics" | "notifier">,
  run: Pick<RunRecord, "tenantId" | "runId" | "startedAt" | "stream">,
  closing: Closing,
): Promise<boolean> {
  const { tenantId, runId } = run;
  const { audit, ...end } = closing;
  const finished = ctx.now();
  const durationMs = Math.max(0, finished.getTime() - Date.parse(run.startedAt));
  const won = await ctx.runs.complete(tenantId, runId, {
    ...end,
    finishedAt: finished.toISOString(),
    durationMs,
  });
  if (!won) return false;
  countRunEnd(ctx, tenantId, end.status, durationMs, end.counts);
  // The audit line first: whatever the notifier's queue does next, the run's end is on record.
  await ctx.audit.record(tenantId, { action: audit.action, runId, detail: audit.detail }, finished);
  // Only the call that ended the run tells anyone, so a closing repeated by a redelivery or a
  // concurrent sweep raises nothing twice; before the lease goes, so a call that dies in between
  // leaves the lease to the sweeper, which raises them again (settle.ts; delivered once by id).
  await raiseRunEnd(ctx, runEndFactsOf({ tenantId, runId, ...end }));
  // Conditional on the run id: a lease taken over by the next run stays that run's.
  await ctx.lease.release(scopeOfRun(run), runId);
  ctx.log.info("run finished", {
    tenantId,
    runId,
    status: end.status,
    counts: end.counts,
    durationMs,
    ...(end.reason ? { reason: end.reason } : {}),
  });
  return true;
}

/**
 * The metrics of a run's end, counted by the call that ended it however it ended, so a run the sweeper
 * or a dead request ends counts in the stack's run-duration and failure-rate alarms too. A run that
 * never started (recordUnstartedRun) has no duration.
 */
export function countRunEnd(
  ctx: Pick<RunDependencies, "metrics">,
  tenantId: string,
  status: RunEnd["status"],
  durationMs: number | undefined,
  counts: Counts,
): void {
  const tenant = { [DIMENSIONS.tenant]: tenantId };
  ctx.metrics.count(METRICS.runFinished, 1, { ...tenant, [DIMENSIONS.status]: status });
  ctx.metrics.count(METRICS.runFailed, status === "failed" ? 1 : 0, tenant);
  if (durationMs !== undefined) ctx.metrics.seconds(METRICS.runDuration, durationMs / 1000, tenant);
  ctx.metrics.count(METRICS.recordsCreated, counts.created, tenant);
  ctx.metrics.count(METRICS.recordsUpdated, counts.updated, tenant);
  ctx.metrics.count(METRICS.recordsUnchanged, counts.unchanged, tenant);
  ctx.metrics.count(METRICS.recordsRejected, counts.rejected, tenant);
  ctx.metrics.count(METRICS.recordsFailed, counts.failed, tenant);
  ctx.metrics.count(METRICS.recordsDeactivated, counts.deactivated, tenant);
  ctx.metrics.count(METRICS.recordsReactivated, counts.reactivated, tenant);
}
