import { type Counts, type Progress, type ProgressDelta, type RunStatus, zeroCounts } from "./model.js";

/**
 * How a run is judged, in one place: when it is complete, and how it ended. Pure: the pipeline's
 * finalise applies it whether the run went through Lambda, fauxqs or the in-process queue.
 */

export const zeroProgress = (): Progress => ({
  ...zeroCounts(),
  unitsPlanned: 0,
  unitsDone: 0,
  unitsFailed: 0,
  loadsPlanned: 0,
  loadsDone: 0,
});

/** Adds an operation's counts to a run's totals (in place): both stores sum operations this way. */
export function addDelta(totals: Progress, delta: ProgressDelta): Progress {
  for (const field of Object.keys(totals) as (keyof Progress)[]) totals[field] += Number(delta[field] ?? 0);
  return totals;
}

/** The record counts of a run's progress (without its unit bookkeeping). */
export const countsOf = (p: Progress): Counts => ({
  extracted: p.extracted,
  created: p.created,
  updated: p.updated,
  unchanged: p.unchanged,
  rejected: p.rejected,
  failed: p.failed,
});

/** Every planned unit and load done and every extracted record given an outcome: the run can end. */
export function isComplete(p: Progress): boolean {
  const outcomes = p.created + p.updated + p.unchanged + p.rejected + p.failed;
  return (
    p.unitsPlanned > 0 &&
    p.unitsDone >= p.unitsPlanned &&
    p.loadsDone >= p.loadsPlanned &&
    p.extracted === outcomes
  );
}

/** How a finished run ended: failed when it stopped (or nothing got through), partial with losses. */
export function runStatus(counts: Counts, stopReason: string | undefined): Exclude<RunStatus, "running"> {
  if (stopReason) return "failed";
  if (counts.extracted > 0 && counts.failed === counts.extracted) return "failed";
  return counts.rejected + counts.failed > 0 ? "partial" : "succeeded";
}
