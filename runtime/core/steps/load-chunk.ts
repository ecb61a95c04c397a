import { productRule, type RuleTally, tallyRules } from "../domain/drift.js";
import { listedHash } from "../domain/hash.js";
import type { ProgressDelta, RecordError, RunRecord } from "../domain/model.js";
import { WORKERS } from "../domain/pipeline-config.js";
import { scopeOfRun, streamOf } from "../domain/stream.js";
import { retryAfterOf } from "../ports/call-errors.js";
import type { LoadChunk, LoadRecord } from "../ports/messages.js";
import type { ClaimResult, Delivery } from "../ports/pipeline.js";
import type { LedgerEntry } from "../ports/records.js";
import { afterProgress } from "./after-progress.js";
import type { PipelineContext } from "./context.js";
import { givenUp, isRunStopping, messageOf, reportApiError } from "./failures.js";
import { ledgerKeeper } from "./ledger-keeper.js";
import { giveUpReason, returnByOf, runEnd } from "./run-end.js";

export type RecordOutcome =
  | { outcome: "created" | "updated"; reactivated?: boolean }
  | { outcome: "deactivated" }
  | { outcome: "rejected" | "failed"; reason: string }
  | { outcome: "retry"; error: unknown };

/**
 * Writes one chunk of new or changed records to the product (within the tenant's concurrency) and
 * counts their outcomes as one operation. The ledger learns each new hash only after the product
 * accepted it, and before the chunk is retried, so a redelivered chunk writes only what did not go
 * through: a record this run already wrote is recognised in the ledger and not written twice.
 * A deactivation pass's chunk sets its records inactive the same way; its outcomes are tallied
 * (`deactivated`, `deactivationsFailed`), not counted among the extracted records'.
 */
export async function loadChunk(
  ctx: PipelineContext,
  chunk: LoadChunk,
  delivery: Delivery & { messageId?: string },
): Promise<void> {
  const { tenantId, runId } = chunk;
  const run = await ctx.recentRun(tenantId, runId);
  if (run?.status !== "running") return; // a late message of a finished run
  // A chunk counted already is done, on any delivery: a unit retried after FIFO's deduplication
  // window sends its chunks anew, and the ledger does not show the records a chunk counted failed
  // or rejected, so without this read they would be written again.
  const earlier = await earlierDeliveries(ctx, chunk, scopeOfRun(run));
  if (earlier.counted) {
    await afterProgress(ctx, tenantId, runId);
    return;
  }
  // What the ledger showed stays true while this delivery writes: a claim is held until its holder can
  // no longer write, so no other delivery wrote after that read and none writes beside this one.
  const claim = await claimChunk(ctx, chunk, delivery);
  if (!claim) return;

  // A stopping run writes nothing more; what an earlier delivery wrote keeps its outcome.
  const outcomes = run.stopReason
    ? reachedOutcomes(chunk, earlier.written, `run stopped: ${run.stopReason}`)
    : await writeAll(ctx, run, chunk, earlier.written, delivery.deadline);

  // A product that asked to be left alone for a while decides when the chunk comes back.
  const retries = outcomes.filter(
    (o): o is Extract<RecordOutcome, { outcome: "retry" }> => o.outcome === "retry",
  );
  const retry = retries.find((o) => retryAfterOf(o.error) !== undefined) ?? retries[0];
  // Only a delivery that took over a claim may find exceptions an earlier one stored: a redelivery,
  // or a copy of the chunk sent anew after FIFO's deduplication window (its first receive).
  const again = claim.after !== undefined;
  if (!retry) return countChunk(ctx, chunk, outcomes, again);
  // Back after a backoff, within the run (written records are skipped then); a wait that would
  // outlive the run is not waited for.
  const by = await returnByOf(ctx, tenantId, runId, "load");
  const now = ctx.now().getTime();
  const reason = giveUpReason(retry.error, delivery, by, now);
  if (reason === undefined) throw retry.error;

  // Every record has its outcome now: those left to retry fail, each with why it is not retried.
  await countChunk(
    ctx,
    chunk,
    outcomes.map((o) =>
      o.outcome === "retry"
        ? { outcome: "failed", reason: giveUpReason(o.error, delivery, by, now) ?? messageOf(o.error) }
        : o,
    ),
    again,
  );
  // The chunk failed for good and its records are counted: the message is done. Sending it on to the
  // dead-letter queue would hold the tenant's FIFO slot for a whole visibility timeout first.
  givenUp(ctx, "loads", tenantId, runId, reason);
}

