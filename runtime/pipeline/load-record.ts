import type { LedgerEntry, RunRecord } from "../sync/ports.js";
import type { PipelineContext } from "./context.js";
import type { Delivery } from "./extract-unit.js";
import { isRunStopping, messageOf, reportApiError } from "./failures.js";
import { finaliseIfComplete } from "./finalise.js";
import type { LoadRecord } from "./messages.js";

/**
 * What a batch of load messages shares: its runs and the ledger entries of its records, each read
 * once per batch instead of once per record.
 */
export class LoadBatch {
  readonly #runs = new Map<string, Promise<RunRecord | undefined>>();
  readonly #ledger = new Map<string, Promise<Map<string, LedgerEntry>>>();

  constructor(
    private readonly ctx: PipelineContext,
    readonly records: readonly LoadRecord[],
  ) {}

  run(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    const id = `${tenantId}/${runId}`;
    let run = this.#runs.get(id);
    if (!run) {
      run = this.ctx.runs.get(tenantId, runId);
      this.#runs.set(id, run);
    }
    return run;
  }

  async ledgerEntry(tenantId: string, key: string): Promise<LedgerEntry | undefined> {
    let entries = this.#ledger.get(tenantId);
    if (!entries) {
      const keys = this.records.filter((r) => r.tenantId === tenantId).map((r) => r.key);
      entries = this.ctx.ledger.getMany(tenantId, keys);
      this.#ledger.set(tenantId, entries);
    }
    return (await entries).get(key);
  }

  /** Every run this batch touched, once: to finalise those that are now complete. */
  runsTouched(): { tenantId: string; runId: string }[] {
    const seen = new Map(this.records.map((r) => [`${r.tenantId}/${r.runId}`, r]));
    return [...seen.values()].map(({ tenantId, runId }) => ({ tenantId, runId }));
  }
}

/**
 * Writes one new or changed record to the product and records its outcome once. The ledger learns
 * the new hash only after the product accepted it; a redelivered message whose write already
 * happened is recognised in the ledger and not written twice.
 */
export async function loadRecord(
  ctx: PipelineContext,
  message: LoadRecord,
  delivery: Delivery,
  batch: LoadBatch,
): Promise<void> {
  const { tenantId, runId, key } = message;
  const run = await batch.run(tenantId, runId);
  if (!run || run.status !== "running") return; // a late message of a finished run
  const op = `rec:${key}`;
  const fail = async (reason: string) => {
    if (await ctx.progress.apply(tenantId, runId, op, { failed: 1 })) {
      await ctx.runs.addErrors(tenantId, runId, [{ key, outcome: "failed", reason }]);
    }
  };
  if (run.stopReason) return fail(`run stopped: ${run.stopReason}`);

  const written = await batch.ledgerEntry(tenantId, key);
  if (written && written.runId === runId && written.hash === message.hash) {
    await ctx.progress.apply(tenantId, runId, op, { [written.outcome ?? "updated"]: 1 });
    return;
  }

  try {
    const { clients } = await ctx.tenantClients(tenantId);
    const record = { key, externalId: message.externalId, payload: message.payload };
    const result = await clients.product.write(record, message.knownProductId);
    if (result.outcome === "rejected") {
      if (await ctx.progress.apply(tenantId, runId, op, { rejected: 1 })) {
        await ctx.runs.addErrors(tenantId, runId, [{ key, outcome: "rejected", reason: result.reason }]);
      }
      return;
    }
    const entry: LedgerEntry = {
      key,
      hash: message.hash,
      productId: result.productId,
      runId,
      updatedAt: ctx.now().toISOString(),
      outcome: result.outcome,
    };
    await ctx.ledger.putMany(tenantId, [entry]);
    await ctx.progress.apply(tenantId, runId, op, { [result.outcome]: 1 });
  } catch (error) {
    reportApiError(ctx, tenantId, runId, error);
    if (isRunStopping(error)) {
      await ctx.runs.requestStop(tenantId, runId, messageOf(error));
      return fail(messageOf(error));
    }
    if (!delivery.final) throw error; // SQS delivers it again after a backoff
    // Retries exhausted: counted failed with its last error; SQS moves the message to the DLQ.
    await fail(messageOf(error));
    throw error;
  }
}

/** After a batch: end the runs it completed. */
export async function finaliseTouchedRuns(ctx: PipelineContext, batch: LoadBatch): Promise<void> {
  for (const { tenantId, runId } of batch.runsTouched()) await finaliseIfComplete(ctx, tenantId, runId);
}
