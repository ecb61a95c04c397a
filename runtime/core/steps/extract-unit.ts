import type { Progress, RecordError, SourceRecord } from "../domain/model.js";
import { scopeOfRun, streamOf } from "../domain/stream.js";
import type { Tenant } from "../domain/tenant.js";
import { ExternalCallError } from "../ports/call-errors.js";
import type { ExtractUnit } from "../ports/messages.js";
import type { AppliedOperation, Delivery } from "../ports/pipeline.js";
import type { RunRecord } from "../ports/records.js";
import {
  type ExtractOptions,
  halvesOf,
  type KeyRange,
  type RangeResult,
  type SiesaReader,
} from "../ports/siesa.js";
import { afterProgress } from "./after-progress.js";
import { baselineKeys } from "./baseline-keys.js";
import type { PipelineContext, TenantAndClients } from "./context.js";
import { diffRecords } from "./diff.js";
import { FAILED_UNITS_BEFORE_STOP, givenUp, isRunStopping, messageOf, reportApiError } from "./failures.js";
import { loadChunks, placeChunks } from "./load-chunks.js";
import { planOp, rangesOf, splitOp, unitOp } from "./operation-data.js";
import { giveUpReason, returnByOf } from "./run-end.js";
import { countUnreported, planData, plannedChunks, repeatChunks } from "./unit-plan.js";

/**
 * One unit of Siesa work: a range of item ids. A range too big for a few pages is split into child
 * units (sent back to the units queue); a range that fits is mapped and compared with the ledger,
 * its changed records sent to the loads queue in chunks, the rest counted `unchanged` or `rejected`.
 * Applied once per unit id, whatever the number of deliveries, and a retry repeats the first
 * delivery's decisions: the same children, the same chunks.
 */
