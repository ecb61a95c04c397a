import { createHash } from "node:crypto";
import { KeySet } from "../domain/key-set.js";
import { HELD_KEYS_SHOWN, type Progress, type RunRecord } from "../domain/model.js";
import { awaitsDeactivationPass } from "../domain/run-status.js";
import { scopeOfRun, streamOf } from "../domain/stream.js";
import { DIMENSIONS, METRICS } from "../observability/metric-names.js";
import type { DeactivationPass, LoadChunk, LoadRecord } from "../ports/messages.js";
import type { Delivery } from "../ports/pipeline.js";
import type { LedgerEntry, RecordMapper } from "../ports/records.js";
import { afterProgress } from "./after-progress.js";
import type { PipelineContext } from "./context.js";
import { DEACTIVATION_OP, type DeactivationDecision, decisionOf } from "./deactivation-decision.js";
import { isRunStopping, messageOf, reportApiError } from "./failures.js";
import { loadOp } from "./load-chunk.js";
import { compareKeys, cutChunks, positionChunks, recut } from "./load-chunks.js";
import { operationData, UNIT_DATA } from "./operation-data.js";
import { partitionsRead } from "./partitions-read.js";
import { giveUpReason, returnByOf } from "./run-end.js";

/** Why a deactivation chunk is counted failed when the pass that planned it died before sending it. */
const DIED_REASON = "the deactivation pass's last delivery did not finish before sending this chunk";

/** Keys per stored page of that set: a few KB per item, whatever the set's size. */
const KEYS_PER_PAGE = 1_000;

/** The pages holding a decided set: `deactivation:<fingerprint>/<n>`, written before the decision. */
const setPrefix = (fingerprint: string) => `${DEACTIVATION_OP}:${fingerprint}/`;

/** The keys each unit of the run read, a unit at a time. */
async function* extractedKeys(
  ctx: PipelineContext,
  tenantId: string,
  runId: string,
): AsyncGenerator<string[]> {
  for await (const data of operationData(ctx.progress, tenantId, runId, UNIT_DATA))
    if (typeof data.keys === "string" && data.keys !== "") yield data.keys.split(",");
}

/** Without a tenant setting: the larger of 10 and 10 % of the tenant's active records. */
export const defaultDeactivationLimit = (active: number): number => Math.max(10, Math.floor(active * 0.1));

/** One fingerprint per set of keys, whatever their order. */
export function fingerprintOf(keys: readonly string[]): string {
  const sorted = [...keys].sort(compareKeys);
  return createHash("sha256").update(sorted.join(",")).digest("hex").slice(0, 32);
}

/**
 * The deactivation pass (docs/architecture.md, Deactivation): a step of its own, in the extract
 * worker, requested by afterProgress once every unit and load is done. After a complete
 * extraction, the records the ledger holds as active that no unit returned are asked for
 * again by id; those Siesa still lacks are set inactive in the product, in load chunks
 * `deactivate/<n>`. More than the
 * tenant's limit are held (none applied) unless the run was started approving the set another run
 * held (`approveDeactivationsOf`) and what this run found is that set or a part of it.
 *
 * The decision is one progress operation: the first delivery to apply it wins. The set it decided
 * on is stored with it (in pages, before it), so a redelivery of a pass that died after deciding
 * sends the same chunks, whatever Siesa answers by then.
 */
export async function deactivationStep(
  ctx: PipelineContext,
  pass: DeactivationPass,
  delivery: Pick<Delivery, "final">,
): Promise<void> {
  const { tenantId, runId } = pass;
  const run = await ctx.runs.get(tenantId, runId);
  if (run?.status !== "running") return; // a late message of a finished run
  const earlier = await ctx.progress.get(tenantId, runId, DEACTIVATION_OP);
  if (earlier) {
    // Decided by another delivery (an earlier one, or a copy at the same time), which may have died
    // before sending its chunks: those not counted yet go again (a copy of a chunk is counted once).
    await sendDecidedChunks(ctx, run, decisionOf(earlier.data));
    await afterProgress(ctx, tenantId, runId);
    return;
  }
  // A worker that died between an operation's marker and its count leaves the counter short; only
  // the markers' sum can say that no unit is left to read (a missed unit would be all deactivated).
  const exact = await ctx.progress.sum(tenantId, runId);
  if (!awaitsDeactivationPass(exact)) return; // asked too early: the step that completes the work asks again
  const decided = await decide(ctx, run, exact, delivery);
  if (decided.chunks) await ctx.queues.sendLoads(decided.chunks, decided.concurrency);
  await afterProgress(ctx, tenantId, runId, decided.totals);
}

