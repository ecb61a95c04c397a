import { createHash } from "node:crypto";
import { DEFAULT_STREAM, type StreamName, syncsStream } from "../domain/stream.js";
import type { Tenant } from "../domain/tenant.js";
import type { SyncRequest } from "../ports/messages.js";
import { FULL_RANGE } from "../ports/siesa.js";
import { RunNotFoundError } from "../ports/store-errors.js";
import type { PipelineContext } from "./context.js";
import { openRun, StaleRequestError, StreamRefusedError } from "./start-run.js";

export type DispatchOutcome =
  | { kind: "started"; runId: string }
  | { kind: "already-finished"; runId: string }
  | { kind: "unknown-run"; runId: string }
  | { kind: "skipped"; activeRunId: string }
  | { kind: "unknown-tenant" }
  | { kind: "unknown-stream"; stream: StreamName }
  | { kind: "refused-stream"; reason: string }
  | { kind: "stale"; newerRunId: string };

/**
 * A run id derived from the SQS message, so a redelivered request resumes the same run instead of
 * starting a second one. Same shape as newRunId(): time first, so runs sort by it.
 */
export function runIdForMessage(sentAt: Date, messageId: string): string {
  const time = sentAt.toISOString().replace(/[-:]/g, "");
  return `${time}-${createHash("sha256").update(messageId).digest("hex").slice(0, 12)}`;
}

/**
 * The dispatch worker's part of a sync request: a run's first unit of Siesa work, the whole id
 * range, which extraction splits as it goes. The API, the CLI and a repair open their run before
 * they queue its request (start-run.ts); the schedule's request names no run, so dispatch opens it
 * here, through the same start (or records the request as skipped on the run that holds the
 * lease). Dispatch takes no lease and creates no run of its own: a request naming a run that does
 * not exist is dropped.
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
  const stream = request.stream ?? DEFAULT_STREAM;
  if (!syncsStream(tenant, stream)) {
    // Nor can it here: a schedule left from a file that has dropped the stream (until `pulumi up`).
    ctx.log.error("sync request for a stream the tenant does not sync dropped", {
      tenantId: tenant.id,
      stream,
    });
    return { kind: "unknown-stream", stream };
  }
  const runId = request.runId ?? runIdForMessage(delivery.sentAt, delivery.messageId);
  const run = await ctx.runs.get(tenant.id, runId);
  if (!run && request.runId !== undefined) {
    // Retrying cannot help either: whoever sent it opens its run before sending.
    ctx.log.error("sync request for a run that does not exist dropped", { tenantId: tenant.id, runId });
    return { kind: "unknown-run", runId };
  }
  if (run && run.status !== "running") {
    ctx.log.info("sync request of a finished run ignored", { tenantId: tenant.id, runId });
    return { kind: "already-finished", runId };
  }
  if (run) {
    await sendFirstUnit(ctx, tenant, runId, run.item);
    return { kind: "started", runId };
  }
  let opened: Awaited<ReturnType<typeof openRun>>;
  try {
    opened = await openRun(ctx, tenant, {
      trigger: request.trigger,
      stream,
      what: stream === DEFAULT_STREAM ? "run" : `${stream} run`,
      runId,
      detail: { trigger: request.trigger },
      send: (id) => sendFirstUnit(ctx, tenant, id),
    });
  } catch (error) {
    if (error instanceof StreamRefusedError) {
      // Nor here: a schedule resumed by hand, or left from before the rule; the reason names the fix.
      ctx.log.error("sync request for a stream the tenant may not sync yet dropped", {
        tenantId: tenant.id,
        stream,
        reason: error.message,
      });
      return { kind: "refused-stream", reason: error.message };
    }
    if (!(error instanceof StaleRequestError)) throw error;
    // A later run of the stream completed since: the schedule fires again. Noted on that run, as a
    // request that finds a run active is.
    await recordSkipped(ctx, tenant.id, error.newerRunId, request.trigger, "a later run completed since");
    return { kind: "stale", newerRunId: error.newerRunId };
  }
  if (opened.started) return { kind: "started", runId };
  await recordSkipped(ctx, tenant.id, opened.activeRunId, request.trigger);
  return { kind: "skipped", activeRunId: opened.activeRunId };
}

/** A request that starts nothing (another run holds the lease, or completed since): noted on that run. */
async function recordSkipped(
  ctx: PipelineContext,
  tenantId: string,
  activeRunId: string,
  trigger: SyncRequest["trigger"],
  why = "a run is active",
): Promise<void> {
  const skipped = { trigger, at: ctx.now().toISOString() };
  try {
    await ctx.runs.addSkipped(tenantId, activeRunId, skipped);
  } catch (error) {
    if (!(error instanceof RunNotFoundError)) throw error;
  }
  await ctx.audit.record(tenantId, { action: "sync request skipped", runId: activeRunId, detail: skipped });
  ctx.log.info(`sync request skipped: ${why}`, { tenantId, runId: activeRunId });
}

/**
 * Plans and sends the run's first unit. Planned before it is sent: a unit must never finish before
 * it is counted as planned. Two units: the whole id range (or the one id of a run of one `item`),
 * and the deactivation pass that follows the last of its pieces (deactivate.ts).
 */
async function sendFirstUnit(
  ctx: PipelineContext,
  tenant: Tenant,
  runId: string,
  item?: number,
): Promise<void> {
  const first = await ctx.progress.apply(tenant.id, runId, "dispatch", { unitsPlanned: 2 });
  // A delivery that finds the run planned sends its first unit again: marked, as its copy may
  // arrive after FIFO's deduplication window and find an earlier copy's work.
  await ctx.queues.sendUnits(
    [
      {
        tenantId: tenant.id,
        runId,
        unitId: "0",
        range: item !== undefined ? { from: item, to: item + 1 } : FULL_RANGE,
        ...(first ? {} : { resent: true as const }),
      },
    ],
    tenant.sync.concurrency,
  );
  // Dispatch never ends a run: its own count cannot complete one, and a late copy of the request that
  // finds the run awaiting its deactivation pass leaves the pass to the steps and the sweeper, whose
  // roles read the ledger (dispatch's does not).
}