export async function extractUnit(
  ctx: PipelineContext,
  unit: ExtractUnit,
  delivery: Delivery,
): Promise<void> {
  const { tenantId, runId, unitId } = unit;
  const run = await ctx.recentRun(tenantId, runId);
  if (run?.status !== "running") return; // a late message of a finished run
  const op = unitOp(unitId);
  // Only a redelivery, or a copy its sender sent again, can find an earlier copy's work: the first
  // delivery of a first send does not pay the reads for it.
  const again = delivery.receiveCount > 1 || unit.resent === true;
  // A redelivery that already ran is skipped (every count is conditional anyway; this saves its work).
  if (again && (await ctx.progress.get(tenantId, runId, op))) {
    await afterProgress(ctx, tenantId, runId);
    return;
  }
  // A split decided (and counted) by an earlier delivery is sent again as it was: Siesa reorders
  // rows on every request, so cutting the range anew would give other children and could lose ids
  // between them.
  const decided = again ? await ctx.progress.get(tenantId, runId, splitOp(unitId)) : undefined;
  if (decided) {
    await sendChildren(ctx, unit, rangesOf(decided), { resent: true });
    await afterProgress(ctx, tenantId, runId);
    return;
  }
  // Likewise a unit whose records an earlier delivery planned is read whole now: were it split, its
  // children would extract and count those records a second time.
  const planned = again ? await ctx.progress.get(tenantId, runId, planOp(unitId)) : undefined;
  // A retry that ends its unit without sending the chunks an earlier delivery planned (and may not
  // have sent) counts those that never reported failed, or the run would wait for them until its
  // lease expired.
  const endPlan = async (reason: string) => {
    if (planned) await countUnreported(ctx, tenantId, runId, plannedChunks(unitId, planned), reason);
  };
  if (run.stopReason) {
    await endPlan(`run stopped: ${run.stopReason}`);
    await afterProgress(
      ctx,
      tenantId,
      runId,
      await ctx.progress.apply(tenantId, runId, op, { unitsDone: 1 }),
    );
    return;
  }

  let result: RangeResult;
  let clients: TenantAndClients;
  try {
    clients = await ctx.tenantClients(tenantId, streamOf(run));
    try {
      // What the last complete run read here, for a reader to cut the range on (read only if asked).
      const options: ExtractOptions = planned
        ? { split: false }
        : { known: () => baselineKeys(ctx.progress, run, unit) };
      result = await readPaced(ctx, unit, run, clients.clients.siesa, options);
    } catch (error) {
      const halves = planned ? undefined : halvesUnderRateLimit(error, unit.range);
      if (!halves) throw error;
      result = halves;
    }
  } catch (error) {
    reportApiError(ctx, tenantId, runId, error);
    if (isRunStopping(error)) {
      await ctx.runs.requestStop(tenantId, runId, messageOf(error));
      await endPlan(messageOf(error));
      const stopped = await ctx.progress.apply(tenantId, runId, op, { unitsDone: 1, unitsFailed: 1 });
      await afterProgress(ctx, tenantId, runId, stopped);
      return;
    }
    // SQS delivers it again after a backoff, within the run; a wait that would outlive it is not waited for.
    const by = await returnByOf(ctx, tenantId, runId, "extract");
    const reason = giveUpReason(error, delivery, by, ctx.now().getTime());
    if (reason === undefined) throw error;
    // Retries exhausted (or no time for them): the unit is given up (its records were never read, so
    // the run cannot succeed), and a streak of such units stops the run.
    const streak = await ctx.runs.unitOutcome(tenantId, runId, true);
    if (streak >= FAILED_UNITS_BEFORE_STOP) {
      await ctx.runs.requestStop(tenantId, runId, `${streak} units of Siesa work failed in a row: ${reason}`);
    }
    await endPlan(reason);
    const where = `${unit.range.within ? `${unit.range.within}, ` : ""}f120_id ${unit.range.from}..${unit.range.to}`;
    const gaveUp = {
      key: `unit ${unitId} (${where})`,
      outcome: "failed" as const,
      reason,
      step: "extract" as const,
    };
    // Stored before the count, as every exception: a death after counting leaves it stored.
    await ctx.runs.putExceptions(tenantId, runId, [gaveUp]);
    const failed = await ctx.progress.apply(tenantId, runId, op, { unitsDone: 1, unitsFailed: 1 });
    if (failed) await ctx.runs.addErrors(tenantId, runId, [gaveUp]);
    await afterProgress(ctx, tenantId, runId, failed);
    // Counted: the message is done (the DLQ would first hold the tenant's FIFO slot a visibility timeout).
    givenUp(ctx, "units", tenantId, runId, reason);
    return;
  }

  let totals: Progress | undefined;
  if (result.kind === "split") {
    // One operation plans the children and counts this unit done, before the children are sent: a
    // child must never finish before it is counted. Should this delivery die before sending them,
    // the next one (or settle, after the last) finds the operation and sends them.
    const { ranges } = result;
    totals = await ctx.progress.apply(
      tenantId,
      runId,
      splitOp(unitId),
      { unitsPlanned: ranges.length, unitsDone: 1 },
      { ranges },
    );
    // A concurrent delivery decided first: send its children, not ours.
    const children = totals ? ranges : rangesOf(await ctx.progress.get(tenantId, runId, splitOp(unitId)));
    await sendChildren(ctx, unit, children, { tenant: clients.tenant, resent: again || !totals });
  } else if (planned) {
    totals = await repeatPlan(ctx, run, unit, planned, result.records, clients);
  } else {
    // Records this run already wrote count as changed again, so a retry sends the same chunks. A run
    // of one item writes it even if the ledger says the product has it: the operator asked for it.
    const rewrite = run.item !== undefined;
    const diff = await diffRecords(
      scopeOfRun(run),
      result.records,
      clients.clients.mapper,
      ctx.ledger,
      runId,
      rewrite,
    );
    const { concurrency } = clients.tenant.sync;
    const chunks = await placeChunks(
      ctx.progress,
      loadChunks(tenantId, runId, unitId, diff.changed, concurrency),
    );
    // The unit's records are counted, and its chunks planned, before the loads go out (as a split
    // plans its children): should its last delivery die after sending them, settle finds this plan
    // and counts the chunks that never reported, so no chunk's outcomes lack their extracted records.
    // Kept with the plan: the keys the unit read (the deactivation pass finds what no unit
    // returned), each chunk's keys (a retry sends them again), and the rules its rejections broke
    // (drift). A few pages at most.
    const counts = {
      extracted: result.records.length,
      unchanged: diff.unchanged,
      rejected: diff.rejected.length,
    };
    const kept = {
      keys: result.records.map((r) => r.key).join(","),
      ...(diff.rejected.length > 0 ? { rules: diff.rules } : {}),
    };
    // The rejected records are stored before they are counted: a death after counting leaves them stored.
    if (diff.rejected.length > 0) await ctx.runs.putExceptions(tenantId, runId, diff.rejected);
    if (chunks.length === 0 && !again) {
      // Nothing to load (an unchanged catalogue): no loads to plan, so one operation counts it all.
      // (A retry takes the plan path below, in case its first delivery had planned loads.)
      totals = await ctx.progress.apply(tenantId, runId, op, { unitsDone: 1, ...counts }, kept);
      if (totals && diff.rejected.length > 0) await ctx.runs.addErrors(tenantId, runId, diff.rejected);
    } else {
      const planOnce = await ctx.progress.apply(
        tenantId,
        runId,
        planOp(unitId),
        { ...counts, loadsPlanned: chunks.length },
        { ...kept, ...planData(chunks) },
      );
      if (planOnce) {
        if (diff.rejected.length > 0) await ctx.runs.addErrors(tenantId, runId, diff.rejected);
        if (again) await clearAccepted(ctx, unit, result.records, diff.rejected);
        await ctx.queues.sendLoads(chunks, concurrency);
        totals = await ctx.progress.apply(tenantId, runId, op, { unitsDone: 1 });
      } else {
        // A concurrent delivery planned first: its plan stands.
        const plan = await ctx.progress.get(tenantId, runId, planOp(unitId));
        totals = await repeatPlan(ctx, run, unit, plan, result.records, clients);
      }
    }
  }
  if (run.failedUnitStreak) await ctx.runs.unitOutcome(tenantId, runId, false);
  await afterProgress(ctx, tenantId, runId, totals);
}

