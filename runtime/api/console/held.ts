import type { RunJson } from "../common/views.js";
import type { StatusJson } from "./api.js";

/** What the console shows of deactivations held for an operator's approval (docs/architecture.md). */
export interface Held {
  count: number;
  /** The first keys (f120_id) of the held set, as the API lists them (at most 50). */
  keys: string[];
  /** The run that held them: an approval names it. Unknown when the API reports only a count. */
  runId?: string;
  /** The stream whose run held them (an approval names it too); absent: the catalogue. */
  stream?: string;
}

/**
 * Deactivations held for an operator's approval, when the API reports them. The field is newer than
 * this console's first version, so its shape is read leniently: a number, a list of held records, or
 * an object with a `count` (and `keys`); on the status or on its last run. undefined when the API
 * says nothing about held deactivations (then the console shows nothing about them either).
 */
export function heldDeactivations(status: StatusJson): Held | undefined {
  const lastRun = status.lastRun as HeldOnRun | null;
  const onRun = heldOf(lastRun?.heldDeactivations);
  if (onRun && lastRun) return { ...onRun, runId: lastRun.runId };
  return heldOf(status.heldDeactivations);
}

/**
 * Every held set the status reports: the catalogue's (heldDeactivations), then each other stream's
 * last run's (status.streams), which an approval must name with its stream.
 */
export function heldSets(status: StatusJson): Held[] {
  const catalogue = heldDeactivations(status);
  const streams = Object.entries(status.streams ?? {}).flatMap(([stream, { lastRun }]) => {
    const held = heldOf((lastRun as HeldOnRun | null)?.heldDeactivations);
    return held && lastRun ? [{ ...held, runId: lastRun.runId, stream }] : [];
  });
  return [...(catalogue ? [catalogue] : []), ...streams];
}

/** What a run held, read as leniently. */
export function heldOf(value: unknown): Held | undefined {
  const count = countOf(value);
  if (count === undefined) return undefined;
  const keys = typeof value === "object" && value !== null && "keys" in value ? value.keys : value;
  return { count, keys: Array.isArray(keys) ? keys.map(String) : [] };
}

type HeldOnRun = RunJson & { heldDeactivations?: unknown };

function countOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  if (Array.isArray(value)) return value.length;
  if (typeof value === "object" && value !== null && "count" in value) return countOf(value.count);
  return undefined;
}