/**
 * The pass's message in the units DLQ: a pass that never decided decides to deactivate nothing;
 * one that decided but may have died before sending its chunks counts those that never reported
 * failed (a copy still in flight then finds its operation taken and counts nothing).
 */
export async function settleDeactivationPass(ctx: PipelineContext, pass: DeactivationPass): Promise<void> {
  const { tenantId, runId } = pass;
  const run = await ctx.runs.get(tenantId, runId);
  if (run?.status !== "running") return;
  const earlier = await ctx.progress.get(tenantId, runId, DEACTIVATION_OP);
  if (!earlier) {
    if (!awaitsDeactivationPass(await ctx.progress.sum(tenantId, runId))) return;
    const failed = "the deactivation pass's last delivery did not finish: nothing is deactivated";
    const totals = await ctx.progress.apply(tenantId, runId, DEACTIVATION_OP, { unitsDone: 1 }, { failed });
    await afterProgress(ctx, tenantId, runId, totals);
    return;
  }
  const sizes = decisionOf(earlier.data).sizes ?? [];
  for (const [i, size] of sizes.entries()) {
    const op = loadOp(`deactivate/${i}`);
    // A chunk that reported keeps its outcomes; only the others get this exception.
    if (await ctx.progress.get(tenantId, runId, op)) continue;
    const error = {
      key: `deactivation chunk ${i} (${size} records)`,
      outcome: "failed" as const,
      reason: DIED_REASON,
      step: "deactivation" as const,
    };
    // Stored before the count: a death after counting leaves it stored.
    await ctx.runs.putExceptions(tenantId, runId, [error]);
    if (await ctx.progress.apply(tenantId, runId, op, { loadsDone: 1, deactivationsFailed: size }))
      await ctx.runs.addErrors(tenantId, runId, [error]);
  }
  await afterProgress(ctx, tenantId, runId);
}

interface Decided {
  totals?: Progress;
  /** This delivery's chunks, when it decided to apply a set. */
  chunks?: LoadChunk[];
  concurrency: number;
}

