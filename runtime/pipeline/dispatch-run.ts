import { createHash } from "node:crypto";
import { FULL_RANGE } from "../siesa/index.js";
import { RunAlreadyExistsError, RunNotFoundError } from "../store/errors.js";
import { zeroCounts } from "../sync/model.js";
import type { PipelineContext } from "./context.js";
import type { SyncRequest } from "./messages.js";
import { takeLease } from "./start-run.js";

export type DispatchOutcome =
  | { kind: "started"; runId: string }
  | { kind: "already-finished"; runId: string }
  | { kind: "skipped"; activeRunId: string }
  | { kind: "unknown-tenant" };

/**
 * A run id derived from the SQS message, so a redelivered request resumes the same run instead of
 * starting a second one. Same shape as newRunId(): time first, so runs sort by it.
 */
export function runIdForMessage(sentAt: Date, messageId: string): string {
  const time = sentAt.toISOString().replace(/[-:]/g, "");
  return `${time}-${createHash("sha256").update(messageId).digest("hex").slice(0, 12)}`;
}

/**
 * Starts a run for a sync request: takes the tenant's lease (or records the request as skipped on
 * the run that holds it), creates the run record and sends its first unit of Siesa work: the
 * whole id range, which extraction splits as it goes.
 */
export async function dispatchRun(
  ctx: PipelineContext,
  request: SyncRequest,
  delivery: { messageId: string; sentAt: Date },
): Promise<DispatchOutcome> {
  const tenant = await ctx.tenants.get(request.tenantId);
  if (!tenant) {
    // Retrying cannot help: the schedule or caller names a tenant this stack does not have.
    ctx.log.error("sync request for an unknown tenant dropped", { tenantId: request.tenantId });
    return { kind: "unknown-tenant" };
  }
  const now = ctx.now();
  const runId = request.runId ?? runIdForMessage(delivery.sentAt, delivery.messageId);
  // A request redelivered after its run ended must not take the lease back (it would block the
  // tenant until the lease expired): it gives back a lease it finds, and starts nothing.
  const existing = await ctx.runs.get(tenant.id, runId);
  if (existing && existing.status !== "running") {
    await ctx.lease.release(tenant.id, runId);
    ctx.log.info("sync request of a finished run ignored", { tenantId: tenant.id, runId });
    return { kind: "already-finished", runId };
  }
  const lease = await takeLease(ctx, tenant, runId, now);
  if (!lease.acquired) {
    const skipped = { trigger: request.trigger, at: now.toISOString() };
    try {
      await ctx.runs.addSkipped(tenant.id, lease.holder.runId, skipped);
    } catch (error) {
      if (!(error instanceof RunNotFoundError)) throw error;
    }
    await ctx.audit.record(tenant.id, {
      action: "sync request skipped",
      runId: lease.holder.runId,
      detail: skipped,
    });
    ctx.log.info("sync request skipped: a run is active", { tenantId: tenant.id, runId: lease.holder.runId });
    return { kind: "skipped", activeRunId: lease.holder.runId };
  }

  // The API and `npm run sync` create the run before queueing it; a redelivered request finds its own.
  if (!existing) {
    try {
      await ctx.runs.create({
        runId,
        tenantId: tenant.id,
        trigger: request.trigger,
        status: "running",
        startedAt: now.toISOString(),
        counts: zeroCounts(),
        errors: [],
      });
      await ctx.audit.record(
        tenant.id,
        { action: "run started", runId, detail: { trigger: request.trigger } },
        now,
      );
    } catch (error) {
      // A concurrent delivery of the same request created it first.
      if (!(error instanceof RunAlreadyExistsError)) throw error;
    }
  }
  // Plan before sending: a unit must never finish before it is counted as planned. Two units: the
  // whole id range, and the deactivation pass that follows the last of its pieces (deactivate.ts).
  await ctx.progress.apply(tenant.id, runId, "dispatch", { unitsPlanned: 2 });
  await ctx.queues.sendUnits(
    [{ tenantId: tenant.id, runId, unitId: "0", range: FULL_RANGE }],
    tenant.sync.concurrency,
  );
  // Dispatch never ends a run: its own count cannot complete one, and a late copy of the request that
  // finds the run awaiting its deactivation pass leaves the pass to the steps and the sweeper, whose
  // roles read the ledger (dispatch's does not).
  return { kind: "started", runId };
}
