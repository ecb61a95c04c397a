import { parseSchedule } from "../runtime/core/domain/schedule.js";

/**
 * The flexible time window of a tenant's schedule: EventBridge may start the sync anywhere inside
 * it, which spreads tenants that share an expression instead of firing them all on the minute.
 * A quarter of a rate's period, between 1 and 15 minutes; 15 for cron; none for a one-time at().
 */
export function flexibleWindowMinutes(expression: string): number | undefined {
  const schedule = parseSchedule(expression);
  if (schedule.kind === "at") return undefined;
  if (schedule.kind === "cron") return 15;
  return Math.max(1, Math.min(15, Math.floor(schedule.everyMs / 60_000 / 4)));
}
