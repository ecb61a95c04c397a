import type { RangeResult } from "../siesa/index.js";
import { diffRecords } from "../sync/diff.js";
import type { PipelineContext, TenantAndClients } from "./context.js";
import { FAILED_UNITS_BEFORE_STOP, isRunStopping, messageOf, reportApiError } from "./failures.js";
import { finaliseIfComplete } from "./finalise.js";
import type { ExtractUnit, LoadRecord } from "./messages.js";

export interface Delivery {
  /** No more deliveries after this one: a failure now is final. */
  final: boolean;
}

/**
 * One unit of Siesa work: a range of item ids. A range too big for one page is split into child
 * units (sent back to the pages queue); a range that fits is mapped and compared with the ledger,
 * its changed records sent to the loads queue, the rest counted `unchanged` or `rejected`.
 * Applied once per unit id, whatever the number of deliveries.
 */
export async function extractUnit(
  ctx: PipelineContext,
  unit: ExtractUnit,
  delivery: Delivery,
): Promise<void> {
  const { tenantId, runId, unitId } = unit;
  const run = await ctx.runs.get(tenantId, runId);
  if (run?.status !== "running") return; // a late message of a finished run
  const op = `unit:${unitId}`;
  // A redelivered unit that was already counted must not send its children or loads again.
  if (await ctx.progress.has(tenantId, runId, op)) {
    await finaliseIfComplete(ctx, tenantId, runId);
    return;
  }
  if (run.stopReason) {
    await ctx.progress.apply(tenantId, runId, op, { unitsDone: 1 });
    await finaliseIfComplete(ctx, tenantId, runId);
    return;
  }

  let result: RangeResult;
  let clients: TenantAndClients;
  try {
    clients = await ctx.tenantClients(tenantId);
    result = await clients.clients.siesa.extractRange(unit.range);
  } catch (error) {
    reportApiError(ctx, tenantId, runId, error);
    if (isRunStopping(error)) {
      await ctx.runs.requestStop(tenantId, runId, messageOf(error));
      await ctx.progress.apply(tenantId, runId, op, { unitsDone: 1, unitsFailed: 1 });
      await finaliseIfComplete(ctx, tenantId, runId);
      return;
    }
    if (!delivery.final) throw error; // SQS delivers it again after a backoff
    // Retries exhausted: the unit is given up (its records were never read, so the run cannot
    // succeed), a streak of such units stops the run, and the message goes on to the pages DLQ.
    const streak = await ctx.runs.unitOutcome(tenantId, runId, true);
    if (streak >= FAILED_UNITS_BEFORE_STOP) {
      await ctx.runs.requestStop(
        tenantId,
        runId,
        `${streak} units of Siesa work failed in a row: ${messageOf(error)}`,
      );
    }
    if (await ctx.progress.apply(tenantId, runId, op, { unitsDone: 1, unitsFailed: 1 })) {
      const where = `f120_id ${unit.range.from}..${unit.range.to}`;
      await ctx.runs.addErrors(tenantId, runId, [
        { key: `unit ${unitId} (${where})`, outcome: "failed", reason: messageOf(error) },
      ]);
    }
    await finaliseIfComplete(ctx, tenantId, runId);
    throw error;
  }

  if (result.kind === "split") {
    // Plan the children before sending them: a child must never finish before it is counted.
    await ctx.progress.apply(tenantId, runId, `split:${unitId}`, { unitsPlanned: result.ranges.length });
    await ctx.queues.sendUnits(
      result.ranges.map((range, i) => ({ tenantId, runId, unitId: `${unitId}.${i}`, range })),
      clients.tenant.sync.concurrency,
    );
    await ctx.progress.apply(tenantId, runId, op, { unitsDone: 1 });
  } else {
    const diff = await diffRecords(tenantId, result.records, clients.clients.mapper, ctx.ledger);
    const loads: LoadRecord[] = diff.changed.map(({ record, hash, previous }) => ({
      tenantId,
      runId,
      key: record.key,
      externalId: record.externalId,
      payload: record.payload,
      hash,
      ...(previous ? { knownProductId: previous.productId } : {}),
    }));
    // Loads go out before the unit counts: `extracted` must not be complete while loads are unsent.
    await ctx.queues.sendLoads(loads);
    const applied = await ctx.progress.apply(tenantId, runId, op, {
      unitsDone: 1,
      extracted: result.records.length,
      unchanged: diff.unchanged,
      rejected: diff.rejected.length,
    });
    if (applied && diff.rejected.length > 0) await ctx.runs.addErrors(tenantId, runId, diff.rejected);
  }
  await ctx.runs.unitOutcome(tenantId, runId, false);
  await finaliseIfComplete(ctx, tenantId, runId);
}
