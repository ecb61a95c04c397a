/**
 * EventBridge Scheduler expressions: `rate(...)`, `cron(...)`, `at(...)`.
 *
 * Validation follows the EventBridge rules in full (so a tenant file that passes here is accepted
 * by `pulumi up`). `nextFireTime` evaluates in UTC (our schedules carry no time zone) and supports
 * the common cron subset: numbers, names (JAN-DEC, SUN-SAT), `*`, `?`, lists, ranges and `/` steps.
 * The rarer `L`, `W` and `#` are valid but make `nextFireTime` throw a ScheduleError.
 */

export type Schedule =
  | { kind: "rate"; expression: string; everyMs: number }
  | { kind: "cron"; expression: string; cron: Cron }
  | { kind: "at"; expression: string; at: Date };

/** A parsed cron expression. A field is `undefined` when it is `?`. */
export interface Cron {
  minutes: FieldMatch;
  hours: FieldMatch;
  dayOfMonth: FieldMatch | undefined;
  month: FieldMatch;
  /** 1 = Sunday … 7 = Saturday, as in EventBridge. */
  dayOfWeek: FieldMatch | undefined;
  year: FieldMatch;
}

/** `allowed[n]` says whether value n matches; `special` names an L/W/# token nextFireTime cannot evaluate. */
export interface FieldMatch {
  allowed: boolean[];
  special?: string;
}

export class ScheduleError extends Error {
  override readonly name = "ScheduleError";
}

export type ScheduleCheck = { ok: true; schedule: Schedule } | { ok: false; reason: string };

const MINUTE_MS = 60_000;
const UNIT_MS = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: 24 * 60 * MINUTE_MS } as const;

