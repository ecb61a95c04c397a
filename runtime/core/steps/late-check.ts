import { lateEvent } from "../domain/notification.js";
import type { Tenant } from "../domain/tenant.js";
import type { Lease } from "../ports/pipeline.js";
import type { RunRecord } from "../ports/records.js";
import type { PipelineContext } from "./context.js";
import { raiseEvents } from "./raise-events.js";
import { lateness } from "./tenant-status.js";

/** Runs read back to find a tenant's last finished and last succeeded run (newest first). */
const RUNS_LOOKED_AT = 100;
const PAGE = 50;

/**
 * The sweeper's late check (each sweep, for each tenant whose notify asks for `late`): a tenant
 * whose schedule is enabled and that has completed no run within two of its periods raises `late`,
 * once per late spell: the event id carries the scheduled time by which a run should have completed
 * after the last one that did (fixed while the spell lasts), and the notify worker delivers an
 * id once. A paused or undeployed schedule is never late, nor a tenant that never ran (a first
 * deploy: its probe, not a notification, says whether it can). Never throws: raiseEvents counts it.
 */
export async function checkLate(
  ctx: PipelineContext,
  tenant: Tenant,
  lease: Lease | undefined,
): Promise<void> {
  const { schedules } = ctx;
  if (!ctx.notifier || !schedules || !tenant.notify?.on.includes("late")) return;
  await raiseEvents(ctx, tenant.id, async () => {
    const schedule = await schedules.describe(tenant.id);
    if (schedule?.state !== "ENABLED") return [];
    const now = ctx.now();
    const { lastFinished, lastSucceeded } = await lastRuns(ctx, tenant.id);
    const current = lease ? await ctx.runs.get(tenant.id, lease.runId) : undefined;
    const late = lateness({
      schedule: tenant.sync.schedule,
      lastFinished,
      lastSucceeded,
      active: current?.status === "running" ? current : undefined,
      now,
      enabledSince: schedule.changedAt,
    });
    const event = late?.missed && lateEvent(tenant.notify, tenant.id, late.missed, late.reason, now);
    return event ? [event] : [];
  });
}

async function lastRuns(
  ctx: PipelineContext,
  tenantId: string,
): Promise<{ lastFinished?: RunRecord; lastSucceeded?: RunRecord }> {
  let lastFinished: RunRecord | undefined;
  let lastSucceeded: RunRecord | undefined;
  let cursor: string | undefined;
  for (let seen = 0; seen < RUNS_LOOKED_AT && !lastSucceeded; seen += PAGE) {
    const page = await ctx.runs.list(tenantId, { limit: PAGE, ...(cursor ? { cursor } : {}) });
    // A verify run is no sync, as for the tenant's status (runtime/wiring/api-dependencies.ts).
    const syncs = page.runs.filter((run) => run.trigger !== "verify");
    lastFinished ??= syncs.find((run) => run.status !== "running");
    lastSucceeded = syncs.find((run) => run.status === "succeeded");
    if (!page.cursor) break;
    cursor = page.cursor;
  }
  return { ...(lastFinished ? { lastFinished } : {}), ...(lastSucceeded ? { lastSucceeded } : {}) };
}
