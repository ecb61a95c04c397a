/**
 * EventBridge Scheduler for the local stack: each local tenant's schedules (one per stream) put
 * `{"tenantId","trigger":"schedule"}` (with `"stream"` beside the catalogue) on the sync-requests
 * queue, exactly what the deployed schedules send. It is also the stack's ScheduleControl, so the
 * API's pause/resume act on it.
 *
 * - rate(...): every period, the first one period after start;
 * - cron(...): at each matching minute (UTC), as `nextFireTime` computes it;
 * - at(...): once, if still in the future.
 * A DISABLED schedule keeps its rhythm but does not fire; re-enabled, it fires at its next time.
 */

import { nextFireTime } from "../../core/domain/schedule.js";
import { parseScope, scheduleOf, streamField, streamScope, streamsOf } from "../../core/domain/stream.js";
import type { Tenant } from "../../core/domain/tenant.js";
import type { Log } from "../../core/observability/logger.js";
import type { PipelineQueues, ScheduleControl, ScheduleState } from "../../core/ports/pipeline.js";

/** Time as the scheduler sees it: the real clock, or a fake one in tests. */
export interface SchedulerClock {
  now(): Date;
  /** Calls `fire` at `when` (at once if it has passed); returns a function that cancels it. */
  at(when: Date, fire: () => void): () => void;
}

/** setTimeout waits at most 2^31-1 ms (about 24.8 days); longer waits are chained. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: SchedulerClock = {
  now: () => new Date(),
  at(when, fire) {
    let timer: NodeJS.Timeout;
    const arm = () => {
      const wait = when.getTime() - Date.now();
      timer = setTimeout(wait > MAX_TIMEOUT_MS ? arm : fire, Math.min(Math.max(0, wait), MAX_TIMEOUT_MS));
      // A pending schedule alone does not keep the process alive: the API server does.
      timer.unref();
    };
    arm();
    return () => clearTimeout(timer);
  },
};

export interface LocalSchedulerOptions {
  tenants: readonly Pick<Tenant, "id" | "sync" | "streams">[];
  queues: Pick<PipelineQueues, "requestSync">;
  log: Log;
  clock?: SchedulerClock;
}

interface Entry {
  /** The stream's scope: the tenant id for the catalogue. */
  scope: string;
  expression: string;
  state: ScheduleState;
  /** When its state last changed (a pause, a resume), as EventBridge's LastModificationDate. */
  changedAt?: Date;
  next?: Date;
  cancel?: () => void;
}

export class LocalScheduler implements ScheduleControl {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: SchedulerClock;
  private running = false;

  constructor(private readonly options: LocalSchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    for (const tenant of options.tenants)
      for (const stream of streamsOf(tenant)) {
        const scope = streamScope(tenant.id, stream);
        this.entries.set(scope, {
          scope,
          expression: scheduleOf(tenant, stream),
          state: "ENABLED",
        });
      }
  }

  /** Arms every tenant's schedule from now. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.clock.now();
    for (const entry of this.entries.values()) this.arm(entry, now);
  }

  stop(): void {
    this.running = false;
    for (const entry of this.entries.values()) {
      entry.cancel?.();
      entry.cancel = undefined;
      entry.next = undefined;
    }
  }

  async getState(tenantId: string): Promise<ScheduleState | undefined> {
    return this.entries.get(tenantId)?.state;
  }

  async describe(tenantId: string): Promise<{ state: ScheduleState; changedAt?: Date } | undefined> {
    const entry = this.entries.get(tenantId);
    if (!entry) return undefined;
    return { state: entry.state, ...(entry.changedAt ? { changedAt: entry.changedAt } : {}) };
  }

  async setState(tenantId: string, state: ScheduleState): Promise<void> {
    const entry = this.entries.get(tenantId);
    if (!entry) {
      throw new Error(
        `local scheduler: tenant "${tenantId}" has no schedule (only local tenants are scheduled)`,
      );
    }
    entry.state = state;
    entry.changedAt = this.clock.now();
    this.options.log.info("local scheduler: schedule state changed", { tenantId, state });
  }

  /** When the tenant's schedule fires next (while started), whether or not it is enabled. */
  nextFire(tenantId: string): Date | undefined {
    return this.entries.get(tenantId)?.next;
  }

  /** Arms the fire after `after`; one that would already be past `notBefore` is skipped. */
  private arm(entry: Entry, after: Date, notBefore: Date = after): void {
    let next: Date | undefined;
    try {
      next = nextFireTime(entry.expression, after);
      if (next && next.getTime() < notBefore.getTime()) next = nextFireTime(entry.expression, notBefore);
    } catch (error) {
      // cron's L, W and # are valid in AWS but not evaluated here: say so instead of crashing the stack.
      this.options.log.warn("local scheduler: this schedule cannot run locally and will not fire", {
        ...parseScope(entry.scope),
        schedule: entry.expression,
        error: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    entry.next = next;
    if (!next) return;
    const due = next;
    entry.cancel = this.clock.at(due, () => this.fire(entry, due));
  }

  private fire(entry: Entry, due: Date): void {
    entry.cancel = undefined;
    if (!this.running) return;
    if (entry.state === "ENABLED") {
      const { tenantId, stream } = parseScope(entry.scope);
      this.options.queues.requestSync({ tenantId, trigger: "schedule", ...streamField(stream) }).then(
        () =>
          this.options.log.info("local scheduler: sync requested", {
            tenantId,
            stream,
            schedule: entry.expression,
          }),
        (error: unknown) =>
          this.options.log.error("local scheduler: could not queue the sync request", {
            tenantId,
            error: error instanceof Error ? error.message : String(error),
          }),
      );
    }
    // From the due time, so a late timer does not shift the rhythm; but not into the past, so a machine
    // waking from sleep fires once rather than once per missed period.
    this.arm(entry, due, this.clock.now());
  }
}
