import { zeroCounts } from "../domain/model.js";
import { newRunId } from "../domain/run-id.js";
import {
  DEFAULT_STREAM,
  type StreamName,
  streamField,
  streamOf,
  streamRefusal,
  streamScope,
} from "../domain/stream.js";
import type { Tenant } from "../domain/tenant.js";
import type { RunDependencies } from "../ports/dependencies.js";
import type { Lease } from "../ports/pipeline.js";
import type { RunRecord, RunTrigger } from "../ports/records.js";
import { RunAlreadyExistsError } from "../ports/store-errors.js";
import { closeRun, countRunEnd } from "./close-run.js";
import { expireRun, takeoverReason } from "./expire-run.js";
import { raiseRunEnd, runEndFactsOf } from "./raise-events.js";
import { lastCompleteRun } from "./stream-runs.js";

type LeaseResult = { acquired: true } | { acquired: false; holder: Lease };

/**
 * Takes the tenant's lease for `runId` (one run per tenant). A lease left by a run that crashed (it
 * expired, or locally its process is gone) is taken over, and that run ends failed with the reason;
 * one left by a run that had ended is given back first.
 */
async function takeLease(
  ctx: RunDependencies,
  tenant: Tenant,
  stream: StreamName,
  runId: string,
  now: Date,
): Promise<LeaseResult> {
  const local = ctx.processLease;
  // One lease per tenant and stream: a stock run does not wait for the catalogue's.
  const scope = streamScope(tenant.id, stream);
  const acquire = () =>
    ctx.lease.acquire(scope, runId, now, tenant.sync.maxRunMinutes * 60_000, {
      ...(local ? { owner: local.owner, isDead: local.isDead } : {}),
    });
  let lease = await acquire();
  // A run that ended holds nothing: the step that ended it may have died before giving its lease
  // back, and the tenant must not wait for the lease to expire (or for the sweeper).
  if (!lease.acquired && lease.holder.runId !== runId) {
    const holder = await ctx.runs.get(tenant.id, lease.holder.runId);
    if (holder && holder.status !== "running") {
      await ctx.lease.release(scope, lease.holder.runId);
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
 * up. If queueing fails, the run ends failed and the lease is given back. `item`: a run of that one
 * f120_id (dispatch-run.ts reads it from the run), refused like any other while a run holds the lease.
 */
export async function startRun(
  ctx: RunDependencies,
  tenant: Tenant,
  trigger: RunTrigger,
  options: { approveDeactivationsOf?: string; item?: number; stream?: StreamName } = {},
): Promise<StartResult> {
  const stream = options.stream ?? DEFAULT_STREAM;
  if (options.approveDeactivationsOf !== undefined)
    await assertHeld(ctx, tenant, stream, options.approveDeactivationsOf);
  return openRun(ctx, tenant, {
    trigger,
    stream,
    what: options.item !== undefined ? `run of item ${options.item}` : "run",
    record: {
      ...(options.approveDeactivationsOf !== undefined
        ? { approveDeactivationsOf: options.approveDeactivationsOf }
        : {}),
      ...(options.item !== undefined ? { item: options.item } : {}),
    },
    detail: { trigger, ...options },
    send: (runId) => ctx.queues.requestSync({ tenantId: tenant.id, trigger, runId, ...streamField(stream) }),
  });
}

/**
 * The start of every run, whatever triggers it (the schedule through dispatch, the API, the CLI, a
 * verify, a repair): takes the tenant's lease (one run per tenant), creates the run record and its
 * audit entry, then `send` queues the run's first work. Nothing else creates a run or takes a lease.
 *
 * A start on request gets a new run id; if queueing fails, the run ends failed (the reason says
 * `could not start the <what>`) and the error is thrown. A start whose message SQS may deliver again
 * (the schedule's) passes the id it derives from that message: a later delivery, or a copy at the
 * same time, opens the same run and sends its work again, so a failure is left to that delivery
 * (and to settle after the last).
 */
export async function openRun(
  ctx: RunDependencies,
  tenant: Tenant,
  start: {
    trigger: RunTrigger;
    /** The stream the run syncs (default: the catalogue); one run per tenant and stream at a time. */
    stream?: StreamName;
    what: string;
    /** The id a redelivered message derives again; a new one when absent. */
    runId?: string;
    /** Fields of the run record beyond the usual ones. */
    record?: Partial<RunRecord>;
    detail: Record<string, unknown>;
    send(runId: string): Promise<void>;
  },
): Promise<StartResult> {
  const now = ctx.now();
  const runId = start.runId ?? newRunId(now);
  const stream = start.stream ?? DEFAULT_STREAM;
  // Callers answer a refusal in their own words first; this start never takes a lease for one.
  const refusal = streamRefusal(tenant, stream);
  if (refusal) throw new StreamRefusedError(refusal);
  const lease = await takeLease(ctx, tenant, stream, runId, now);
  if (!lease.acquired) return { started: false, activeRunId: lease.holder.runId };
  // Read once the lease is held: no run of the stream can complete meanwhile. What it read is what
  // this run's units cut their ranges on, and what the stock snapshot serves until this run completes.
  const baseline = await lastCompleteRun(ctx.runs, tenant.id, stream);
  // A derived id (a schedule's request) is its message's time. Runs are ordered by id (the ledger's
  // writes, baselines, the stock snapshot's values): one must not open behind a complete run that
  // started since (the request waited, or its first delivery died). A run already opened under it
  // (a copy of the request) goes on.
  if (start.runId !== undefined && baseline && baseline.runId > runId) {
    if (!(await ctx.runs.get(tenant.id, runId))) {
      await ctx.lease.release(streamScope(tenant.id, stream), runId);
      throw new StaleRequestError(runId, baseline.runId);
    }
  }
  const run: RunRecord = {
    runId,
    tenantId: tenant.id,
    ...streamField(stream),
    trigger: start.trigger,
    status: "running",
    startedAt: now.toISOString(),
    counts: zeroCounts(),
    errors: [],
    ...(baseline ? { baselineRunId: baseline.runId } : {}),
    ...start.record,
  };
  if (start.runId !== undefined) {
    await createOnce(ctx, run, start.detail);
    await start.send(runId);
    return { started: true, runId };
  }
  try {
    await ctx.runs.create(run);
    await ctx.audit.record(tenant.id, { action: "run requested", runId, detail: start.detail }, now);
    await start.send(runId);
  } catch (error) {
    const reason = `could not start the ${start.what}: ${error instanceof Error ? error.message : String(error)}`;
    await closeRun(ctx, run, {
      status: "failed",
      counts: zeroCounts(),
      reason,
      audit: { action: "run not started", detail: { reason } },
    }).catch(() => {});
    await ctx.lease.release(streamScope(tenant.id, stream), runId);
    throw error;
  }
  return { started: true, runId };
}

/** Creates a run a redelivered message may have created already (or a copy of it, at the same time). */
async function createOnce(ctx: RunDependencies, run: RunRecord, detail: Record<string, unknown>) {
  try {
    await ctx.runs.create(run);
  } catch (error) {
    if (error instanceof RunAlreadyExistsError) return;
    throw error;
  }
  await ctx.audit.record(
    run.tenantId,
    { action: "run started", runId: run.runId, detail },
    new Date(run.startedAt),
  );
}

/**
 * A run whose start never happened: the sync request whose every delivery died before it opened the
 * run (settle.ts). It is recorded ended failed, so a scheduled sync that could not start shows in
 * the tenant's history; it takes no lease.
 */
export async function recordUnstartedRun(
  ctx: Pick<RunDependencies, "runs" | "audit" | "now" | "metrics" | "tenants" | "notifier" | "log">,
  start: { tenantId: string; runId: string; trigger: RunTrigger; stream?: StreamName },
  reason: string,
): Promise<void> {
  const now = ctx.now().toISOString();
  const run: RunRecord = {
    ...start,
    status: "failed",
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
    counts: zeroCounts(),
    errors: [],
    reason,
  };
  await ctx.runs.create(run);
  // Counted as any run's end (closeRun), once: a second delivery's create fails before it counts.
  countRunEnd(ctx, start.tenantId, "failed", undefined, zeroCounts());
  await ctx.audit.record(start.tenantId, { action: "run expired", runId: start.runId, detail: { reason } });
  // Told as any run's end is (closeRun): the tenant learns its scheduled sync did not happen.
  await raiseRunEnd(ctx, runEndFactsOf(run));
}

/** A request whose derived run id sorts before a complete run of its stream that started since (openRun). */
export class StaleRequestError extends Error {
  override readonly name = "StaleRequestError";
  constructor(
    readonly runId: string,
    readonly newerRunId: string,
  ) {
    super(`the request's run ${runId} would sort before run ${newerRunId}, which completed since`);
  }
}

/** A run of a stream the tenant may not sync yet (streamRefusal), with why. */
export class StreamRefusedError extends Error {
  override readonly name = "StreamRefusedError";
}

/** An approval that names no set: the run does not exist for this tenant, or held nothing. */
export class ApprovalError extends Error {
  override readonly name = "ApprovalError";
}

/**
 * The run an approval names must be this tenant's and have held deactivations: the new run then
 * applies what it finds only if that is the held set or part of it (deactivate.ts).
 */
async function assertHeld(
  ctx: RunDependencies,
  tenant: Tenant,
  stream: StreamName,
  runId: string,
): Promise<void> {
  const run = await ctx.runs.get(tenant.id, runId);
  if (!run) throw new ApprovalError(`run ${runId} of tenant ${tenant.id} does not exist`);
  if (streamOf(run) !== stream)
    throw new ApprovalError(
      `run ${runId} of tenant ${tenant.id} synced the ${streamOf(run)}, not the ${stream}`,
    );
  if (!run.heldDeactivations?.fingerprint)
    throw new ApprovalError(
      `run ${runId} of tenant ${tenant.id} held no deactivations${run.status === "running" ? " (it is still running)" : ""}`,
    );
}