/** Finds, confirms and decides; applies the decision once (a concurrent copy's may win instead). */
async function decide(
  ctx: PipelineContext,
  run: RunRecord,
  exact: Progress,
  delivery: Pick<Delivery, "final">,
): Promise<Decided> {
  const { tenantId, runId } = run;
  const apply = async (decision: DeactivationDecision, loadsPlanned = 0) =>
    ctx.progress.apply(
      tenantId,
      runId,
      DEACTIVATION_OP,
      { unitsDone: 1, ...(loadsPlanned ? { loadsPlanned } : {}) },
      { ...decision },
    );
  // One item read says nothing of the others: absent from it is not absent from Siesa.
  if (run.item !== undefined)
    return {
      totals: await apply({ skipped: `a run of item ${run.item}: nothing is deactivated` }),
      concurrency: 1,
    };
  if (run.stopReason || exact.unitsFailed > 0)
    return {
      totals: await apply({ skipped: "the extraction was incomplete: nothing is deactivated" }),
      concurrency: 1,
    };
  const { tenant, clients } = await ctx.tenantClients(tenantId, streamOf(run));
  const { concurrency } = tenant.sync;
  const inactive = clients.mapper.inactive;
  if (!inactive)
    return {
      totals: await apply({ skipped: `mapping ${tenant.mapping} writes no active flag` }),
      concurrency,
    };

  // Every key the units read, in a fixed few bytes each (key-set.ts): a large tenant's stock reads a
  // million. The keys themselves are read again below only when some record is missing.
  const extracted = new KeySet();
  for await (const keys of extractedKeys(ctx, tenantId, runId)) for (const key of keys) extracted.add(key);
  let active = 0;
  const missing = new Map<string, LedgerEntry>();
  for await (const page of ctx.ledger.all(scopeOfRun(run))) {
    for (const entry of page) {
      // Active before this pass: still active, or set inactive by this run (a retried pass).
      if (entry.active === false && entry.runId !== runId) continue;
      active++;
      if (!extracted.has(entry.key)) missing.set(entry.key, entry);
    }
  }
  const limit = tenant.sync.maxDeactivations ?? defaultDeactivationLimit(active);
  if (missing.size === 0) return { totals: await apply({ found: 0, limit }), concurrency };

  // Asked for again by key: only what Siesa still lacks is deactivated, each request naming
  // witnesses from what the units read.
  const seen: string[] = [];
  for await (const keys of extractedKeys(ctx, tenantId, runId)) seen.push(...keys);
  let gone: string[];
  let unconfirmed = false;
  if (seen.length === 0) {
    // Nothing read to witness a confirming read: a Siesa that answers "no records" to everything
    // would confirm every absence. The whole set waits for an operator.
    gone = [...missing.keys()];
    unconfirmed = true;
  } else {
    try {
      // A pause of the tenant's Siesa calls the units' workers recorded on the run holds here too.
      if (run.siesaPausedUntil !== undefined) clients.siesa.pace?.pauseUntil(run.siesaPausedUntil);
      gone = await clients.siesa.stillAbsent([...missing.keys()], seen);
    } catch (error) {
      reportApiError(ctx, tenantId, runId, error);
      // SQS delivers it again after a backoff, unless Siesa asked to wait beyond the run's end.
      const reason = isRunStopping(error)
        ? messageOf(error)
        : giveUpReason(
            error,
            delivery,
            await returnByOf(ctx, tenantId, runId, "extract"),
            ctx.now().getTime(),
          );
      if (reason === undefined) throw error;
      const failed = `the absence of ${missing.size} records could not be confirmed: ${reason}; nothing is deactivated`;
      const totals = await apply({ failed });
      if (totals) {
        await ctx.audit.record(tenantId, {
          action: "deactivations unconfirmed",
          runId,
          detail: { reason: failed },
        });
        ctx.log.warn("deactivations unconfirmed", { tenantId, runId, error: messageOf(error) });
      }
      return { ...(totals ? { totals } : {}), concurrency };
    }
  }
  const keys = gone.sort(compareKeys);
  const found = keys.length;
  const returned = missing.size - found;
  if (returned > 0) ctx.log.info("absent records returned when asked again", { tenantId, runId, returned });
  if (found === 0) return { totals: await apply({ found, limit, returned }), concurrency };

  const fingerprint = fingerprintOf(keys);
  await storeSet(ctx, tenantId, runId, fingerprint, keys);
  // Records of a part of the stream this run did not read (a warehouse closed, gone from Siesa's
  // list or no longer counted), confirmed gone by a second read of those parts: their absence is
  // evidenced by something other than their own query's answer, so the limit, which stands against
  // a wrong answer of that query, does not count them. Nothing can confirm an unconfirmed set.
  const evidenced = unconfirmed ? 0 : await outsideTheRead(ctx, run, clients.partitionOf, keys);
  const shown = {
    found,
    limit,
    returned,
    ...(evidenced > 0 ? { evidenced } : {}),
    fingerprint,
    keys: keys.slice(0, HELD_KEYS_SHOWN),
  };
  const overLimit = found - evidenced > limit || unconfirmed;
  const approval = overLimit ? await approvedBy(ctx, run, keys) : undefined;
  const dimensions = { [DIMENSIONS.tenant]: tenantId };
  if (overLimit && !approval) {
    // A read that returned nothing serves nothing new: only a confirmed set leaves the rest served.
    const kept = clients.keepsValues && !unconfirmed ? { keptAsLastKnown: true as const } : {};
    const totals = await apply({
      ...shown,
      held: true,
      ...(unconfirmed ? { unconfirmed } : {}),
      ...kept,
    });
    if (totals) {
      ctx.metrics.count(METRICS.deactivationsHeld, found, dimensions);
      const approved = run.approveDeactivationsOf
        ? { approveDeactivationsOf: run.approveDeactivationsOf }
        : {};
      await ctx.audit.record(tenantId, {
        action: "deactivations held",
        runId,
        detail: { found, limit, fingerprint, ...(unconfirmed ? { unconfirmed } : {}), ...approved },
      });
      ctx.log.warn("deactivations held for approval", { tenantId, runId, found, limit, fingerprint });
    }
    return { ...(totals ? { totals } : {}), concurrency };
  }

  const records = keys.map((key) =>
    deactivationRecord(missing.get(key) as LedgerEntry, inactive, clients.mapper),
  );
  const cut = cutChunks(tenantId, runId, "deactivate", records, concurrency);
  const sizes = cut.map((chunk) => chunk.records.length);
  const totals = await apply(
    { ...shown, sizes, ...(approval ? { approvedBy: approval } : {}) },
    sizes.length,
  );
  if (!totals) {
    // A copy delivered at the same time decided first; it may die before sending its chunks, and
    // this delivery's success deletes the message it would come back with: send them from here.
    const decision = await ctx.progress.get(tenantId, runId, DEACTIVATION_OP);
    await sendDecidedChunks(ctx, run, decisionOf(decision?.data));
    return { concurrency };
  }
  if (approval)
    await ctx.audit.record(tenantId, {
      action: "deactivations approved",
      runId,
      detail: { found, limit, fingerprint, approvedBy: approval },
    });
  return { totals, chunks: await positionChunks(ctx.progress, cut), concurrency };
}

