import { DIMENSIONS, METRICS } from "../observability/metric-names.js";
import type { Progress, RunRecord } from "../sync/model.js";
import type { LedgerEntry } from "../sync/ports.js";
import { awaitsDeactivationPass } from "../sync/run-status.js";
import type { PipelineContext } from "./context.js";
import { compareKeys, cutChunks, placeChunks } from "./load-chunks.js";
import type { LoadRecord } from "./messages.js";
import { operationData, UNIT_DATA } from "./operation-data.js";

/** The pass's operation id: one more unit of the run, planned at dispatch (see dispatch-run.ts). */
export const DEACTIVATION_OP = "deactivation";

/** What the pass stored with its operation: what it found, and whether it held it. */
export interface DeactivationDecision {
  /** Why nothing was looked for (an incomplete extraction, a mapping without an active flag). */
  skipped?: string;
  found?: number;
  limit?: number;
  held?: boolean;
}

/** Without a tenant setting: the larger of 10 and 10 % of the tenant's active records. */
export const defaultDeactivationLimit = (active: number): number => Math.max(10, Math.floor(active * 0.1));

/**
 * The deactivation pass (docs/architecture.md), run by whichever step finds every unit of Siesa work and
 * every load of the run done. After a complete extraction, every record the ledger holds as active
 * that no unit returned is set inactive in the product, in load chunks `deactivate/<n>`; more than the
 * tenant's limit are held (none applied) unless the run was started with that exact number approved.
 *
 * Any number of steps may run it at once or again after a crash: the set it finds is the same each
 * time (a record this run already set inactive still counts), so the chunks are the same operations,
 * and the first to count the pass wins. Returns the run's totals after the pass counted (by this
 * call or an earlier one), or undefined when the run is not at that point.
 */
export async function deactivationPass(
  ctx: PipelineContext,
  tenantId: string,
  runId: string,
  run: RunRecord,
): Promise<Progress | undefined> {
  // Decided by another step already: the run's exact totals, so that this caller ends the run
  // should that step die before it could (once its chunks, if any, are done).
  if (await ctx.progress.get(tenantId, runId, DEACTIVATION_OP)) return ctx.progress.sum(tenantId, runId);
  // A worker that died between an operation's marker and its count leaves the counter short; only
  // the markers' sum can say that no unit is left to read (a missed unit would be all deactivated).
  const exact = await ctx.progress.sum(tenantId, runId);
  if (!awaitsDeactivationPass(exact)) return undefined;

  const decide = (decision: DeactivationDecision, loadsPlanned = 0) =>
    ctx.progress.apply(
      tenantId,
      runId,
      DEACTIVATION_OP,
      { unitsDone: 1, ...(loadsPlanned ? { loadsPlanned } : {}) },
      { ...decision },
    );
  if (run.stopReason || exact.unitsFailed > 0)
    return decide({ skipped: "the extraction was incomplete: nothing is deactivated" });
  const { tenant, clients } = await ctx.tenantClients(tenantId);
  const inactive = clients.mapper.inactive;
  if (!inactive) return decide({ skipped: `mapping ${tenant.mapping} writes no active flag` });

  const extracted = new Set<string>();
  for await (const data of operationData(ctx.progress, tenantId, runId, UNIT_DATA)) {
    if (typeof data.keys === "string" && data.keys !== "")
      for (const key of data.keys.split(",")) extracted.add(key);
  }
  let active = 0;
  const absent: LedgerEntry[] = [];
  for await (const page of ctx.ledger.all(tenantId)) {
    for (const entry of page) {
      // Active before this pass: still active, or set inactive by this run (a retried pass).
      if (entry.active === false && entry.runId !== runId) continue;
      active++;
      if (!extracted.has(entry.key)) absent.push(entry);
    }
  }

  const found = absent.length;
  const limit = tenant.sync.maxDeactivations ?? defaultDeactivationLimit(active);
  const dimensions = { [DIMENSIONS.tenant]: tenantId };
  if (found > limit && run.approveDeactivations !== found) {
    const totals = await decide({ found, limit, held: true });
    if (totals) {
      ctx.metrics.count(METRICS.deactivationsHeld, found, dimensions);
      await ctx.audit.record(tenantId, {
        action: "deactivations held",
        runId,
        detail: {
          found,
          limit,
          ...(run.approveDeactivations !== undefined ? { approved: run.approveDeactivations } : {}),
        },
      });
      ctx.log.warn("deactivations held for approval", { tenantId, runId, found, limit });
    }
    return totals;
  }
  if (found === 0) return decide({ found, limit });

  const records: LoadRecord[] = absent
    .sort((a, b) => compareKeys(a.key, b.key))
    .map((entry) => ({
      key: entry.key,
      externalId: entry.key,
      payload: inactive,
      hash: entry.hash,
      knownProductId: entry.productId,
      action: "deactivate" as const,
    }));
  const cut = cutChunks(tenantId, runId, "deactivate", records, tenant.sync.concurrency);
  const chunks = await placeChunks(ctx.progress, cut);
  // Sent before the pass counts them as planned, like a unit's loads (see extract-unit.ts).
  await ctx.queues.sendLoads(chunks, tenant.sync.concurrency);
  const totals = await decide({ found, limit }, chunks.length);
  if (totals && run.approveDeactivations !== undefined && found > limit)
    await ctx.audit.record(tenantId, { action: "deactivations approved", runId, detail: { found, limit } });
  return totals;
}
