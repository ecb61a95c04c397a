import { countsOf } from "../domain/run-status.js";
import type { WorkerDependencies } from "../ports/dependencies.js";
import { closeRun } from "./close-run.js";

/** Why a run whose lease was taken over ended failed. */
export const LEASE_EXPIRED =
  "the run did not finish within the tenant's maximum run duration (lease expired)";
export const PROCESS_EXITED = "process exited: the process running it stopped before the run finished";

/** Why the run of a lease that is being taken over ends: its lease expired, or its process is gone. */
export const takeoverReason = (lease: { expiresAt: string }, now: Date): string =>
  Date.parse(lease.expiresAt) <= now.getTime() ? LEASE_EXPIRED : PROCESS_EXITED;

/**
 * A run that ends failed with `reason` before its work did (its lease was taken over or expired, its
 * request or verify died): its counts are what its operations reached. Returns whether this call
 * ended it.
 */
export async function expireRun(
  ctx: Pick<
    WorkerDependencies,
    "runs" | "progress" | "lease" | "audit" | "metrics" | "log" | "now" | "tenants" | "notifier"
  >,
  tenantId: string,
  runId: string,
  reason: string = LEASE_EXPIRED,
): Promise<boolean> {
  const run = await ctx.runs.get(tenantId, runId);
  if (run?.status !== "running") return false;
  const progress = await ctx.progress.read(tenantId, runId);
  return closeRun(ctx, run, {
    status: "failed",
    counts: countsOf(progress),
    reason,
    audit: { action: "run expired", detail: { reason } },
  });
}
