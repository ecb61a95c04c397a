import { defaultPolicy } from "../http/policy.js";
import type { RunEnd } from "../pipeline/ports.js";
import { startRun, takeLease } from "../pipeline/start-run.js";
import { createProductClient } from "../products/index.js";
import { newRunId } from "../store/runs.js";
import { type RunRecord, zeroCounts } from "../sync/model.js";
import type { Tenant } from "../tenants/schema.js";
import type { RunDependencies } from "../workers/dependencies.js";
import { markForRepair, repairable } from "./repair.js";
import { allOk, keptReport, type VerifyReport, type VerifyRunReport } from "./report.js";
import { verifyTenant } from "./verify.js";

/**
 * How long the API's verify may go on reading, and its calls' policy: the function has 15 s, so one
 * more page (3 s, one retry) after the budget still ends in time to write the run.
 */
export const API_VERIFY_BUDGET_MS = 8_000;
const API_VERIFY_POLICY = { retryAttempts: 1, timeoutMs: 3_000, maxDelayMs: 500, rateLimitRetries: 1 };

export type VerifyRunResult = { started: true; run: RunRecord } | { started: false; activeRunId: string };

/**
 * A verify as a run (POST /tenants/:id/verify): it holds the tenant's lease while it reads, so no sync
 * writes meanwhile (its writes would read as drift), and ends with its report on the run record, trigger
 * `verify`: `succeeded` when every record is ok, `partial` with differences, `failed` when it could not
 * read. With `repair`, the missing and drifted records are marked in the ledger and a normal run with
 * trigger `repair` is started through the queues once the lease is free; the report names that run.
 * It reads synchronously, one list call per 100 records, for at most `budgetMs`: a bigger catalogue
 * ends the run `failed` with a reason that says to use `npm run verify`.
 */
export async function runVerify(
  ctx: RunDependencies,
  tenant: Tenant,
  options: { repair: boolean; budgetMs?: number },
): Promise<VerifyRunResult> {
  const started = ctx.now();
  const runId = newRunId(started);
  const lease = await takeLease(ctx, tenant, runId, started);
  if (!lease.acquired) return { started: false, activeRunId: lease.holder.runId };
  try {
    await ctx.runs.create({
      runId,
      tenantId: tenant.id,
      trigger: "verify",
      status: "running",
      startedAt: started.toISOString(),
      counts: zeroCounts(),
      errors: [],
    });
  } catch (error) {
    await ctx.lease.release(tenant.id, runId);
    throw error;
  }
  let end: RunEnd;
  let marked = 0;
  try {
    const report = await verifyTenant({
      tenant,
      product: await productReader(ctx, tenant),
      ledger: ctx.ledger,
      now: ctx.now,
      budgetMs: options.budgetMs ?? API_VERIFY_BUDGET_MS,
    });
    if (options.repair && repairable(report) > 0) marked = await markForRepair(ctx.ledger, report, ctx.now());
    end = ending(report, started, ctx.now());
  } catch (error) {
    const finished = ctx.now();
    end = {
      status: "failed",
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      reason: `verify could not read the product: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    await ctx.lease.release(tenant.id, runId);
  }

  if (end.verify && options.repair) end.verify.repair = await startRepair(ctx, tenant, marked);
  await ctx.runs.complete(tenant.id, runId, { ...end, counts: zeroCounts() });
  await ctx.audit.record(tenant.id, {
    action: "verified",
    runId,
    detail: { status: end.status, ...(end.verify ? { counts: end.verify.counts } : {}) },
  });
  const run = await ctx.runs.get(tenant.id, runId);
  if (!run) throw new Error(`verify run ${runId} of ${tenant.id} vanished`);
  return { started: true, run };
}

async function productReader(ctx: RunDependencies, tenant: Tenant) {
  const credentials = await ctx.credentials.forTenant(tenant);
  return createProductClient(tenant.product.type, {
    baseUrl: tenant.product.baseUrl,
    endpoints: tenant.product.endpoints,
    credentials: credentials.product,
    policy: defaultPolicy(API_VERIFY_POLICY),
    tenantId: tenant.id,
    log: ctx.log,
  });
}

function ending(report: VerifyReport, started: Date, finished: Date): RunEnd {
  const { missing, drifted, unknown } = report.counts;
  return {
    status: allOk(report) ? "succeeded" : "partial",
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    ...(allOk(report)
      ? {}
      : { reason: `not ok: ${missing} missing, ${drifted} drifted, ${unknown} unknown` }),
    verify: keptReport(report) as VerifyRunReport,
  };
}

/** The repair run, once the verify gave the lease back; a run that took it meanwhile repairs them too. */
async function startRepair(
  ctx: RunDependencies,
  tenant: Tenant,
  marked: number,
): Promise<NonNullable<VerifyRunReport["repair"]>> {
  if (marked === 0) return { marked, reason: "nothing to repair" };
  const repair = await startRun(ctx, tenant, "repair");
  return repair.started
    ? { marked, runId: repair.runId }
    : {
        marked,
        runId: repair.activeRunId,
        reason: "a run was already active: it rewrites the marked records",
      };
}
