import { zeroCounts } from "../domain/model.js";
import { DEFAULT_STREAM, streamField, streamOf, streamScope } from "../domain/stream.js";
import type { Tenant } from "../domain/tenant.js";
import { allOk, keptReport, type VerifyReport, type VerifyRunReport } from "../domain/verify-report.js";
import { longestCallMs } from "../ports/call-policy.js";
import type { RunDependencies, WorkerDependencies } from "../ports/dependencies.js";
import type { VerifyRequest } from "../ports/messages.js";
import type { RunEnd } from "../ports/pipeline.js";
import type { ProductReader } from "../ports/product.js";
import type { TenantCredentials } from "../ports/tenant-clients.js";
import { closeRun } from "../steps/close-run.js";
import { expireRun } from "../steps/expire-run.js";
import { raiseRunEnd, runEndFactsOf } from "../steps/raise-events.js";
import { startRun } from "../steps/start-run.js";
import { markForRepair, repairable } from "./repair.js";
import { VerifyOutOfTimeError, verifyTenant } from "./verify.js";
import type { VerifiedStream } from "./verify-target.js";

/**
 * A verify as a run (POST /tenants/:id/verify), of one stream (default the catalogue; warehouses: the
 * product's locations): the API takes the stream's lease, records the run
 * (trigger `verify`) and queues it (request-verify.ts), answering at once; the verify worker reads the
 * product back and compares it with the ledger (`verifyRun`), holding the lease so no sync writes
 * meanwhile (its writes would read as drift), and ends the run with its report: `succeeded` when every
 * record is ok, `partial` with differences, `failed` when it could not read or ran out of time. With
 * `repair`, the missing and drifted records are marked in the ledger and a normal run with trigger
 * `repair` is started once the lease is free; the report names that run.
 */

/** The verify's product calls: quick to give up, so that one page's longest time stays short. */
export const VERIFY_POLICY = { retryAttempts: 1, timeoutMs: 10_000, maxDelayMs: 1_000, rateLimitRetries: 1 };
/** The longest one list page can take: a login, the page, and after a 401 a new login and the page again. */
export const PAGE_WORST_MS = 4 * longestCallMs(VERIFY_POLICY);
/** Kept at the end of the worker's time: marking what to repair, ending the run, the lease, the repair run. */
export const END_RESERVE_MS = 20_000;
/** The most records one verify marks for repair, so that its ledger reads and writes stay well inside END_RESERVE_MS. */
export const MAX_REPAIR_MARKS = 10_000;

/** Why a verify run whose worker stopped (timed out, crashed) before ending it is ended by another. */
export const VERIFY_DIED =
  "the verify's worker stopped before it ended the run (the function timed out or crashed)";

/** What reads the stream's records back from the product, under the verify's call policy. */
function productReader(
  tenant: Tenant,
  credentials: TenantCredentials,
  stream: VerifiedStream,
  ctx: WorkerDependencies,
): ProductReader {
  if (stream === DEFAULT_STREAM) return ctx.clientsFor(tenant, credentials, VERIFY_POLICY).product;
  const { reader } = ctx.streamClientsFor(tenant, credentials, stream, VERIFY_POLICY);
  if (!reader) throw new Error(`the ${stream} stream of tenant ${tenant.id} has no product to read back`);
  return reader;
}

/**
 * The verify worker's part, for one verify request. It reads while a page still fits before the
 * earlier of the invocation's deadline and the lease's expiry, less END_RESERVE_MS, so it always ends
 * its run and gives the lease back itself. A request whose run ended is dropped; one whose run lost
 * its lease (an earlier delivery died after giving it back, or it expired) ends the run failed.
 */
