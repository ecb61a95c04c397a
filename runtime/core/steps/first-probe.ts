import type { OtherStream } from "../domain/stream.js";
import type { ScheduleControl } from "../ports/pipeline.js";
import type { ProbeReport } from "../ports/probe.js";
import type { RunRecord } from "../ports/records.js";
import { setStreamSchedules } from "./stream-schedules.js";

/**
 * A new tenant's schedule is created paused (infra/tenant.ts), so a first deploy does not fail and
 * alarm every period before the tenant's secrets are put. The first probe that passes with its
 * write checks (the product's duplicate handling and, for the WMS, the id PATCH takes) is the
 * evidence that it can run: it resumes the schedule of a tenant that has never run. A read-only
 * probe leaves it paused. A tenant that has run was paused by someone on purpose; a probe never
 * undoes that (only POST /tenants/:id/resume does).
 */
export type FirstProbeOutcome = "resumed" | "unchanged";

export interface FirstProbeFacts {
  schedules: ScheduleControl;
  runs: {
    list(tenantId: string, options: { limit?: number }): Promise<{ runs: RunRecord[] }>;
  };
}

export async function resumeAfterFirstProbe(
  facts: FirstProbeFacts,
  report: ProbeReport,
  probe: {
    write: boolean /** The tenant's streams beside the catalogue. */;
    streams?: readonly OtherStream[];
  },
): Promise<FirstProbeOutcome> {
  if (!report.ok || !probe.write) return "unchanged";
  const { tenantId } = report;
  if ((await facts.schedules.getState(tenantId)) !== "DISABLED") return "unchanged";
  if (await hasRun(facts, tenantId)) return "unchanged";
  await facts.schedules.setState(tenantId, "ENABLED");
  // The tenant's other streams' schedules were created paused with the catalogue's.
  await setStreamSchedules(facts.schedules, tenantId, probe.streams ?? [], "ENABLED");
  return "resumed";
}

/**
 * Whether a tenant has ever run, whatever the trigger (a verify too): its run history holds one. The
 * history is kept for the retention period (runtime/edges/store/retention.ts): a tenant paused longer
 * than that reads as new, and its first passing --write probe resumes it.
 */
async function hasRun(facts: Pick<FirstProbeFacts, "runs">, tenantId: string): Promise<boolean> {
  return (await facts.runs.list(tenantId, { limit: 1 })).runs.length > 0;
}