/** How long a delivery without a deadline (in-process) holds its chunk: the load function's time. */
const CLAIM_WITHOUT_DEADLINE_MS = WORKERS.load.timeoutSeconds * 1000;

export class ChunkBusyError extends Error {
  override readonly name = "ChunkBusyError";
}

/**
 * Makes this delivery the chunk's only writer until its invocation ends: two copies of a chunk at once (one re-sent after FIFO's deduplication window
 * lands in another group) would both find a record unwritten and both create it, and a product that
 * accepts a second object with one external id (the WMS) keeps both. Another copy that holds it
 * makes this one come back later (it finds the chunk counted then); on its last delivery it leaves
 * the chunk to that copy's message, which finishes it or comes back itself. Returns the claim, or undefined
 * when this delivery is to stop.
 */
async function claimChunk(
  ctx: PipelineContext,
  chunk: LoadChunk,
  delivery: Delivery & { messageId?: string },
): Promise<Extract<ClaimResult, { claimed: true }> | undefined> {
  const now = ctx.now().getTime();
  const messageId = delivery.messageId ?? chunk.chunkId;
  const claim = {
    messageId,
    receiveCount: delivery.receiveCount,
    until: delivery.deadline ?? now + CLAIM_WITHOUT_DEADLINE_MS,
  };
  const result = await ctx.progress.claim(chunk.tenantId, chunk.runId, chunk.chunkId, claim, now);
  if (result.claimed) return result;
  if (delivery.final && result.holder.messageId !== messageId) return undefined;
  throw new ChunkBusyError(
    `load chunk ${chunk.chunkId} of run ${chunk.runId} is being written by another delivery until ${new Date(result.holder.until).toISOString()}`,
  );
}

/**
 * What earlier deliveries of a chunk left: whether one counted it, and the ledger's entries of its
 * records (what they wrote). Both are asked for at once: on DynamoDB they are one request.
 */
export async function earlierDeliveries(
  ctx: PipelineContext,
  chunk: LoadChunk,
  /** The run's ledger partition (`scopeOfRun`). */
  partition: string,
): Promise<{ counted: boolean; written: Map<string, LedgerEntry> }> {
  const { tenantId, runId, chunkId } = chunk;
  const [marker, written] = await Promise.all([
    ctx.progress.get(tenantId, runId, loadOp(chunkId)),
    ctx.ledger.getMany(
      partition,
      chunk.records.map((r) => r.key),
    ),
  ]);
  return { counted: marker !== undefined, written };
}

/**
 * What an entry a run replaces leaves for the stream's snapshot (StreamClients.keepsValues): the
 * replaced entry itself when the stream's last complete run (`baseline`) or an earlier one wrote it;
 * otherwise (an incomplete run after it wrote it) what that entry kept. Run ids sort by time.
 */
export function previousOf(
  stored: LedgerEntry | undefined,
  baseline: string | undefined,
): LedgerEntry["previous"] {
  if (!stored) return undefined;
  if (baseline !== undefined && stored.runId <= baseline)
    return {
      runId: stored.runId,
      ...(stored.values ? { values: stored.values } : {}),
      ...(stored.active === false ? { active: false as const } : {}),
    };
  return stored.previous;
}

/**
 * Counts a chunk's outcomes as its one operation, with its errors, and ends the run if it was the
 * last. The errors are stored as exceptions before the count: a delivery that dies after counting
 * leaves them stored, as its redelivery finds the chunk counted and records nothing. `again`: an
 * earlier delivery may have stored exceptions and died before counting; those of records written
 * since are removed.
 */
