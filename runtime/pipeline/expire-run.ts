import { DIMENSIONS, METRICS } from "../observability/metric-names.js";
import { countsOf } from "../sync/run-status.js";
import type { WorkerDependencies } from "../workers/dependencies.js";

/** Why a run whose lease was taken over ended failed. */
export const LEASE_EXPIRED =
  "the run did not finish within the tenant's maximum run duration (lease expired)";
export const PROCESS_EXITED = "process exited: the process running it stopped before the run finished";

/** Why the run of a lease that is being taken over ends: its lease expired, or its process is gone. */
export const takeoverReason = (lease: { expiresAt: string }, now: Date): string =>
  Date.parse(lease.expiresAt) <= now.getTime() ? LEASE_EXPIRED : PROCESS_EXITED;

/**
 * A run whose lease was taken over while it was still `running` (it expired, or its process is
 * gone): it crashed or overran; it ends failed with `reason`.
 */
export async function expireRun(
  ctx: Pick<WorkerDependencies, "runs" | "progress" | "audit" | "metrics" | "now">,
  tenantId: string,
  runId: string,
  reason: string = LEASE_EXPIRED,
): Promise<void> {
  const run = await ctx.runs.get(tenantId, runId);
  if (run?.status !== "running") return;
  const progress = await ctx.progress.read(tenantId, runId);
  const finished = ctx.now();
  const won = await ctx.runs.complete(tenantId, runId, {
    status: "failed",
    counts: countsOf(progress),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - Date.parse(run.startedAt),
    reason,
  });
  if (won) {
    await ctx.audit.record(tenantId, { action: "run expired", runId, detail: { reason } }, finished);
    ctx.metrics.count(METRICS.runFinished, 1, {
      [DIMENSIONS.tenant]: tenantId,
      [DIMENSIONS.status]: "failed",
    });
    ctx.metrics.count(METRICS.runFailed, 1, { [DIMENSIONS.tenant]: tenantId });
  }
}
