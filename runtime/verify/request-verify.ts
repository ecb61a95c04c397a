import { type StartResult, takeLease } from "../pipeline/start-run.js";
import { newRunId } from "../store/runs.js";
import { zeroCounts } from "../sync/model.js";
import type { Tenant } from "../tenants/schema.js";
import type { RunDependencies } from "../workers/dependencies.js";

/**
 * POST /tenants/:id/verify: takes the tenant's lease, creates the verify run and queues it for the
 * verify worker (verify-run.ts), which reads the product and ends the run; `started: false` when a run
 * holds the lease. The API reads nothing of the product or the ledger. If queueing fails, the run ends failed and the lease is given back.
 */
export async function requestVerify(
  ctx: RunDependencies,
  tenant: Tenant,
  options: { repair: boolean },
): Promise<StartResult> {
  const now = ctx.now();
  const runId = newRunId(now);
  const lease = await takeLease(ctx, tenant, runId, now);
  if (!lease.acquired) return { started: false, activeRunId: lease.holder.runId };
  try {
    await ctx.runs.create({
      runId,
      tenantId: tenant.id,
      trigger: "verify",
      status: "running",
      startedAt: now.toISOString(),
      counts: zeroCounts(),
      errors: [],
    });
    await ctx.audit.record(
      tenant.id,
      { action: "run requested", runId, detail: { trigger: "verify", repair: options.repair } },
      now,
    );
    await ctx.queues.requestVerify({ tenantId: tenant.id, runId, repair: options.repair });
  } catch (error) {
    const reason = `could not start the verify: ${error instanceof Error ? error.message : String(error)}`;
    await ctx.runs
      .complete(tenant.id, runId, {
        status: "failed",
        counts: zeroCounts(),
        finishedAt: ctx.now().toISOString(),
        durationMs: 0,
        reason,
      })
      .catch(() => {});
    await ctx.lease.release(tenant.id, runId);
    throw error;
  }
  return { started: true, runId };
}