export async function countChunk(
  ctx: PipelineContext,
  chunk: LoadChunk,
  outcomes: RecordOutcome[],
  again: boolean,
) {
  const { tenantId, runId, chunkId } = chunk;
  const { delta, errors, data } = chunkOutcome(chunk, outcomes);
  const refused = new Set(errors.map((e) => e.key));
  const cleared = again ? chunk.records.map((r) => r.key).filter((key) => !refused.has(key)) : [];
  if (errors.length > 0 || cleared.length > 0) await ctx.runs.putExceptions(tenantId, runId, errors, cleared);
  const totals = await ctx.progress.apply(tenantId, runId, loadOp(chunkId), delta, data);
  if (totals && errors.length > 0) await ctx.runs.addErrors(tenantId, runId, errors);
  await afterProgress(ctx, tenantId, runId, totals);
}

/** The operation that counts a load chunk's outcomes. */
export const loadOp = (chunkId: string) => `load:${chunkId}`;

/**
 * A chunk's operation: its records' outcomes counted (a deactivation's apart: `deactivated` or
 * `deactivationsFailed`), their errors, and the rules the product's refusals broke (for drift: a
 * chunk's few rules, a small marker). The load step and the dead-letter consumer both count this way.
 */
function chunkOutcome(
  chunk: LoadChunk,
  outcomes: readonly RecordOutcome[],
): { delta: ProgressDelta; errors: RecordError[]; data?: { rules: RuleTally } } {
  const delta: ProgressDelta = { loadsDone: 1 };
  const errors: RecordError[] = [];
  const refusals: string[] = [];
  const add = (field: keyof ProgressDelta) => {
    delta[field] = (delta[field] ?? 0) + 1;
  };
  outcomes.forEach((o, i) => {
    const record = chunk.records[i] as LoadRecord;
    const deactivation = record.action === "deactivate";
    switch (o.outcome) {
      case "deactivated":
        add("deactivated");
        return;
      case "created":
      case "updated":
        add(o.outcome);
        if (o.reactivated) add("reactivated");
        return;
    }
    const outcome = o.outcome === "retry" ? "failed" : o.outcome;
    const reason = o.outcome === "retry" ? messageOf(o.error) : o.reason;
    add(deactivation ? "deactivationsFailed" : outcome);
    errors.push({
      key: record.key,
      outcome,
      reason: deactivation ? `deactivation: ${reason}` : reason,
      step: deactivation ? "deactivation" : "write",
      ...(record.reference ? { reference: record.reference } : {}),
    });
    if (o.outcome === "rejected" && !deactivation) refusals.push(productRule(reason));
  });
  // Named by the unit's plan, but no longer there to send when the unit was retried.
  for (const { key, reason } of chunk.unsent ?? []) {
    add("failed");
    errors.push({ key, outcome: "failed", reason, step: "extract" });
  }
  return { delta, errors, ...(refusals.length > 0 ? { data: { rules: tallyRules(refusals) } } : {}) };
}

/**
 * The outcome an earlier delivery of this chunk already reached for `record`, as the ledger shows it
 * (written by this run), or undefined: then it was not written, and may be now.
 */
export function earlierOutcome(
  done: LedgerEntry | undefined,
  record: LoadRecord,
  runId: string,
): RecordOutcome | undefined {
  if (done?.runId !== runId) return undefined;
  if (record.action === "deactivate") return done.active === false ? { outcome: "deactivated" } : undefined;
  if (done.hash === record.hash && done.active !== false)
    return { outcome: done.outcome ?? "updated", reactivated: done.reactivated === true };
  return undefined;
}

/** What the ledger (`written`) shows each record of a chunk reached; the rest failed for `reason`. */
export function reachedOutcomes(
  chunk: LoadChunk,
  written: Map<string, LedgerEntry>,
  reason: string,
): RecordOutcome[] {
  return chunk.records.map(
    (record): RecordOutcome =>
      earlierOutcome(written.get(record.key), record, chunk.runId) ?? { outcome: "failed", reason },
  );
}

export const LEASE_PASSED = "the run's lease expired before this record was written";