/**
 * The unit's range, read after any pause of Siesa calls another worker recorded on the run (the run
 * is read before the first call anyway); a pause this worker learnt from Siesa's rate-limit headers
 * is recorded on the run for the others' next units, once per unit and only when it is later than
 * the run's. Recording it is an optimisation: should it fail, the others learn from Siesa's headers.
 */
async function readPaced(
  ctx: PipelineContext,
  unit: ExtractUnit,
  run: RunRecord,
  siesa: SiesaReader,
  options: ExtractOptions,
): Promise<RangeResult> {
  const { pace } = siesa;
  if (pace && run.siesaPausedUntil !== undefined) pace.pauseUntil(run.siesaPausedUntil);
  const pausedBefore = pace?.pausedUntil();
  try {
    return await siesa.extractRange(unit.range, options);
  } catch (error) {
    // Refused by a pause that stood before the read and still stands: no call was made, and halves
    // would meet the same pause and be cut again, down to single ids.
    if (pausedBefore !== undefined && pace?.pausedUntil() === pausedBefore && error instanceof Error)
      beforeFirstCall.add(error);
    throw error;
  } finally {
    const until = pace?.pausedUntil();
    if (until !== undefined && until > (run.siesaPausedUntil ?? 0)) {
      await ctx.runs.pauseSiesa(unit.tenantId, unit.runId, until).catch((error: unknown) => {
        ctx.log.warn("siesa pause not recorded on the run", {
          tenantId: unit.tenantId,
          runId: unit.runId,
          error: messageOf(error),
        });
      });
    }
  }
}

/** Rate-limit errors a unit met before its first Siesa call (readPaced): they are handed back whole. */
const beforeFirstCall = new WeakSet<Error>();

