/**
 * A tenant's health in one word, so a monitor can alert on a single field (pure: no I/O, `now` passed in).
 *
 * Verdicts, first match wins:
 * - `paused`: the tenant's schedule is DISABLED (someone paused it on purpose).
 * - `failing`: the newest finished run ended `failed`.
 * - `late`: no run completed within two schedule periods. Precisely: two scheduled fire times have
 *   passed since the last completed run finished. For `rate(...)` that is 2× the rate; for `cron(...)` it
 *   follows the calendar (a success on Friday of a weekdays-only cron is late after Tuesday's fire, not
 *   on Sunday). `at(...)` schedules fire once and are never late, nor is a cron using L, W or # (whose
 *   fire times we cannot compute).
 * - `healthy` otherwise.
 *
 * "Completed" means `succeeded` or `partial`: a partial run reached the end and synced every good
 * record; its rejected/failed records are listed in its errors, so it is not a sign of a stalled sync.
 * A tenant that never completed a run is measured from the start of its oldest run we know of (a first
 * run in progress is not late yet); with no run at all it is late, since nothing has been synced.
 */

import { nextFireTime, parseSchedule, type Schedule, ScheduleError } from "../domain/schedule.js";
import type { RunRecord } from "../ports/records.js";

export type Verdict = "healthy" | "late" | "failing" | "paused";

export interface StatusFacts {
  /** The tenant's schedule expression (sync.schedule). */
  schedule: string;
  /** undefined when the tenant has no deployed schedule. */
  scheduleState: "ENABLED" | "DISABLED" | undefined;
  lastFinished: RunRecord | undefined;
  lastSucceeded: RunRecord | undefined;
  active: RunRecord | undefined;
  now: Date;
  /** When the scheduler will really fire next, if it can say (the local scheduler); else estimated. */
  nextFire?: Date | undefined;
  /** When the schedule last changed (a resume), if the scheduler can say: lateness counts from it too. */
  enabledSince?: Date | undefined;
}

export interface TenantStatus {
  verdict: Verdict;
  /** Why, in one sentence a person can act on. */
  reason: string;
  /** When the last completed run finished (ISO), undefined if none did. */
  lastSuccessAt: string | undefined;
  /** The next scheduled run (ISO), undefined when paused, with no schedule deployed, or when it will not fire again. */
  nextRunAt: string | undefined;
}

const COMPLETED = new Set<RunRecord["status"]>(["succeeded", "partial"]);

export function tenantStatus(facts: StatusFacts): TenantStatus {
  const schedule = parseSchedule(facts.schedule);
  const lastSuccess = lastCompleted(facts);
  const lastSuccessAt = lastSuccess ? (lastSuccess.finishedAt ?? lastSuccess.startedAt) : undefined;
  const paused = facts.scheduleState === "DISABLED";
  // Paused, or no schedule deployed: nothing will start a run by itself.
  const nextRunAt =
    paused || facts.scheduleState === undefined
      ? undefined
      : (facts.nextFire ?? nextRun(schedule, facts))?.toISOString();
  const status = (verdict: Verdict, reason: string): TenantStatus => ({
    verdict,
    reason,
    lastSuccessAt,
    nextRunAt,
  });

  if (paused) {
    // A new tenant's schedule is created paused (runtime/core/steps/first-probe.ts).
    const isNew = facts.lastFinished === undefined && facts.active === undefined;
    return status(
      "paused",
      isNew
        ? 'new tenant: its schedule waits for its secrets and a passing probe with its write checks (POST /tenants/:id/probe {"write": true}), or a resume'
        : "the schedule is disabled (resume it to sync again)",
    );
  }
  const last = facts.lastFinished;
  if (last?.status === "failed") {
    return status("failing", `the last run ${last.runId} failed${last.reason ? `: ${last.reason}` : ""}`);
  }
  const lateness = latenessOf(schedule, facts, lastSuccessAt);
  if (lateness) return status("late", lateness.reason);
  return status("healthy", lastSuccessAt ? `last completed run finished at ${lastSuccessAt}` : "not due yet");
}