export async function verifyRun(
  ctx: WorkerDependencies,
  request: VerifyRequest,
  delivery: { deadline?: number },
): Promise<void> {
  const { tenantId, runId } = request;
  const stream: VerifiedStream = request.stream ?? DEFAULT_STREAM;
  // The stream's lease: its syncs do not write while it reads.
  const scope = streamScope(tenantId, stream);
  const run = await ctx.runs.get(tenantId, runId);
  if (run?.status !== "running") {
    // A delivery that died after ending the run may have told nobody, and the verify gives its lease
    // back before ending the run, so no sweep raises its events again: this does (delivered once by id).
    if (run) await raiseRunEnd(ctx, runEndFactsOf(run));
    await ctx.lease.release(scope, runId);
    ctx.log.info("verify request of a finished run ignored", { tenantId, runId });
    return;
  }
  const lease = await ctx.lease.current(scope);
  const tenant = await ctx.tenants.get(tenantId);
  if (lease?.runId !== runId || !tenant) {
    await expireRun(ctx, tenantId, runId, tenant ? VERIFY_DIED : `tenant ${tenantId} is not deployed`);
    if (lease?.runId === runId) await ctx.lease.release(scope, runId);
    return;
  }

  const started = ctx.now();
  // The invocation's deadline is on the process clock; what is left of it is counted on ctx's.
  const endBy = Math.min(
    delivery.deadline === undefined
      ? Number.POSITIVE_INFINITY
      : started.getTime() + delivery.deadline - Date.now(),
    Date.parse(lease.expiresAt),
  );
  let end: VerifyEnd;
  let marked = 0;
  try {
    const credentials = await ctx.credentials.forTenant(tenant);
    const report = await verifyTenant({
      tenant,
      stream,
      product: productReader(tenant, credentials, stream, ctx),
      ledger: ctx.ledger,
      now: ctx.now,
      ...(Number.isFinite(endBy) ? { deadline: { at: endBy - END_RESERVE_MS, pageMs: PAGE_WORST_MS } } : {}),
    });
    if (request.repair && repairable(report) > 0) marked = await markSome(ctx, report);
    end = ending(report);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    end = {
      status: "failed",
      reason:
        error instanceof VerifyOutOfTimeError
          ? `verify ran out of time: ${message}`
          : `verify could not read the product: ${message}`,
    };
  } finally {
    await ctx.lease.release(scope, runId);
  }

  if (end.verify && request.repair) {
    const found = repairable(end.verify);
    const repair = await startRepair(ctx, tenant, stream, marked, found);
    const left = found - marked;
    const partly =
      left > 0 && marked > 0
        ? `marked the first ${marked}: verify with repair again for the other ${left}`
        : undefined;
    const reason = [repair.reason, partly].filter(Boolean).join("; ");
    end.verify.repair = { ...repair, ...(reason ? { reason } : {}) };
  }
  await closeRun(ctx, run, {
    ...end,
    counts: zeroCounts(),
    audit: {
      action: "verified",
      detail: { status: end.status, ...(end.verify ? { counts: end.verify.counts } : {}) },
    },
  });
}

/** Marks the first MAX_REPAIR_MARKS records to repair (a bigger mismatch is repaired over several verifies). */
function markSome(ctx: RunDependencies, report: VerifyReport): Promise<number> {
  const toRepair = report.differences.filter((d) => d.status === "missing" || d.status === "drifted");
  const first = new Set(toRepair.slice(0, MAX_REPAIR_MARKS));
  return markForRepair(
    ctx.ledger,
    { ...report, differences: report.differences.filter((d) => first.has(d)) },
    ctx.now(),
  );
}

/** A verify request in its dead-letter queue: its run ends failed and its lease is given back. */
export async function settleVerify(ctx: RunDependencies, request: VerifyRequest): Promise<void> {
  const ended = await expireRun(ctx, request.tenantId, request.runId, VERIFY_DIED);
  if (!ended) {
    // Its last delivery may have died after ending the run, before telling anyone (as verifyRun).
    const run = await ctx.runs.get(request.tenantId, request.runId);
    if (run) await raiseRunEnd(ctx, runEndFactsOf(run));
  }
  await ctx.lease.release(streamScope(request.tenantId, streamOf(request)), request.runId);
}

/** How a verify run ends, but for its time (the end of the run sets it). */
type VerifyEnd = Omit<RunEnd, "finishedAt" | "durationMs">;

function ending(report: VerifyReport): VerifyEnd {
  const { missing, drifted, unknown } = report.counts;
  return {
    status: allOk(report) ? "succeeded" : "partial",
    ...(allOk(report)
      ? {}
      : { reason: `not ok: ${missing} missing, ${drifted} drifted, ${unknown} unknown` }),
    verify: keptReport(report) as VerifyRunReport,
  };
}

/** The stream's repair run, once the verify gave the lease back; a run that took it meanwhile repairs them too. */
async function startRepair(
  ctx: RunDependencies,
  tenant: Tenant,
  stream: VerifiedStream,
  marked: number,
  found: number,
): Promise<NonNullable<VerifyRunReport["repair"]>> {
  if (marked === 0 && found > 0)
    return {
      marked,
      // markForRepair leaves (and the ledger refuses) a mark on an entry written since the verify read it.
      reason: `marked none of the ${found} found: a run wrote them since this verify read them (verify again to see them now)`,
    };
  if (marked === 0) return { marked, reason: "nothing to repair" };
  const repair = await startRun(ctx, tenant, "repair", streamField(stream));
  return repair.started
    ? { marked, runId: repair.runId }
    : {
        marked,
        runId: repair.activeRunId,
        reason: "a run was already active: it rewrites the marked records",
      };
}
