import { describe, expect, it } from "vitest";
import type { SyncRequest } from "../../runtime/core/ports/messages.js";
import { LocalScheduler, type SchedulerClock } from "../../runtime/edges/local/scheduler.js";
import { recordingLog } from "./support.js";

/** A clock the test moves by hand: `advanceTo` runs due timers in time order, each at its own time. */
function fakeClock(start: string) {
  let now = Date.parse(start);
  let timers: { at: number; fire: () => void }[] = [];
  const clock: SchedulerClock & { advanceTo(iso: string): void } = {
    now: () => new Date(now),
    at(when, fire) {
      const timer = { at: when.getTime(), fire };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
    advanceTo(iso) {
      const target = Date.parse(iso);
      for (;;) {
        const due = timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = Math.max(now, due.at);
        due.fire();
      }
      now = target;
    },
  };
  return clock;
}

const tenant = (id: string, schedule: string) => ({
  id,
  sync: { schedule, retryAttempts: 3, concurrency: 4, maxRunMinutes: 60 },
});

function schedulerFor(tenants: ReturnType<typeof tenant>[], start = "2025-01-01T00:00:00Z") {
  const clock = fakeClock(start);
  const sent: { request: SyncRequest; at: string }[] = [];
  const log = recordingLog();
  const scheduler = new LocalScheduler({
    tenants,
    clock,
    log,
    queues: {
      requestSync: async (request) => {
        sent.push({ request, at: clock.now().toISOString() });
      },
    },
  });
  scheduler.start();
  return { scheduler, clock, sent, log, firedAt: () => sent.map((s) => s.at) };
}

describe("LocalScheduler: fires each local tenant's schedule onto the sync-requests queue", () => {
  it("rate(...): every period from start, with the message EventBridge Scheduler sends", () => {
    // prepare
    const { clock, sent } = schedulerFor([tenant("demo", "rate(5 minutes)")]);

    // act
    clock.advanceTo("2025-01-01T00:12:00Z");

    // assess
    expect(sent).toEqual([
      { request: { tenantId: "demo", trigger: "schedule" }, at: "2025-01-01T00:05:00.000Z" },
      { request: { tenantId: "demo", trigger: "schedule" }, at: "2025-01-01T00:10:00.000Z" },
    ]);
  });

  it("cron(...): at each matching time, in UTC", () => {
    // prepare
    const { clock, firedAt } = schedulerFor([tenant("demo", "cron(0 2 * * ? *)")], "2025-01-01T03:00:00Z");

    // act
    clock.advanceTo("2025-01-04T01:00:00Z");

    // assess
    expect(firedAt()).toEqual(["2025-01-02T02:00:00.000Z", "2025-01-03T02:00:00.000Z"]);
  });

  it("at(...): once, and never when the instant has passed", () => {
    // prepare
    const { clock, sent } = schedulerFor([
      tenant("future", "at(2025-01-01T01:00:00)"),
      tenant("past", "at(2024-12-31T23:00:00)"),
    ]);

    // act
    clock.advanceTo("2025-02-01T00:00:00Z");

    // assess
    expect(sent).toEqual([
      { request: { tenantId: "future", trigger: "schedule" }, at: "2025-01-01T01:00:00.000Z" },
    ]);
  });

  it("fires each tenant on its own schedule", () => {
    // prepare
    const { clock, sent } = schedulerFor([tenant("fast", "rate(1 minute)"), tenant("slow", "rate(1 hour)")]);

    // act
    clock.advanceTo("2025-01-01T01:00:30Z");

    // assess
    expect(sent.filter((s) => s.request.tenantId === "fast")).toHaveLength(60);
    expect(sent.filter((s) => s.request.tenantId === "slow").map((s) => s.at)).toEqual([
      "2025-01-01T01:00:00.000Z",
    ]);
  });

  it("a DISABLED schedule does not fire; enabled again, it fires at its next time, not at once", async () => {
    // prepare
    const { scheduler, clock, firedAt } = schedulerFor([tenant("demo", "rate(10 minutes)")]);

    // act
    await scheduler.setState("demo", "DISABLED");
    clock.advanceTo("2025-01-01T00:25:00Z");
    const whilePaused = firedAt().length;
    await scheduler.setState("demo", "ENABLED");
    clock.advanceTo("2025-01-01T00:31:00Z");

    // assess
    expect(whilePaused).toBe(0);
    expect(await scheduler.getState("demo")).toBe("ENABLED");
    expect(firedAt()).toEqual(["2025-01-01T00:30:00.000Z"]);
  });

  it("reports each tenant's state and next fire time; unknown tenants have no schedule", async () => {
    // prepare
    const { scheduler } = schedulerFor([tenant("demo", "rate(5 minutes)")]);

    // act
    await scheduler.setState("demo", "DISABLED");

    // assess
    expect(await scheduler.getState("demo")).toBe("DISABLED");
    expect(scheduler.nextFire("demo")?.toISOString()).toBe("2025-01-01T00:05:00.000Z");
    expect(await scheduler.getState("acme")).toBeUndefined();
    await expect(scheduler.setState("acme", "DISABLED")).rejects.toThrow(/tenant "acme" has no schedule/);
  });

  it("fires nothing after stop()", () => {
    // prepare
    const { scheduler, clock, sent } = schedulerFor([tenant("demo", "rate(5 minutes)")]);

    // act
    scheduler.stop();
    clock.advanceTo("2025-01-01T01:00:00Z");

    // assess
    expect(sent).toEqual([]);
  });

  it("a cron form it cannot evaluate (L, W, #) is reported, not fired, and does not stop the others", () => {
    // prepare
    const { clock, sent, log } = schedulerFor([
      tenant("month-end", "cron(0 0 L * ? *)"),
      tenant("demo", "rate(5 minutes)"),
    ]);

    // act
    clock.advanceTo("2025-01-01T00:05:00Z");

    // assess
    expect(sent.map((s) => s.request.tenantId)).toEqual(["demo"]);
    expect(log.entries.find((e) => e.level === "warn")).toMatchObject({
      message: "local scheduler: this schedule cannot run locally and will not fire",
      data: [expect.objectContaining({ tenantId: "month-end", schedule: "cron(0 0 L * ? *)" })],
    });
  });

  it("a request the queue refuses is logged with the tenant, and the schedule keeps firing", async () => {
    // prepare
    const clock = fakeClock("2025-01-01T00:00:00Z");
    const log = recordingLog();
    let attempts = 0;
    const scheduler = new LocalScheduler({
      tenants: [tenant("demo", "rate(1 minute)")],
      clock,
      log,
      queues: {
        requestSync: async () => {
          attempts++;
          throw new Error("queue unavailable");
        },
      },
    });
    scheduler.start();

    // act
    clock.advanceTo("2025-01-01T00:02:00Z");
    await new Promise((resolve) => setImmediate(resolve));

    // assess
    expect(attempts).toBe(2);
    expect(log.entries.filter((e) => e.level === "error")).toHaveLength(2);
    expect(log.entries.find((e) => e.level === "error")?.data).toEqual([
      { tenantId: "demo", error: "queue unavailable" },
    ]);
  });
});
