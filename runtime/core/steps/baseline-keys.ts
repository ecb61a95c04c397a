import type { ExtractUnit } from "../ports/messages.js";
import type { ProgressStore } from "../ports/pipeline.js";
import type { RunRecord } from "../ports/records.js";
import { FULL_RANGE, type KeyRange } from "../ports/siesa.js";
import { rangesOf, splitOp, UNIT_DATA } from "./operation-data.js";

const sameRange = (a: KeyRange, b: KeyRange): boolean =>
  a.from === b.from && a.to === b.to && a.within === b.within;

const overlap = (a: KeyRange, b: KeyRange): boolean =>
  a.within === b.within && a.from < b.to && b.from < a.to;

/**
 * The keys the stream's last complete run (the run's baseline) read in this unit's range, when that
 * run's units covered the range: the whole range (the run's first unit), a stock warehouse's first
 * unit, or a piece of a range both runs split, each time from the units of the baseline over it.
 * They are what those units and their descendants stored (their `keys`), some maybe outside the
 * range (the reader keeps those inside); nothing when the baseline's split does not cover the range,
 * or the run has none. A reader cuts the range on them rather than sampling Siesa (a hint: the
 * reading stays complete without them).
 */
export async function* baselineKeys(
  progress: Pick<ProgressStore, "get" | "operations">,
  run: Pick<RunRecord, "tenantId" | "baselineRunId">,
  unit: Pick<ExtractUnit, "unitId" | "range">,
): AsyncGenerator<readonly string[]> {
  const { tenantId, baselineRunId } = run;
  if (baselineRunId === undefined) return;
  const keysOf = (data: Record<string, unknown> | undefined) =>
    typeof data?.keys === "string" && data.keys !== "" ? [data.keys.split(",")] : [];
  for (const counterpart of await counterpartsOf(progress, tenantId, baselineRunId, unit)) {
    for (const kind of UNIT_DATA) {
      // The unit itself, then its descendants (`0.1.`, not `0.1`, which would also find `0.10`).
      yield* keysOf((await progress.get(tenantId, baselineRunId, `${kind}${counterpart}`))?.data);
      const pages = progress.operations(tenantId, baselineRunId, `${kind}${counterpart}.`, {
        finished: true,
      });
      for await (const page of pages) for (const { data } of page) yield* keysOf(data);
    }
  }
}

/**
 * The baseline's units whose reads cover `unit`'s range: its first unit for this run's first (a
 * complete run read the whole range), else the children of the same parent that overlap the range,
 * when together they cover it (a split's children cover its range, so they do when its range holds
 * this one).
 */
async function counterpartsOf(
  progress: Pick<ProgressStore, "get">,
  tenantId: string,
  baselineRunId: string,
  unit: Pick<ExtractUnit, "unitId" | "range">,
): Promise<string[]> {
  const { range } = unit;
  const dot = unit.unitId.lastIndexOf(".");
  if (dot < 0) return sameRange(range, FULL_RANGE) ? [unit.unitId] : [];
  const parent = unit.unitId.slice(0, dot);
  const siblings = rangesOf(await progress.get(tenantId, baselineRunId, splitOp(parent)));
  const over = [...siblings.entries()].filter(([, sibling]) => overlap(sibling, range));
  const covered =
    over.length > 0 &&
    Math.min(...over.map(([, r]) => r.from)) <= range.from &&
    Math.max(...over.map(([, r]) => r.to)) >= range.to;
  return covered ? over.map(([index]) => `${parent}.${index}`) : [];
}
