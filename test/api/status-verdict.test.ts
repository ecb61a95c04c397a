import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../runtime/core/ports/records.js";
import { type StatusFacts, tenantStatus } from "../../runtime/core/steps/tenant-status.js";
import { aRun } from "./factories.js";

const NOW = new Date("2025-03-10T12:00:00Z");

/** An hourly tenant with nothing known yet; each test adds the runs it is about. */
function facts(change: Partial<StatusFacts> = {}): StatusFacts {
  return {
    schedule: "rate(1 hour)",
    scheduleState: "ENABLED",
    lastFinished: undefined,
    lastSucceeded: undefined,
    active: undefined,
    now: NOW,
    ...change,
  };
}

const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

/** A run that started `startedMinutesAgo` and took 5 minutes. */
function finished(status: RunRecord["status"], startedMinutesAgo: number): RunRecord {
  return aRun({
    status,
    startedAt: minutesAgo(startedMinutesAgo),
    finishedAt: minutesAgo(startedMinutesAgo - 5),
  });
}

describe("tenant status verdict", () => {
  it("is healthy when the last run succeeded within two periods", () => {
    const run = finished("succeeded", 30);

    const status = tenantStatus(facts({ lastFinished: run, lastSucceeded: run }));

    expect(status.verdict).toBe("healthy");
    expect(status.lastSuccessAt).toBe(run.finishedAt);
  });

  it("is paused when the schedule is disabled, whatever the runs say", () => {
    const failed = finished("failed", 30);

    const status = tenantStatus(facts({ scheduleState: "DISABLED", lastFinished: failed }));

    expect(status.verdict).toBe("paused");
    expect(status.nextRunAt).toBeUndefined();
    expect(status.reason).toBe("the schedule is disabled (resume it to sync again)");
  });

  it("says a new tenant, paused since its deploy, waits for its secrets and a passing probe", () => {
    const status = tenantStatus(facts({ scheduleState: "DISABLED" }));

    expect(status.verdict).toBe("paused");
    expect(status.reason).toContain("a passing probe with its write checks (POST /tenants/:id/probe");
  });

  it("is failing when the last finished run failed, and says why", () => {
    const success = finished("succeeded", 90);
    const failed = { ...finished("failed", 30), reason: "Siesa answered 401" };

    const status = tenantStatus(facts({ lastFinished: failed, lastSucceeded: success }));

    expect(status.verdict).toBe("failing");
    expect(status.reason).toContain("Siesa answered 401");
  });

  it("is late once two rate periods pass without a completed run", () => {
    // finished 125 minutes ago: more than 2 × 1 hour
    const old = finished("succeeded", 130);

    const status = tenantStatus(facts({ lastFinished: old, lastSucceeded: old }));

    expect(status.verdict).toBe("late");
    expect(status.reason).toContain(old.finishedAt);
  });

  it("is not late just under two rate periods", () => {
    const recent = finished("succeeded", 124); // finished 119 minutes ago

    expect(tenantStatus(facts({ lastFinished: recent, lastSucceeded: recent })).verdict).toBe("healthy");
  });

  it("counts a partial run as completed: its rejected records are in its errors, the sync is not stalled", () => {
    const partial = finished("partial", 30);
    const olderSuccess = finished("succeeded", 600);

    const status = tenantStatus(facts({ lastFinished: partial, lastSucceeded: olderSuccess }));

    expect(status.verdict).toBe("healthy");
    expect(status.lastSuccessAt).toBe(partial.finishedAt);
  });

  it("follows the calendar for cron: a weekday schedule is not late over the weekend", () => {
    // Weekdays at 06:00 UTC; last success Friday 2025-03-07 06:05; now Sunday noon.
    const friday = aRun({
      status: "succeeded",
      startedAt: "2025-03-07T06:00:00.000Z",
      finishedAt: "2025-03-07T06:05:00.000Z",
    });
    const sunday = new Date("2025-03-09T12:00:00Z");
    const tuesdayAfterFire = new Date("2025-03-11T06:01:00Z");
    const cron = { schedule: "cron(0 6 ? * MON-FRI *)", lastFinished: friday, lastSucceeded: friday };

    expect(tenantStatus(facts({ ...cron, now: sunday })).verdict).toBe("healthy");
    expect(tenantStatus(facts({ ...cron, now: tuesdayAfterFire })).verdict).toBe("late");
  });

  it("never calls a one-time at(...) schedule late", () => {
    const long = finished("succeeded", 100_000);

    const status = tenantStatus(
      facts({ schedule: "at(2025-01-01T00:00:00)", lastFinished: long, lastSucceeded: long }),
    );

    expect(status.verdict).toBe("healthy");
    expect(status.nextRunAt).toBeUndefined();
  });

  it("gives a first run in progress two periods before calling the tenant late", () => {
    const firstRun = aRun({ status: "running", startedAt: minutesAgo(20) });

    expect(tenantStatus(facts({ active: firstRun })).verdict).toBe("healthy");
    expect(tenantStatus(facts({ active: { ...firstRun, startedAt: minutesAgo(121) } })).verdict).toBe("late");
  });

  it("is late when no run ever happened: nothing has been synced", () => {
    const status = tenantStatus(facts());

    expect(status.verdict).toBe("late");
    expect(status.reason).toMatch(/no run has completed/);
  });
});

describe("tenant status next run", () => {
  it("is the latest run's start plus one rate period", () => {
    const run = finished("succeeded", 20);

    const status = tenantStatus(facts({ lastFinished: run, lastSucceeded: run }));

    expect(status.nextRunAt).toBe(minutesAgo(20 - 60));
  });

  it("keeps the rate's phase when periods were missed, so it is always in the future", () => {
    const run = finished("succeeded", 150); // started 2.5 periods ago

    const status = tenantStatus(facts({ lastFinished: run, lastSucceeded: run }));

    expect(status.nextRunAt).toBe(minutesAgo(150 - 180));
  });

  it("is now plus one period when there has been no run", () => {
    expect(tenantStatus(facts()).nextRunAt).toBe(minutesAgo(-60));
  });

  it("is the scheduler's own next fire time when it can tell, rather than an estimate", () => {
    const run = finished("succeeded", 20);
    const firesAt = new Date(NOW.getTime() + 41 * 60_000 + 7_000);

    const status = tenantStatus(facts({ lastFinished: run, lastSucceeded: run, nextFire: firesAt }));

    expect(status.nextRunAt).toBe(firesAt.toISOString());
  });

  it("is none while paused, whatever the scheduler would fire", () => {
    const status = tenantStatus(
      facts({ scheduleState: "DISABLED", nextFire: new Date(NOW.getTime() + 60_000) }),
    );

    expect(status.nextRunAt).toBeUndefined();
  });

  it("is none for a tenant with no schedule deployed in this stack: nothing will start a run", () => {
    const status = tenantStatus(facts({ scheduleState: undefined }));

    expect(status.nextRunAt).toBeUndefined();
  });

  it("is the next cron fire time after now", () => {
    const status = tenantStatus(facts({ schedule: "cron(30 * * * ? *)" }));

    expect(status.nextRunAt).toBe("2025-03-10T12:30:00.000Z");
  });
});
