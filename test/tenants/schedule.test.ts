import { describe, expect, it } from "vitest";
import {
  checkSchedule,
  nextFireTime,
  parseSchedule,
  rateToMs,
  ScheduleError,
} from "../../runtime/core/domain/schedule.js";

const reasonFor = (expression: string) => {
  const check = checkSchedule(expression);
  return check.ok ? "valid" : check.reason;
};
const at = (iso: string) => new Date(iso);

describe("EventBridge Scheduler expressions", () => {
  it.each([
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(30 minutes)",
    "rate(2 days)",
    "cron(0 12 * * ? *)",
    "cron(15 10 ? * 6L 2026-2030)",
    "cron(0/15 8-18 ? * MON-FRI *)",
    "cron(0 8 1 JAN,JUL ? *)",
    "cron(0 0 L * ? *)",
    "cron(0 9 ? * 2#1 *)",
    "cron(5,35 14 15W * ? 2027)",
    "at(2026-03-01T06:30:00)",
  ])("accepts %s", (expression) => {
    expect(reasonFor(expression)).toBe("valid");
  });

  it.each([
    ["rate(1 minutes)", "a rate of 1 takes a singular unit (minute)"],
    ["rate(5 minute)", "a rate above 1 takes a plural unit (minutes)"],
    ["rate(0 minutes)", "expected rate(<positive integer> minute|minutes|hour|hours|day|days)"],
    ["rate(5 weeks)", "expected rate(<positive integer>"],
    ["cron(0 * * * *)", "cron needs 6 fields (minutes hours day-of-month month day-of-week year), got 5"],
    ["cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week must be ?"],
    ["cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week must be ?"],
    ["cron(60 12 * * ? *)", 'minutes "60": 60 is outside 0-59'],
    ["cron(0 12 ? * 8 *)", 'day-of-week "8": 8 is outside 1-7'],
    ["cron(0 12 * FOO ? *)", 'month "FOO": "FOO" is not a number or JAN-DEC'],
    ["cron(0 ? * * ? *)", "? is only allowed in day-of-month or day-of-week"],
    ["cron(0 20-8 * * ? *)", "range 20-8 runs backwards"],
    ["cron(0 1 * * ? 1969)", 'year "1969": 1969 is outside 1970-2199'],
    ["at(2026-02-30T00:00:00)", "is not a real date and time"],
    ["at(2026-02-01 00:00:00)", "expected at(yyyy-mm-ddThh:mm:ss)"],
    ["every hour", "is not an EventBridge Scheduler expression"],
  ])("refuses %s: %s", (expression, reason) => {
    expect(reasonFor(expression)).toContain(reason);
  });

  it("turns a rate into milliseconds", () => {
    expect(rateToMs("rate(1 minute)")).toBe(60_000);
    expect(rateToMs("rate(30 minutes)")).toBe(1_800_000);
    expect(rateToMs("rate(1 hour)")).toBe(3_600_000);
    expect(rateToMs("rate(2 days)")).toBe(172_800_000);
    expect(() => rateToMs("cron(0 12 * * ? *)")).toThrow(ScheduleError);
  });
});

describe("next fire time", () => {
  it.each([
    // expression, after, next (all UTC)
    ["cron(0 12 * * ? *)", "2026-05-10T11:59:30Z", "2026-05-10T12:00:00Z"],
    ["cron(0 12 * * ? *)", "2026-05-10T12:00:00Z", "2026-05-11T12:00:00Z"],
    ["cron(0/15 * * * ? *)", "2026-05-10T10:07:00Z", "2026-05-10T10:15:00Z"],
    ["cron(0/15 * * * ? *)", "2026-05-10T23:50:00Z", "2026-05-11T00:00:00Z"],
    ["cron(30 8-18/5 * * ? *)", "2026-05-10T13:31:00Z", "2026-05-10T18:30:00Z"],
    // 2026-05-09 is a Saturday: MON-FRI runs next on Monday the 11th.
    ["cron(0 9 ? * MON-FRI *)", "2026-05-09T10:00:00Z", "2026-05-11T09:00:00Z"],
    ["cron(0 9 ? * 1 *)", "2026-05-11T10:00:00Z", "2026-05-17T09:00:00Z"],
    ["cron(0 0 31 * ? *)", "2026-04-01T00:00:00Z", "2026-05-31T00:00:00Z"],
    ["cron(0 0 29 FEB ? *)", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"],
    ["cron(45 23 31 DEC ? *)", "2026-12-31T23:45:00Z", "2027-12-31T23:45:00Z"],
    ["cron(0 6 1 1,7 ? 2027)", "2026-01-01T00:00:00Z", "2027-01-01T06:00:00Z"],
  ])("%s after %s is %s", (expression, after, next) => {
    expect(nextFireTime(expression, at(after))?.toISOString()).toBe(at(next).toISOString());
  });

  it("has no next time once a cron's years are over", () => {
    expect(nextFireTime("cron(0 6 1 1 ? 2027)", at("2027-06-01T00:00:00Z"))).toBeUndefined();
  });

  it("takes `after` as the previous fire of a rate", () => {
    expect(nextFireTime("rate(30 minutes)", at("2026-05-10T10:07:00Z"))?.toISOString()).toBe(
      "2026-05-10T10:37:00.000Z",
    );
  });

  it("fires an at() schedule once", () => {
    const schedule = parseSchedule("at(2026-06-01T06:30:00)");
    expect(nextFireTime(schedule, at("2026-05-31T00:00:00Z"))?.toISOString()).toBe(
      "2026-06-01T06:30:00.000Z",
    );
    expect(nextFireTime(schedule, at("2026-06-01T06:30:00Z"))).toBeUndefined();
  });

  it("refuses L, W and # rather than guessing", () => {
    expect(() => nextFireTime("cron(0 0 L * ? *)", at("2026-01-01T00:00:00Z"))).toThrow(
      /does not support "L"/,
    );
    expect(() => nextFireTime("cron(0 9 ? * 2#1 *)", at("2026-01-01T00:00:00Z"))).toThrow(
      /does not support "2#1"/,
    );
  });
});
