import type { ProgressDelta, RecordError } from "../sync/model.js";
import type { LedgerEntry, RunRecord } from "../sync/ports.js";
import type { PipelineContext } from "./context.js";
import type { Delivery } from "./extract-unit.js";
import { isRunStopping, messageOf, reportApiError } from "./failures.js";
import { finaliseIfComplete } from "./finalise.js";
import type { LoadRecord } from "./messages.js";

/** A record's outcome, held until the batch ends and then stored with the batch's others. */
interface PendingOutcome {
  message: LoadRecord;
  delta: ProgressDelta;
  /** The ledger entry of a write the product accepted. */
  entry?: LedgerEntry;
  error?: RecordError;
}

/**
 * What a batch of load messages shares: its runs and the ledger entries of its records, each read
 * once per batch, and the outcomes, stored once per batch (one ledger BatchWrite, one progress
 * update per shard) instead of once per record.
 */
export class LoadBatch {
  readonly #runs = new Map<string, Promise<RunRecord | undefined>>();
  readonly #ledger = new Map<string, Promise<Map<string, LedgerEntry>>>();
  readonly #outcomes: PendingOutcome[] = [];

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

  record(outcome: PendingOutcome): void {
    this.#outcomes.push(outcome);
  }

  /**
   * Stores the batch's outcomes before SQS is told the messages are done: ledger first (a redelivered
   * message then finds its write), then the counts, each once per record, then the first errors.
   * If this throws, the whole batch is delivered again and nothing is counted twice.
   */
  async flush(): Promise<void> {
    const outcomes = this.#outcomes.splice(0);
    const byTenant = groupBy(outcomes, (o) => o.message.tenantId);
    for (const [tenantId, group] of byTenant) {
      const entries = group.flatMap((o) => (o.entry ? [o.entry] : []));
      if (entries.length > 0) await this.ctx.ledger.putMany(tenantId, entries);
    }
    for (const group of groupBy(outcomes, (o) => `${o.message.tenantId}/${o.message.runId}`).values()) {
      const { tenantId, runId } = (group[0] as PendingOutcome).message;
      const applied = await this.ctx.progress.applyMany(
        tenantId,
        runId,
        group.map((o) => ({ opId: `rec:${o.message.key}`, delta: o.delta })),
      );
      const errors = group.flatMap((o) => (o.error && applied.has(`rec:${o.message.key}`) ? [o.error] : []));
      if (errors.length > 0) await this.ctx.runs.addErrors(tenantId, runId, errors);
    }
  }

  /** Every run this batch touched, once: to finalise those that are now complete. */
  runsTouched(): { tenantId: string; runId: string }[] {
    const seen = new Map(this.records.map((r) => [`${r.tenantId}/${r.runId}`, r]));
    return [...seen.values()].map(({ tenantId, runId }) => ({ tenantId, runId }));
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

/**
 * Writes one new or changed record to the product and records its outcome (stored with the batch).
 * The ledger learns the new hash only after the product accepted it; a redelivered message whose
 * write already happened is recognised in the ledger and not written twice.
 */
export async function loadRecord(
  ctx: PipelineContext,
  message: LoadRecord,
  delivery: Delivery,
  batch: LoadBatch,
): Promise<void> {
  const { tenantId, runId, key } = message;
  const run = await batch.run(tenantId, runId);
  if (run?.status !== "running") return; // a late message of a finished run
  const failed = (reason: string) =>
    batch.record({ message, delta: { failed: 1 }, error: { key, outcome: "failed", reason } });
  if (run.stopReason) return failed(`run stopped: ${run.stopReason}`);

  const written = await batch.ledgerEntry(tenantId, key);
  if (written && written.runId === runId && written.hash === message.hash) {
    return batch.record({ message, delta: { [written.outcome ?? "updated"]: 1 } });
  }

  try {
    const { tenant, clients } = await ctx.tenantClients(tenantId);
    const record = { key, externalId: message.externalId, payload: message.payload };
    const result = await ctx.productSlot(tenant, () => clients.product.write(record, message.knownProductId));
    if (result.outcome === "rejected") {
      return batch.record({
        message,
        delta: { rejected: 1 },
        error: { key, outcome: "rejected", reason: result.reason },
      });
    }
    batch.record({
      message,
      delta: { [result.outcome]: 1 },
      entry: {
        key,
        hash: message.hash,
        productId: result.productId,
        runId,
        updatedAt: ctx.now().toISOString(),
        outcome: result.outcome,
      },
    });
  } catch (error) {
    reportApiError(ctx, tenantId, runId, error);
    if (isRunStopping(error)) {
      await ctx.runs.requestStop(tenantId, runId, messageOf(error));
      return failed(messageOf(error));
    }
    if (!delivery.final) throw error; // SQS delivers it again after a backoff
    // Retries exhausted: counted failed with its last error; SQS moves the message to the DLQ.
    failed(messageOf(error));
    throw error;
  }
}

/** After a batch: store its outcomes, then end the runs it completed. */
export async function finishLoadBatch(ctx: PipelineContext, batch: LoadBatch): Promise<void> {
  await batch.flush();
  for (const { tenantId, runId } of batch.runsTouched()) await finaliseIfComplete(ctx, tenantId, runId);
}
