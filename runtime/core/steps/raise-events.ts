import { isDrift } from "../domain/drift.js";
import type { RunRecord } from "../domain/model.js";
import type { NotificationEvent, RunEndFacts } from "../domain/notification.js";
import { runEndEvents } from "../domain/notification.js";
import { DIMENSIONS, METRICS } from "../observability/metric-names.js";
import type { RunDependencies } from "../ports/dependencies.js";

type RaiseContext = Pick<RunDependencies, "notifier" | "tenants" | "log" | "metrics" | "now">;

/**
 * Hands events to the notifier. A notification never fails or holds up the run that raised it: any
 * error (the queue, the tenant's configuration) is logged and counted (NotificationsNotRaised), and
 * the run goes on.
 */
export async function raiseEvents(
  ctx: RaiseContext,
  tenantId: string,
  events: () => Promise<NotificationEvent[]>,
): Promise<void> {
  if (!ctx.notifier) return;
  let raised: NotificationEvent[] = [];
  try {
    raised = await events();
    if (raised.length > 0) await ctx.notifier.notify(raised);
  } catch (error) {
    ctx.log.error("notification not raised", {
      tenantId,
      events: raised.map((e) => e.id),
      error: error instanceof Error ? error.message : String(error),
    });
    ctx.metrics.count(METRICS.notificationsNotRaised, Math.max(1, raised.length), {
      [DIMENSIONS.tenant]: tenantId,
    });
  }
}

/** The events of a run's end, for its tenant's `notify` (none when it has none, or the run has not ended). */
export async function raiseRunEnd(ctx: RaiseContext, facts: RunEndFacts | undefined): Promise<void> {
  if (!facts) return;
  await raiseEvents(ctx, facts.tenantId, async () => {
    const tenant = await ctx.tenants.get(facts.tenantId);
    return runEndEvents(tenant?.notify, facts, ctx.now());
  });
}

/** What a run's end says, from its record (or the end closeRun is writing): drift is its reason's. */
export function runEndFactsOf(
  run: Pick<
    RunRecord,
    "tenantId" | "runId" | "status" | "counts" | "reason" | "heldDeactivations" | "verify"
  >,
): RunEndFacts | undefined {
  const { tenantId, runId, status, reason, heldDeactivations: held, verify } = run;
  // A run still running has nothing to tell yet.
  if (status === "running") return undefined;
  return {
    tenantId,
    runId,
    status,
    counts: { ...run.counts },
    ...(reason ? { reason } : {}),
    ...(isDrift(reason) ? { drift: true } : {}),
    ...(held ? { heldDeactivations: { count: held.count, limit: held.limit } } : {}),
    ...(verify ? { verify: { missing: verify.counts.missing, drifted: verify.counts.drifted } } : {}),
  };
}