/**
 * A unit whose reads do not fit in one invocation under Siesa's rate limit (a wait for the window's
 * reset longer than the time left) is cut into the two halves of its id range rather than handed
 * back whole: handed back, it would read its range from the start again, and never fit; halves do,
 * down to one id if need be. The calls it made are spent. A unit whose records an earlier delivery
 * planned is read whole (its plan names them), so it is handed back as before, and so is a unit
 * refused before its first call by a pause that stood when it began: its halves would only meet it too.
 */
export function halvesUnderRateLimit(error: unknown, range: KeyRange): RangeResult | undefined {
  if (!(error instanceof ExternalCallError) || error.status !== "rate-limit") return undefined;
  if (beforeFirstCall.has(error)) return undefined;
  // A stock unit's halves stay within its warehouse; a unit cut on known rows keeps its leaves.
  const halves = halvesOf(range);
  return halves ? { kind: "split", ranges: halves } : undefined;
}

/**
 * A retried unit whose plan this delivery decided: an earlier delivery that died before planning may
 * have stored exceptions of records no longer rejected (Siesa edited them since), which go. After the
 * plan, not before: until then another copy's plan may stand, and its loads' exceptions with it.
 */
async function clearAccepted(
  ctx: PipelineContext,
  unit: ExtractUnit,
  records: readonly SourceRecord[],
  rejected: readonly RecordError[],
): Promise<void> {
  const refused = new Set(rejected.map((e) => e.key));
  const cleared = records.map((r) => r.key).filter((key) => !refused.has(key));
  if (cleared.length > 0) await ctx.runs.putExceptions(unit.tenantId, unit.runId, [], cleared);
}

/** Why a retry counts failed the chunks of a plan that stored their sizes only. */
export const SIZES_ONLY_REASON =
  "its unit was retried, and its plan (from before plans named their records) cannot say which records to send again; the next run decides";

/**
 * A retry of a unit whose first delivery planned its chunks: the plan's decision stands, whatever
 * Siesa answers now (`records`). Each planned chunk is sent again (the same operation, so it is
 * counted once whichever copy arrives first) with exactly the records it named, read again for their
 * current payload; a named record Siesa no longer returns is counted failed with its chunk; a record
 * the plan does not name (new since, or counted unchanged or rejected then) waits for the next run.
 */
async function repeatPlan(
  ctx: PipelineContext,
  run: RunRecord,
  unit: ExtractUnit,
  plan: AppliedOperation | undefined,
  records: readonly SourceRecord[],
  { tenant, clients }: TenantAndClients,
): Promise<Progress | undefined> {
  const { tenantId, runId, unitId } = unit;
  const planned = plannedChunks(unitId, plan);
  if (planned.every((chunk) => chunk.keys)) {
    const chunks = await repeatChunks(
      { tenantId, runId, partition: scopeOfRun(run) },
      planned,
      records,
      clients.mapper,
      ctx.ledger,
    );
    await ctx.queues.sendLoads(chunks, tenant.sync.concurrency);
  } else {
    await countUnreported(ctx, tenantId, runId, planned, SIZES_ONLY_REASON);
  }
  return ctx.progress.apply(tenantId, runId, unitOp(unitId), { unitsDone: 1 });
}

/**
 * Sends a split unit's children (the same ids on every send); `resent` when an earlier send of them
 * may have happened (a retry, settle).
 */
export async function sendChildren(
  ctx: PipelineContext,
  unit: ExtractUnit,
  ranges: readonly KeyRange[],
  options: { tenant?: Tenant; resent: boolean },
): Promise<void> {
  const { tenantId, runId, unitId } = unit;
  const { concurrency } = (options.tenant ?? (await ctx.tenantClients(tenantId)).tenant).sync;
  await ctx.queues.sendUnits(
    ranges.map((range, i) => ({
      tenantId,
      runId,
      unitId: `${unitId}.${i}`,
      range,
      ...(options.resent ? { resent: true as const } : {}),
    })),
    concurrency,
  );
}
