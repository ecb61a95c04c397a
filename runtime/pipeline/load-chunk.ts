import type { ProgressDelta, RecordError } from "../sync/model.js";
import type { LedgerEntry } from "../sync/ports.js";
import type { PipelineContext } from "./context.js";
import type { Delivery } from "./extract-unit.js";
import { isRunStopping, messageOf, reportApiError } from "./failures.js";
import { finaliseIfComplete } from "./finalise.js";
import type { LoadChunk, LoadRecord } from "./messages.js";

type RecordOutcome =
  | { outcome: "created" | "updated"; entry?: LedgerEntry }
  | { outcome: "rejected" | "failed"; reason: string }
  | { outcome: "retry"; error: unknown };

/**
 * Writes one chunk of new or changed records to the product (within the tenant's concurrency) and
 * counts their outcomes as one operation. The ledger learns each new hash only after the product
 * accepted it, and before the chunk is retried, so a redelivered chunk writes only what did not go
 * through: a record this run already wrote is recognised in the ledger and not written twice.
 */
export async function loadChunk(ctx: PipelineContext, chunk: LoadChunk, delivery: Delivery): Promise<void> {
  const { tenantId, runId, chunkId } = chunk;
  const run = await ctx.runs.get(tenantId, runId);
  if (run?.status !== "running") return; // a late message of a finished run
  const op = `load:${chunkId}`;
  if (await ctx.progress.get(tenantId, runId, op)) {
    await finaliseIfComplete(ctx, tenantId, runId);
    return;
  }

  const outcomes = run.stopReason
    ? chunk.records.map(
        (): RecordOutcome => ({ outcome: "failed", reason: `run stopped: ${run.stopReason}` }),
      )
    : await writeAll(ctx, chunk);

  const written = outcomes.flatMap((o) => ("entry" in o && o.entry ? [o.entry] : []));
  if (written.length > 0) await ctx.ledger.putMany(tenantId, written);

  const retry = outcomes.find(
    (o): o is Extract<RecordOutcome, { outcome: "retry" }> => o.outcome === "retry",
  );
  if (retry && !delivery.final) throw retry.error; // back after a backoff; written records are skipped then

  // Every record has its outcome now (retries exhausted count as failed, with their last error).
  const delta: ProgressDelta = { loadsDone: 1 };
  const errors: RecordError[] = [];
  outcomes.forEach((o, i) => {
    const key = (chunk.records[i] as LoadRecord).key;
    const outcome = o.outcome === "retry" ? "failed" : o.outcome;
    delta[outcome] = (delta[outcome] ?? 0) + 1;
    if (o.outcome === "retry") errors.push({ key, outcome: "failed", reason: messageOf(o.error) });
    else if (o.outcome === "rejected" || o.outcome === "failed")
      errors.push({ key, outcome: o.outcome, reason: o.reason });
  });
  const totals = await ctx.progress.apply(tenantId, runId, op, delta);
  if (totals && errors.length > 0) await ctx.runs.addErrors(tenantId, runId, errors);
  await finaliseIfComplete(ctx, tenantId, runId, totals);
  if (retry) throw retry.error; // the final delivery failed: the chunk goes on to the loads DLQ
}

async function writeAll(ctx: PipelineContext, chunk: LoadChunk): Promise<RecordOutcome[]> {
  const { tenantId, runId } = chunk;
  const known = await ctx.ledger.getMany(
    tenantId,
    chunk.records.map((r) => r.key),
  );
  const { tenant, clients } = await ctx.tenantClients(tenantId);
  let refused: string | undefined;
  return Promise.all(
    chunk.records.map(async (message): Promise<RecordOutcome> => {
      const done = known.get(message.key);
      if (done && done.runId === runId && done.hash === message.hash) {
        return { outcome: done.outcome ?? "updated" };
      }
      return ctx.productSlot(tenant, async (): Promise<RecordOutcome> => {
        if (refused) return { outcome: "failed", reason: refused };
        try {
          const record = { key: message.key, externalId: message.externalId, payload: message.payload };
          const result = await clients.product.write(record, message.knownProductId);
          if (result.outcome === "rejected") return { outcome: "rejected", reason: result.reason };
          const entry: LedgerEntry = {
            key: message.key,
            hash: message.hash,
            productId: result.productId,
            runId,
            updatedAt: ctx.now().toISOString(),
            outcome: result.outcome,
          };
          return { outcome: result.outcome, entry };
        } catch (error) {
          reportApiError(ctx, tenantId, runId, error);
          if (isRunStopping(error)) {
            // Credentials refused for good: this run writes nothing more.
            refused ??= messageOf(error);
            await ctx.runs.requestStop(tenantId, runId, refused);
            return { outcome: "failed", reason: refused };
          }
          return { outcome: "retry", error };
        }
      });
    }),
  );
}
