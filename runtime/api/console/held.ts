import type { RunJson } from "../views.js";
import type { StatusJson } from "./api.js";

/**
 * Deactivations held for an operator's approval (docs/architecture.md), when the API reports them. The field
 * is newer than this console's first version, so its shape is read leniently: a number, a list of
 * held records, or an object with a `count`; on the status or on its last run. undefined when the
 * API says nothing about held deactivations (then the console shows nothing about them either).
 */
export function heldDeactivations(status: StatusJson): number | undefined {
  return (
    countOf(status.heldDeactivations) ?? countOf((status.lastRun as HeldOnRun | null)?.heldDeactivations)
  );
}

type HeldOnRun = RunJson & { heldDeactivations?: unknown };

function countOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  if (Array.isArray(value)) return value.length;
  if (typeof value === "object" && value !== null && "count" in value) return countOf(value.count);
  return undefined;
}