/** The newer of the last succeeded run and a last finished run that ended `partial`. */
function lastCompleted(facts: StatusFacts): RunRecord | undefined {
  const candidates = [facts.lastSucceeded, facts.lastFinished].filter(
    (run): run is RunRecord => run !== undefined && COMPLETED.has(run.status),
  );
  return candidates.sort((a, b) => endOf(b).localeCompare(endOf(a)))[0];
}

const endOf = (run: RunRecord) => run.finishedAt ?? run.startedAt;

/**
 * Whether the tenant is late, whatever its other verdicts: why, and the scheduled time by which a
 * run should have completed (undefined when no run ever started). The notifications' late check
 * reads it (one event per missed time).
 */
export function lateness(
  facts: Omit<StatusFacts, "scheduleState">,
): { reason: string; missed: Date | undefined } | undefined {
  const lastSuccess = lastCompleted(facts as StatusFacts);
  const lastSuccessAt = lastSuccess ? (lastSuccess.finishedAt ?? lastSuccess.startedAt) : undefined;
  return latenessOf(parseSchedule(facts.schedule), facts as StatusFacts, lastSuccessAt);
}

/** Why the tenant is late, and since when, or undefined when it is not. */
function latenessOf(
  schedule: Schedule,
  facts: StatusFacts,
  lastSuccessAt: string | undefined,
): { reason: string; missed: Date | undefined } | undefined {
  if (schedule.kind === "at") return undefined;
  const oldestRun = [facts.lastFinished, facts.active]
    .filter((run): run is RunRecord => run !== undefined)
    .map((run) => run.startedAt)
    .sort()[0];
  const ran = lastSuccessAt ?? oldestRun;
  if (ran === undefined)
    return { reason: "no run has completed yet: nothing has been synced", missed: undefined };
  // A schedule resumed after its last completed run has had only since then to fire.
  const resumed = facts.enabledSince?.toISOString();
  const since = resumed !== undefined && resumed > ran ? resumed : ran;
  const deadline = secondFireAfter(schedule, new Date(since));
  if (deadline === undefined || facts.now.getTime() <= deadline.getTime()) return undefined;
  return {
    reason: lastSuccessAt
      ? `no run completed since ${lastSuccessAt}: two periods of ${schedule.expression} have passed`
      : `no run has completed since the first one started at ${since}: two periods of ${schedule.expression} have passed`,
    missed: deadline,
  };
}

/** The second scheduled fire time after `since`; undefined when the schedule stops or cannot be evaluated. */
function secondFireAfter(schedule: Schedule, since: Date): Date | undefined {
  try {
    const first = nextFireTime(schedule, since);
    return first && nextFireTime(schedule, first);
  } catch (error) {
    if (error instanceof ScheduleError) return undefined; // cron with L, W or #
    throw error;
  }
}

/**
 * The next scheduled run, estimated when the scheduler cannot tell. rate: EventBridge keeps a rate's phase, so it is the latest run's start plus
 * whole periods until it is in the future (now + period when there was no run). cron/at: the schedule's
 * next fire time after now.
 */
function nextRun(schedule: Schedule, facts: StatusFacts): Date | undefined {
  if (schedule.kind === "rate") {
    const latest = [facts.active, facts.lastFinished]
      .filter((run): run is RunRecord => run !== undefined)
      .map((run) => Date.parse(run.startedAt))
      .sort((a, b) => b - a)[0];
    const now = facts.now.getTime();
    if (latest === undefined) return new Date(now + schedule.everyMs);
    const periods = Math.max(1, Math.floor((now - latest) / schedule.everyMs) + 1);
    return new Date(latest + periods * schedule.everyMs);
  }
  try {
    return nextFireTime(schedule, facts.now);
  } catch (error) {
    if (error instanceof ScheduleError) return undefined;
    throw error;
  }
}
