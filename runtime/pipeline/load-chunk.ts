import { retryAfterOf } from "../http/errors.js";
import type { ProgressDelta, RecordError } from "../sync/model.js";
import type { LedgerEntry } from "../sync/ports.js";
import type { PipelineContext } from "./context.js";
import type { Delivery } from "./extract-unit.js";
import { givenUp, isRunStopping, messageOf, reportApiError } from "./failures.js";
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
    : await writeAll(ctx, chunk, delivery.deadline);

  const written = outcomes.flatMap((o) => ("entry" in o && o.entry ? [o.entry] : []));
  if (written.length > 0) await ctx.ledger.putMany(tenantId, written);

  // A product that asked to be left alone for a while decides when the chunk comes back.
  const retries = outcomes.filter(
    (o): o is Extract<RecordOutcome, { outcome: "retry" }> => o.outcome === "retry",
  );
  const retry = retries.find((o) => retryAfterOf(o.error) !== undefined) ?? retries[0];
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
  // The final delivery failed and its records are counted: the message is done. Sending it on to the
  // dead-letter queue would hold the tenant's FIFO slot for a whole visibility timeout first.
  if (retry) givenUp(ctx, "loads", tenantId, runId, messageOf(retry.error));
}

/** No write starts with less than this left before the function is stopped (a write may take long). */
export const DEADLINE_MARGIN_MS = 15_000;

export class DeadlineError extends Error {
  override readonly name = "DeadlineError";
}

async function writeAll(ctx: PipelineContext, chunk: LoadChunk, deadline?: number): Promise<RecordOutcome[]> {
  const { tenantId, runId } = chunk;
  const known = await ctx.ledger.getMany(
    tenantId,
    chunk.records.map((r) => r.key),
  );
  const { tenant, clients } = await ctx.tenantClients(tenantId);
  let refused: string | undefined;
  let throttled: unknown;

  const writeOne = async (message: LoadRecord): Promise<RecordOutcome> => {
    const done = known.get(message.key);
    if (done && done.runId === runId && done.hash === message.hash)
      return { outcome: done.outcome ?? "updated" };
    if (refused) return { outcome: "failed", reason: refused };
    if (throttled) return { outcome: "retry", error: throttled }; // knocking again would only be refused
    // Close to the function's deadline: this record waits for the next delivery instead of being cut
    // off mid-write; what was written so far goes to the ledger first.
    if (deadline !== undefined && Date.now() > deadline - DEADLINE_MARGIN_MS) {
      return {
        outcome: "retry",
        error: new DeadlineError("the invocation's time ran out before this record"),
      };
    }
    try {
      const record = { key: message.key, externalId: message.externalId, payload: message.payload };
      const result = await ctx.productSlot(tenant, () =>
        clients.product.write(record, message.knownProductId),
      );
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
      if (retryAfterOf(error) !== undefined) throttled = error;
      return { outcome: "retry", error };
    }
  };

  // One write at a time: the chunk's message group is one of the tenant's `concurrency` slots, so the
  // tenant has at most that many writes in flight anywhere.
  const outcomes: RecordOutcome[] = [];
  for (const message of chunk.records) outcomes.push(await writeOne(message));
  return outcomes;
}