/** How many of `keys` lie in a partition of the stream (StreamClients.partitionOf) the run did not read. */
async function outsideTheRead(
  ctx: PipelineContext,
  run: RunRecord,
  partitionOf: ((key: string) => string | undefined) | undefined,
  keys: readonly string[],
): Promise<number> {
  if (!partitionOf) return 0;
  const read = await partitionsRead(ctx.progress, run.tenantId, run.runId);
  return keys.filter((key) => {
    const partition = partitionOf(key);
    return partition !== undefined && !read.has(partition);
  }).length;
}

/** A ledger entry as the load record that sets it inactive. */
const deactivationRecord = (
  entry: LedgerEntry,
  inactive: Record<string, unknown>,
  mapper: Pick<RecordMapper, "externalIdOf">,
): LoadRecord => ({
  key: entry.key,
  externalId: mapper.externalIdOf?.(entry.key) ?? entry.key,
  payload: inactive,
  hash: entry.hash,
  ...(entry.productId ? { knownProductId: entry.productId } : {}),
  action: "deactivate" as const,
});

/** The set, in pages of its own operations (counting nothing), before the decision names it. */
async function storeSet(
  ctx: PipelineContext,
  tenantId: string,
  runId: string,
  fingerprint: string,
  keys: readonly string[],
): Promise<void> {
  for (let at = 0, n = 0; at < keys.length; at += KEYS_PER_PAGE, n++)
    await ctx.progress.apply(
      tenantId,
      runId,
      `${setPrefix(fingerprint)}${n}`,
      {},
      {
        keys: keys.slice(at, at + KEYS_PER_PAGE).join(","),
      },
    );
}

/** The set a run's pass decided on, read back from its pages. */
export async function decidedSet(
  ctx: Pick<PipelineContext, "progress">,
  tenantId: string,
  runId: string,
  fingerprint: string,
): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const data of operationData(ctx.progress, tenantId, runId, [setPrefix(fingerprint)]))
    if (typeof data.keys === "string" && data.keys !== "")
      for (const key of data.keys.split(",")) keys.add(key);
  return keys;
}

/**
 * The run whose held set approves `keys`: the one named by `approveDeactivationsOf`, when it held
 * deactivations and every key of this run's set is among them.
 */
async function approvedBy(ctx: PipelineContext, run: RunRecord, keys: readonly string[]) {
  const heldBy = run.approveDeactivationsOf;
  if (!heldBy) return undefined;
  const fingerprint = (await ctx.runs.get(run.tenantId, heldBy))?.heldDeactivations?.fingerprint;
  if (!fingerprint) return undefined;
  const held = await decidedSet(ctx, run.tenantId, heldBy, fingerprint);
  return keys.every((key) => held.has(key)) ? heldBy : undefined;
}

/** A redelivered pass re-sends the chunks its decision planned that have not reported, cut as they were. */
async function sendDecidedChunks(
  ctx: PipelineContext,
  run: RunRecord,
  decision: DeactivationDecision,
): Promise<void> {
  const { tenantId, runId } = run;
  const { sizes, fingerprint } = decision;
  if (!sizes?.length || !fingerprint) return;
  const { tenant, clients } = await ctx.tenantClients(tenantId, streamOf(run));
  const inactive = clients.mapper.inactive;
  if (!inactive) return;
  const keys = [...(await decidedSet(ctx, tenantId, runId, fingerprint))].sort(compareKeys);
  const entries = await ctx.ledger.getMany(scopeOfRun(run), keys);
  const records = keys.map((key) =>
    deactivationRecord(
      entries.get(key) ?? { key, hash: "", productId: "", runId, updatedAt: "" },
      inactive,
      clients.mapper,
    ),
  );
  const cut = recut(cutChunks(tenantId, runId, "deactivate", records, tenant.sync.concurrency), sizes);
  const unreported: LoadChunk[] = [];
  for (const chunk of cut)
    if (!(await ctx.progress.get(tenantId, runId, loadOp(chunk.chunkId)))) unreported.push(chunk);
  await ctx.queues.sendLoads(await positionChunks(ctx.progress, unreported), tenant.sync.concurrency);
}
