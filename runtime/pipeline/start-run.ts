import type { Lease } from "../store/lease.js";
import { newRunId } from "../store/runs.js";
import { zeroCounts } from "../sync/model.js";
import type { RunRecord, RunTrigger } from "../sync/ports.js";
import type { Tenant } from "../tenants/schema.js";
import type { RunDependencies } from "../workers/dependencies.js";
import { expireRun, takeoverReason } from "./expire-run.js";

export type LeaseResult = { acquired: true } | { acquired: false; holder: Lease };

/**
 * Takes the tenant's lease for `runId` (one run per tenant). A lease left by a run that crashed (it
 * expired, or locally its process is gone) is taken over, and that run ends failed with the reason;
 * one left by a run that had ended is given back first.
 */
export async function takeLease(
  ctx: RunDependencies,
  tenant: Tenant,
  runId: string,
  now: Date,
): Promise<LeaseResult> {
  const local = ctx.processLease;
  const acquire = () =>
    ctx.lease.acquire(tenant.id, runId, now, tenant.sync.maxRunMinutes * 60_000, {
      ...(local ? { owner: local.owner, isDead: local.isDead } : {}),
    });
  let lease = await acquire();
  // A run that ended holds nothing: the step that ended it may have died before giving its lease
  // back, and the tenant must not wait for the lease to expire (or for the sweeper).
  if (!lease.acquired && lease.holder.runId !== runId) {
    const holder = await ctx.runs.get(tenant.id, lease.holder.runId);
    if (holder && holder.status !== "running") {
      await ctx.lease.release(tenant.id, lease.holder.runId);
      lease = await acquire();
    }
  }
  if (!lease.acquired) return lease;
  if (lease.replaced)
    await expireRun(ctx, tenant.id, lease.replaced.runId, takeoverReason(lease.replaced, now));
  return { acquired: true };
}

export type StartResult = { started: true; runId: string } | { started: false; activeRunId: string };

/**
 * Starts a run on request (API, CLI): takes the lease before answering, so two concurrent triggers
 * get one run and one refusal, creates the run record, and queues the sync request dispatch picks
 * up. If queueing fails, the run ends failed and the lease is given back.
 */
export async function startRun(
  ctx: RunDependencies,
  tenant: Tenant,
  trigger: RunTrigger,
  options: { approveDeactivationsOf?: string } = {},
): Promise<StartResult> {
  if (options.approveDeactivationsOf !== undefined)
    await assertHeld(ctx, tenant, options.approveDeactivationsOf);
  return openRun(ctx, tenant, {
    trigger,
    what: "run",
    ...(options.approveDeactivationsOf !== undefined
      ? { record: { approveDeactivationsOf: options.approveDeactivationsOf } }
      : {}),
    detail: { trigger, ...options },
    send: (runId) => ctx.queues.requestSync({ tenantId: tenant.id, trigger, runId }),
  });
}

/**
 * A run's start on request, whatever runs it (a sync through dispatch, a verify through its worker):
 * the lease, the run record and its audit line, then `send` queues the work. If queueing fails, the
 * run ends failed (the reason says `could not start the <what>`) and the lease is given back.
 */
export async function openRun(
  ctx: RunDependencies,
  tenant: Tenant,
  start: {
    trigger: RunTrigger;
    what: string;
    /** Fields of the run record beyond the usual ones. */
    record?: Partial<RunRecord>;
    detail: Record<string, unknown>;
    send(runId: string): Promise<void>;
  },
): Promise<StartResult> {
  const now = ctx.now();
  const runId = newRunId(now);
  const lease = await takeLease(ctx, tenant, runId, now);
  if (!lease.acquired) return { started: false, activeRunId: lease.holder.runId };
  try {
    await ctx.runs.create({
      runId,
      tenantId: tenant.id,
      trigger: start.trigger,
      status: "running",
      startedAt: now.toISOString(),
      counts: zeroCounts(),
      errors: [],
      ...start.record,
    });
    await ctx.audit.record(tenant.id, { action: "run requested", runId, detail: start.detail }, now);
    await start.send(runId);
  } catch (error) {
    const reason = `could not start the ${start.what}: ${error instanceof Error ? error.message : String(error)}`;
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

/** An approval that names no set: the run does not exist for this tenant, or held nothing. */
export class ApprovalError extends Error {
  override readonly name = "ApprovalError";
}

/**
 * The run an approval names must be this tenant's and have held deactivations: the new run then
 * applies what it finds only if that is the held set or part of it (deactivate.ts).
 */
async function assertHeld(ctx: RunDependencies, tenant: Tenant, runId: string): Promise<void> {
  const run = await ctx.runs.get(tenant.id, runId);
  if (!run) throw new ApprovalError(`run ${runId} of tenant ${tenant.id} does not exist`);
  if (!run.heldDeactivations?.fingerprint)
    throw new ApprovalError(
      `run ${runId} of tenant ${tenant.id} held no deactivations${run.status === "running" ? " (it is still running)" : ""}`,
    );
}
