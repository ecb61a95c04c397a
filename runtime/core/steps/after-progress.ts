import { addTally, DEFAULT_DRIFT, driftReason, mayDrift, type RuleTally } from "../domain/drift.js";
import type { Progress, RecordError, RunRecord } from "../domain/model.js";
import {
  awaitsDeactivationPass,
  countsOf,
  isComplete,
  judgeRun,
  type RunFacts,
} from "../domain/run-status.js";
import { DIMENSIONS, METRICS } from "../observability/metric-names.js";
import { closeRun } from "./close-run.js";
import type { PipelineContext } from "./context.js";
import { DEACTIVATION_OP, decisionOf } from "./deactivation-decision.js";
import { operationData, UNIT_DATA } from "./operation-data.js";

/**
 * What every step of a run calls once it has counted its operation (or found it counted): is the
 * run's work done, and if so its next phase. The phases: every unit of Siesa work and every load
 * done, the deactivation pass is requested (deactivate.ts); the pass decided and its chunks done,
 * the run is closed with the status its totals judge (close-run.ts). Steps report progress only;
 * this is the one place that moves a run on. Returns true when this call ended the run.
 *
 * `totals` are what the step's own operation just returned (read from the counter when absent).
 * Each operation gets the totals of its own addition, so exactly one step sees the work done and
 * requests the pass; a repeat (a redelivery, settle, the sweeper) that finds the pass undecided
 * requests it again, since the step that requested it may have died first: the pass's message has
 * one deduplication id per run, and its decision is one operation.
 */
export async function afterProgress(
  ctx: PipelineContext,
  tenantId: string,
  runId: string,
  totals?: Progress,
): Promise<boolean> {
  const seen = totals ?? (await ctx.progress.read(tenantId, runId));
  if (!isComplete(seen) && !awaitsDeactivationPass(seen)) return false;
  const run = await ctx.runs.get(tenantId, runId);
  if (run?.status !== "running") return false;
  if (!isComplete(seen) && !(await ctx.progress.get(tenantId, runId, DEACTIVATION_OP))) {
    // The pass asks Siesa, which only the extract worker may: a message of its own on the units queue.
    const tenant = await ctx.tenants.get(tenantId);
    await ctx.queues.sendDeactivationPass(
      { tenantId, runId, pass: "deactivation" },
      tenant?.sync.concurrency ?? 1,
    );
    return false;
  }
  // The counter may be short of an operation whose worker died between marker and count (it would
  // say complete too early): the markers' sum decides. (A pass decided already may have died before
  // it could end the run.)
  const progress = await ctx.progress.sum(tenantId, runId);
  if (!isComplete(progress)) return false;
  return endRun(ctx, run, progress);
}

/** A complete run, judged by its totals and facts, closed, and its metrics counted. */
async function endRun(ctx: PipelineContext, run: RunRecord, progress: Progress): Promise<boolean> {
  const { tenantId, runId } = run;
  const counts = countsOf(progress);
  const { facts, keptAsLastKnown } = await runFacts(ctx, tenantId, runId, run, progress);
  const { status, reason } = judgeRun(progress, facts);
  const won = await closeRun(ctx, run, {
    status,
    counts,
    ...(reason ? { reason } : {}),
    ...(facts.held ? { heldDeactivations: facts.held } : {}),
    ...(readEverything(run, progress, facts, keptAsLastKnown) ? { complete: true as const } : {}),
    audit: { action: "run finished", detail: { status, counts, reason } },
  });
  if (!won) return false;
  // The run's other end metrics are closeRun's, as for a run ended any other way.
  ctx.metrics.count(METRICS.runDrift, facts.drift ? 1 : 0, { [DIMENSIONS.tenant]: tenantId });
  return true;
}

/**
 * Whether the run leaves a complete read in the ledger (RunRecord.complete): every unit read, every
 * record's outcome reached without failure, its absences decided and applied. Rejected records do
 * not make it incomplete (the mapping refused what Siesa holds: the next read is no better), nor
 * does a held set whose records keep their last known values (`keptAsLastKnown`, stock's snapshot).
 */
function readEverything(run: RunRecord, p: Progress, facts: RunFacts, keptAsLastKnown: boolean): boolean {
  return (
    run.item === undefined &&
    !facts.stopReason &&
    !facts.drift &&
    (!facts.held || keptAsLastKnown) &&
    !facts.deactivationFailed &&
    p.failed === 0 &&
    p.deactivationsFailed === 0
  );
}

/**
 * What judges the run besides its counts: why it stopped, drift, deactivations held; and whether a
 * held set keeps its records' last known values.
 */
async function runFacts(
  ctx: PipelineContext,
  tenantId: string,
  runId: string,
  run: RunRecord,
  progress: Progress,
): Promise<{ facts: RunFacts; keptAsLastKnown: boolean }> {
  const stopReason =
    run.stopReason ??
    unreadReason(progress.unitsFailed, run.errors) ??
    (await missingItemReason(ctx, run, progress));
  const pass = decisionOf((await ctx.progress.get(tenantId, runId, DEACTIVATION_OP))?.data);
  const held = pass.held
    ? {
        count: Number(pass.found),
        limit: Number(pass.limit),
        ...(pass.fingerprint ? { fingerprint: pass.fingerprint } : {}),
        keys: pass.keys ?? [],
        ...(pass.unconfirmed ? { unconfirmed: true } : {}),
      }
    : undefined;
  const drift = await driftOf(ctx, tenantId, runId, progress);
  const facts = {
    ...(stopReason ? { stopReason } : {}),
    ...(drift ? { drift } : {}),
    ...(held ? { held } : {}),
    ...(pass.failed ? { deactivationFailed: pass.failed } : {}),
  };
  return { facts, keptAsLastKnown: pass.keptAsLastKnown === true };
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

/** Why a run of one item that Siesa did not return fails: the item named, and where it was looked for. */
async function missingItemReason(
  ctx: PipelineContext,
  run: RunRecord,
  progress: Progress,
): Promise<string | undefined> {
  if (run.item === undefined || progress.extracted > 0) return undefined;
  const company = (await ctx.tenants.get(run.tenantId))?.siesa.erpCompany;
  return `item ${run.item} not found in Siesa${company !== undefined ? ` (ERP company ${company})` : ""}`;
}

/** Why a run whose units of Siesa work gave up ends failed: the error itself, for the usual one unit. */
function unreadReason(unitsFailed: number, errors: readonly RecordError[]): string | undefined {
  if (unitsFailed === 0) return undefined;
  const first = errors.find((e) => e.key.startsWith("unit "))?.reason;
  if (unitsFailed === 1 && first) return first;
  return `${unitsFailed} units of Siesa work could not be read${first ? `; the first: ${first}` : ""}`;
}
