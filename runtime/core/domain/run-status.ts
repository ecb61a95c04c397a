import { type Counts, type Progress, type ProgressDelta, type RunStatus, zeroCounts } from "./model.js";

/**
 * How a run is judged, in one place: when it is complete, and how it ended. Pure: the pipeline's
 * afterProgress applies it whether the run went through Lambda or the local poller.
 */

export const zeroProgress = (): Progress => ({
  ...zeroCounts(),
  unitsPlanned: 0,
  unitsDone: 0,
  unitsFailed: 0,
  loadsPlanned: 0,
  loadsDone: 0,
  deactivationsFailed: 0,
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
  deactivated: p.deactivated,
  reactivated: p.reactivated,
});

const outcomesOf = (p: Progress): number => p.created + p.updated + p.unchanged + p.rejected + p.failed;

/** Every planned unit and load done and every extracted record given an outcome: the run can end. */
export function isComplete(p: Progress): boolean {
  return (
    p.unitsPlanned > 0 &&
    p.unitsDone >= p.unitsPlanned &&
    p.loadsDone >= p.loadsPlanned &&
    p.extracted === outcomesOf(p)
  );
}

/**
 * Every unit of Siesa work and every load done, and one planned unit left: the deactivation pass,
 * which is planned with the run and never done before the others (so no other unit can be the one).
 */
export function awaitsDeactivationPass(p: Progress): boolean {
  return (
    p.unitsPlanned > 0 &&
    p.unitsDone + 1 === p.unitsPlanned &&
    p.loadsDone >= p.loadsPlanned &&
    p.extracted === outcomesOf(p)
  );
}

/** What the end of a run knows about it besides its counts. */
export interface RunFacts {
  /** Why the run was stopped, or why its units of Siesa work could not be read. */
  stopReason?: string;
  /** "drift: …" when most rows were rejected for one reason (see drift.ts). */
  drift?: string;
  held?: { count: number; limit: number; unconfirmed?: boolean };
  /** Why the deactivation pass could not do its work (nothing was deactivated). */
  deactivationFailed?: string;
}

/**
 * How a finished run ended, and why: failed when it stopped, drifted, or nothing got through;
 * partial with losses or with deactivations held or refused; succeeded otherwise.
 */
export function judgeRun(
  p: Progress,
  facts: RunFacts,
): { status: Exclude<RunStatus, "running">; reason?: string } {
  if (facts.stopReason) return { status: "failed", reason: facts.stopReason };
  if (facts.drift) return { status: "failed", reason: facts.drift };
  if (p.extracted > 0 && p.failed === p.extracted) return { status: "failed" };
  const reasons: string[] = [];
  if (facts.held?.unconfirmed)
    reasons.push(
      `held ${facts.held.count} deactivations: Siesa returned no record to confirm their absence against`,
    );
  else if (facts.held) reasons.push(`held ${facts.held.count} deactivations, limit ${facts.held.limit}`);
  if (facts.deactivationFailed) reasons.push(facts.deactivationFailed);
  if (p.deactivationsFailed > 0) reasons.push(`${p.deactivationsFailed} deactivations failed`);
  if (reasons.length > 0) return { status: "partial", reason: reasons.join("; ") };
  return p.rejected + p.failed > 0 ? { status: "partial" } : { status: "succeeded" };
}
