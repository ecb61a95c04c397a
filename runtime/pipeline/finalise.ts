import { DIMENSIONS, METRICS } from "../observability/metric-names.js";
import { addTally, DEFAULT_DRIFT, driftReason, mayDrift, type RuleTally } from "../sync/drift.js";
import type { Progress, RecordError, RunRecord } from "../sync/model.js";
import { awaitsDeactivationPass, countsOf, isComplete, judgeRun, type RunFacts } from "../sync/run-status.js";
import type { PipelineContext } from "./context.js";
import { DEACTIVATION_OP, type DeactivationDecision, requestDeactivationPass } from "./deactivate.js";
import { operationData, UNIT_DATA } from "./operation-data.js";

export { countsOf };

/**
 * Ends the run once every unit and record is accounted for: status, duration and final counts on the
 * run record, lease released, an audit entry and the run's metrics. Any worker may call it after its
 * own update; exactly one call wins. Returns true for that one. A run whose extraction and loads are
 * done goes through the deactivation pass first: a message to the extract worker, the one function
 * that may ask Siesa to confirm an absence (its chunks, or the pass itself, then end the run).
 */
export async function finaliseIfComplete(
  ctx: PipelineContext,
  tenantId: string,
  runId: string,
  /** The totals an apply just returned; read when absent. */
  known?: Progress,
): Promise<boolean> {
  const seen = known ?? (await ctx.progress.read(tenantId, runId));
  if (!isComplete(seen) && !awaitsDeactivationPass(seen)) return false;
  const run = await ctx.runs.get(tenantId, runId);
  if (run?.status !== "running") return false;
  // The counter may be short of an operation whose worker died between marker and count (it would
  // say complete too early): the markers' sum decides. The pass sums them itself before it counts.
  const progress = isComplete(seen)
    ? await ctx.progress.sum(tenantId, runId)
    : await requestDeactivationPass(ctx, tenantId, runId);
  if (!progress || !isComplete(progress)) return false;

  const counts = countsOf(progress);
  const facts = await runFacts(ctx, tenantId, runId, run, progress);
  const { status, reason } = judgeRun(progress, facts);
  const finished = ctx.now();
  const durationMs = finished.getTime() - Date.parse(run.startedAt);
  const won = await ctx.runs.complete(tenantId, runId, {
    status,
    counts,
    finishedAt: finished.toISOString(),
    durationMs,
    ...(reason ? { reason } : {}),
    ...(facts.held ? { heldDeactivations: facts.held } : {}),
  });
  if (!won) return false;

  await ctx.lease.release(tenantId, runId);
  await ctx.audit.record(
    tenantId,
    { action: "run finished", runId, detail: { status, counts, reason } },
    finished,
  );
  const tenant = { [DIMENSIONS.tenant]: tenantId };
  ctx.metrics.count(METRICS.runFinished, 1, { ...tenant, [DIMENSIONS.status]: status });
  ctx.metrics.count(METRICS.runFailed, status === "failed" ? 1 : 0, tenant);
  ctx.metrics.count(METRICS.runDrift, facts.drift ? 1 : 0, tenant);
  ctx.metrics.seconds(METRICS.runDuration, durationMs / 1000, tenant);
  ctx.metrics.count(METRICS.recordsCreated, counts.created, tenant);
  ctx.metrics.count(METRICS.recordsUpdated, counts.updated, tenant);
  ctx.metrics.count(METRICS.recordsUnchanged, counts.unchanged, tenant);
  ctx.metrics.count(METRICS.recordsRejected, counts.rejected, tenant);
  ctx.metrics.count(METRICS.recordsFailed, counts.failed, tenant);
  ctx.metrics.count(METRICS.recordsDeactivated, counts.deactivated, tenant);
  ctx.metrics.count(METRICS.recordsReactivated, counts.reactivated, tenant);
  ctx.log.info("run finished", {
    tenantId,
    runId,
    status,
    counts,
    durationMs,
    ...(reason ? { reason } : {}),
  });
  return true;
}

/** What judges the run besides its counts: why it stopped, drift, deactivations held. */
async function runFacts(
  ctx: PipelineContext,
  tenantId: string,
  runId: string,
  run: RunRecord,
  progress: Progress,
): Promise<RunFacts> {
  const stopReason = run.stopReason ?? unreadReason(progress.unitsFailed, run.errors);
  const pass = (await ctx.progress.get(tenantId, runId, DEACTIVATION_OP))?.data as
    | DeactivationDecision
    | undefined;
  const held = pass?.held
    ? {
        count: Number(pass.found),
        limit: Number(pass.limit),
        ...(pass.fingerprint ? { fingerprint: pass.fingerprint } : {}),
        keys: pass.keys ?? [],
        ...(pass.unconfirmed ? { unconfirmed: true } : {}),
      }
    : undefined;
  const drift = await driftOf(ctx, tenantId, runId, progress);
  return {
    ...(stopReason ? { stopReason } : {}),
    ...(drift ? { drift } : {}),
    ...(held ? { held } : {}),
    ...(pass?.failed ? { deactivationFailed: pass.failed } : {}),
  };
}

/** "drift: …" when one rule rejected most rows; the units' and chunks' tallies are read only then. */
async function driftOf(
  ctx: PipelineContext,
  tenantId: string,
  runId: string,
  progress: Progress,
): Promise<string | undefined> {
  const tenant = await ctx.tenants.get(tenantId);
  const settings = tenant?.sync.drift ?? DEFAULT_DRIFT;
  if (!mayDrift(progress.extracted, progress.rejected, settings)) return undefined;
  const tally: RuleTally = {};
  for await (const data of operationData(ctx.progress, tenantId, runId, [...UNIT_DATA, "load:"]))
    addTally(tally, data.rules as RuleTally | undefined);
  return driftReason(tally, progress.extracted, settings);
}

/** Why a run whose units of Siesa work gave up ends failed: the error itself, for the usual one unit. */
function unreadReason(unitsFailed: number, errors: readonly RecordError[]): string | undefined {
  if (unitsFailed === 0) return undefined;
  const first = errors.find((e) => e.key.startsWith("unit "))?.reason;
  if (unitsFailed === 1 && first) return first;
  return `${unitsFailed} units of Siesa work could not be read${first ? `; the first: ${first}` : ""}`;
}