/** Checks an expression; the reason of a failure reads well after "sync.schedule: ". */
export function checkSchedule(expression: string): ScheduleCheck {
  if (typeof expression !== "string") return { ok: false, reason: "must be a string" };
  try {
    return { ok: true, schedule: parseSchedule(expression) };
  } catch (error) {
    if (error instanceof ScheduleError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** Parses an expression or throws a ScheduleError saying what is wrong with it. */
export function parseSchedule(expression: string): Schedule {
  const call = /^(rate|cron|at)\((.*)\)$/s.exec(expression);
  if (!call) {
    throw new ScheduleError(
      `"${expression}" is not an EventBridge Scheduler expression: use rate(...), cron(...) or at(...)`,
    );
  }
  const [, kind, body = ""] = call;
  if (kind === "rate") return { kind, expression, everyMs: parseRate(expression, body) };
  if (kind === "cron") return { kind, expression, cron: parseCron(expression, body) };
  return { kind: "at", expression, at: parseAt(expression, body) };
}

/** The interval of a `rate(...)` expression in milliseconds. */
export function rateToMs(expression: string): number {
  const schedule = parseSchedule(expression);
  if (schedule.kind !== "rate") throw new ScheduleError(`"${expression}" is not a rate(...) expression`);
  return schedule.everyMs;
}

/**
 * When the schedule fires next, strictly after `after`; `undefined` when it never will again.
 * - cron: the next matching minute (UTC).
 * - rate: EventBridge anchors rates at the schedule's creation, which we do not know, so `after`
 *   is taken as the previous fire time and the answer is `after + interval`.
 * - at: the instant itself while it is still in the future.
 */
export function nextFireTime(schedule: string | Schedule, after: Date): Date | undefined {
  const parsed = typeof schedule === "string" ? parseSchedule(schedule) : schedule;
  if (parsed.kind === "rate") return new Date(after.getTime() + parsed.everyMs);
  if (parsed.kind === "at") return parsed.at.getTime() > after.getTime() ? parsed.at : undefined;
  return nextCronTime(parsed, after);
}

// ---------------------------------------------------------------------------------------------
// rate(<value> <unit>)

function parseRate(expression: string, body: string): number {
  const match = /^([1-9][0-9]*) (minute|minutes|hour|hours|day|days)$/.exec(body);
  if (!match) {
    throw new ScheduleError(
      `${expression}: expected rate(<positive integer> minute|minutes|hour|hours|day|days)`,
    );
  }
  const value = Number(match[1]);
  const unit = match[2] as string;
  const plural = unit.endsWith("s");
  if (value === 1 && plural) {
    throw new ScheduleError(`${expression}: a rate of 1 takes a singular unit (${unit.slice(0, -1)})`);
  }
  if (value > 1 && !plural)
    throw new ScheduleError(`${expression}: a rate above 1 takes a plural unit (${unit}s)`);
  const singular = (plural ? unit.slice(0, -1) : unit) as keyof typeof UNIT_MS;
  return value * UNIT_MS[singular];
}

// ---------------------------------------------------------------------------------------------
// at(yyyy-mm-ddThh:mm:ss)

function parseAt(expression: string, body: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!match) throw new ScheduleError(`${expression}: expected at(yyyy-mm-ddThh:mm:ss)`);
  const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const roundTrips =
    at.getUTCFullYear() === y &&
    at.getUTCMonth() === mo - 1 &&
    at.getUTCDate() === d &&
    at.getUTCHours() === h &&
    at.getUTCMinutes() === mi &&
    at.getUTCSeconds() === s;
  if (!roundTrips) throw new ScheduleError(`${expression}: ${body} is not a real date and time`);
  return at;
}

// ---------------------------------------------------------------------------------------------
// cron(minutes hours day-of-month month day-of-week year)

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Tokens besides numbers, `*`, ranges and steps that EventBridge allows in this field. */
  extra?: "day-of-month" | "day-of-week";
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

const FIELDS: readonly FieldRule[] = [
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31, extra: "day-of-month" },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day-of-week", min: 1, max: 7, names: WEEKDAYS, extra: "day-of-week" },
  { name: "year", min: 1970, max: 2199 },
];

function parseCron(expression: string, body: string): Cron {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new ScheduleError(
      `${expression}: cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`,
    );
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = parts.map((text, i) =>
    parseField(expression, text, FIELDS[i] as FieldRule),
  );
  const domAny = parts[2] === "?";
  const dowAny = parts[4] === "?";
  if (domAny === dowAny) {
    throw new ScheduleError(
      `${expression}: exactly one of day-of-month and day-of-week must be ? (got ${parts[2]} and ${parts[4]})`,
    );
  }
  return {
    minutes: minutes as FieldMatch,
    hours: hours as FieldMatch,
    dayOfMonth,
    month: month as FieldMatch,
    dayOfWeek,
    year: year as FieldMatch,
  };
}

function parseField(expression: string, text: string, rule: FieldRule): FieldMatch | undefined {
  const fail = (why: string): never => {
    throw new ScheduleError(`${expression}: ${rule.name} "${text}": ${why}`);
  };
  if (text === "?") {
    if (!rule.extra) fail("? is only allowed in day-of-month or day-of-week");
    return undefined;
  }
  const match: FieldMatch = { allowed: new Array<boolean>(rule.max + 1).fill(false) };
  for (const item of text.split(",")) {
    if (item === "") fail("empty list item");
    if (specialToken(item, rule, fail)) {
      match.special ??= item;
      continue;
    }
    const [range = "", stepText, ...rest] = item.split("/");
    if (rest.length > 0) fail("more than one /");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (stepText !== undefined && !/^[1-9][0-9]*$/.test(stepText))
      fail(`step "${stepText}" must be a positive integer`);
    let from: number;
    let to: number;
    if (range === "*") {
      from = rule.min;
      to = rule.max;
    } else {
      const [startText = "", endText, ...more] = range.split("-");
      if (more.length > 0) fail(`"${range}" is not a value or a range`);
      from = fieldValue(startText, rule, fail);
      // "a/step" runs from a to the field's maximum.
      to = endText !== undefined ? fieldValue(endText, rule, fail) : stepText !== undefined ? rule.max : from;
      if (to < from) fail(`range ${range} runs backwards`);
    }
    for (let n = from; n <= to; n += step) match.allowed[n] = true;
  }
  return match;
}

/** L, W and # forms: valid in EventBridge, reported so nextFireTime can refuse them. */
function specialToken(item: string, rule: FieldRule, fail: (why: string) => never): boolean {
  if (rule.extra === "day-of-month") {
    const weekday = /^([0-9]{1,2})W$/.exec(item);
    if (weekday) fieldValue(weekday[1] as string, rule, fail);
    return item === "L" || item === "LW" || weekday !== null;
  }
  if (rule.extra === "day-of-week") {
    const form = /^([1-7]|[A-Z]{3})(L|#[1-5])$/i.exec(item);
    if (form) fieldValue(form[1] as string, rule, fail);
    return item === "L" || form !== null;
  }
  return false;
}

function fieldValue(text: string, rule: FieldRule, fail: (why: string) => never): number {
  const byName = rule.names?.indexOf(text.toUpperCase() as never) ?? -1;
  if (byName >= 0) return byName + 1;
  if (!/^[0-9]+$/.test(text)) {
    const names = rule.names ? ` or ${rule.names[0]}-${rule.names[rule.names.length - 1]}` : "";
    return fail(`"${text}" is not a number${names}`);
  }
  const value = Number(text);
  if (value < rule.min || value > rule.max) fail(`${value} is outside ${rule.min}-${rule.max}`);
  return value;
}

function nextCronTime(schedule: Extract<Schedule, { kind: "cron" }>, after: Date): Date | undefined {
  const { cron } = schedule;
  const days = cron.dayOfMonth ?? cron.dayOfWeek;
  const special = [cron.minutes, cron.hours, days, cron.month, cron.year].find((f) => f?.special)?.special;
  if (special) {
    throw new ScheduleError(`${schedule.expression}: next fire time does not support "${special}" (L, W, #)`);
  }
  const matchesDay = (date: Date) =>
    cron.dayOfMonth
      ? cron.dayOfMonth.allowed[date.getUTCDate()] === true
      : cron.dayOfWeek?.allowed[date.getUTCDay() + 1] === true;

  // Walk forward from the next whole minute, skipping whole years/months/days/hours that cannot match.
  let t = Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  for (;;) {
    const date = new Date(t);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth();
    const day = date.getUTCDate();
    const hour = date.getUTCHours();
    if (year > 2199) return undefined;
    if (!cron.year.allowed[year]) t = Date.UTC(year + 1, 0, 1);
    else if (!cron.month.allowed[month + 1]) t = Date.UTC(year, month + 1, 1);
    else if (!matchesDay(date)) t = Date.UTC(year, month, day + 1);
    else if (!cron.hours.allowed[hour]) t = Date.UTC(year, month, day, hour + 1);
    else if (!cron.minutes.allowed[date.getUTCMinutes()]) t += MINUTE_MS;
    else return date;
  }
}