/** No write starts with less than this left before the function is stopped (a write may take long). */
export const DEADLINE_MARGIN_MS = 15_000;

export class DeadlineError extends Error {
  override readonly name = "DeadlineError";
}

/**
 * Writes a chunk's records one at a time, skipping what the ledger (`known`: its entries of the
 * chunk's records) shows this run already wrote, and tells the ledger of each write the product
 * accepted while the next is out (ledger-keeper.ts). Resolves once the ledger holds them all.
 */
export async function writeAll(
  ctx: PipelineContext,
  run: RunRecord,
  chunk: LoadChunk,
  known: Map<string, LedgerEntry>,
  deadline?: number,
): Promise<RecordOutcome[]> {
  const { tenantId, runId } = chunk;
  const { tenant, clients } = await ctx.tenantClients(tenantId, streamOf(run));
  // When the run's lease ends at the earliest: taken when the run started, for the tenant's longest
  // run (taken again by a redelivered request, it only lasts longer).
  const leaseEnds = runEnd(run, tenant);
  // A stream whose target is the ledger keeps the values, and those of its last complete run.
  const kept = (done: LedgerEntry | undefined, values: Record<string, unknown>) => {
    if (!clients.keepsValues) return {};
    const previous = previousOf(done, run.baselineRunId);
    return { values, ...(previous ? { previous } : {}) };
  };
  const keeper = ledgerKeeper(ctx.ledger, scopeOfRun(run));
  let refused: string | undefined;
  let throttled: unknown;

  const writeOne = async (message: LoadRecord): Promise<RecordOutcome> => {
    const done = known.get(message.key);
    const deactivation = message.action === "deactivate";
    // Written by an earlier delivery of this chunk: its outcome, without a second write.
    const earlier = earlierOutcome(done, message, runId);
    if (earlier) return earlier;
    if (refused) return { outcome: "failed", reason: refused };
    if (throttled) return { outcome: "retry", error: throttled }; // knocking again would only be refused
    // A write the ledger would not hear of would be written again by the chunk's next delivery.
    if (keeper.failure !== undefined) return { outcome: "retry", error: keeper.failure };
    // Past its lease, a run writes nothing: the next run may be writing these records already, and
    // a write landing after that run's would leave the product behind the ledger.
    if (ctx.now().getTime() > leaseEnds - DEADLINE_MARGIN_MS)
      return { outcome: "failed", reason: LEASE_PASSED };
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
      if (deactivation) {
        const productId = message.knownProductId ?? "";
        const result = await ctx.productSlot(tenant, () => clients.product.patch(productId, record));
        if (result.outcome === "rejected") return { outcome: "rejected", reason: result.reason };
        // `gone`: deleted in the product meanwhile, so nothing of it is active there either.
        keeper.keep({
          key: message.key,
          hash: message.hash,
          productId,
          runId,
          updatedAt: ctx.now().toISOString(),
          active: false,
          ...kept(done, done?.values ?? {}),
        });
        return { outcome: "deactivated" };
      }
      const result = await ctx.productSlot(tenant, () =>
        clients.product.write(record, message.knownProductId),
      );
      if (result.outcome === "rejected") return { outcome: "rejected", reason: result.reason };
      const reactivated = done?.active === false;
      keeper.keep({
        key: message.key,
        hash: message.hash,
        productId: result.productId,
        runId,
        updatedAt: ctx.now().toISOString(),
        outcome: result.outcome,
        ...(reactivated ? { reactivated: true as const } : {}),
        ...(clients.mapper.listed ? { listedHash: listedHash(message.payload, clients.mapper.listed) } : {}),
        ...kept(done, message.payload),
      });
      return { outcome: result.outcome, reactivated };
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
  try {
    for (const message of chunk.records) outcomes.push(await writeOne(message));
  } catch (error) {
    // No ledger write outlives the delivery: one frozen with its Lambda could land after the chunk's
    // next delivery read the ledger, which would then write that record again.
    await keeper.kept().catch(() => {});
    throw error;
  }
  await keeper.kept();
  return outcomes;
}
