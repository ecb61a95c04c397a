import type { ExtractUnit } from "../ports/messages.js";
import type { ProgressStore } from "../ports/pipeline.js";
import type { RunRecord } from "../ports/records.js";
import { FULL_RANGE, type KeyRange } from "../ports/siesa.js";
import { rangesOf, splitOp, UNIT_DATA } from "./operation-data.js";

const sameRange = (a: KeyRange, b: KeyRange): boolean =>
  a.from === b.from && a.to === b.to && a.within === b.within;

/**
 * The keys the stream's last complete run (the run's baseline) read in this unit's range, when that
 * run read the same range as one unit: the whole range (the run's first unit), a stock warehouse's
 * first unit, or a unit cut on the same keys as the baseline's. They are what its units stored (their
 * `keys`), under the unit and its descendants; nothing when the baseline read the range otherwise,
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
  const counterpart = await counterpartOf(progress, tenantId, baselineRunId, unit);
  if (counterpart === undefined) return;
  for (const kind of UNIT_DATA) {
    const pages = progress.operations(tenantId, baselineRunId, `${kind}${counterpart}`, { finished: true });
    for await (const page of pages) {
      for (const { opId, data } of page) {
        const id = opId.slice(kind.length);
        // `0.1` is a prefix of `0.10`: only the unit itself and its descendants.
        if (id !== counterpart && !id.startsWith(`${counterpart}.`)) continue;
        if (typeof data.keys === "string" && data.keys !== "") yield data.keys.split(",");
      }
    }
  }
}

/**
 * The baseline's unit that read the same range as `unit`: its first unit for this run's first (a
 * complete run read the whole range), else the child of the same parent with the same range.
 */
async function counterpartOf(
  progress: Pick<ProgressStore, "get">,
  tenantId: string,
  baselineRunId: string,
  unit: Pick<ExtractUnit, "unitId" | "range">,
): Promise<string | undefined> {
  const dot = unit.unitId.lastIndexOf(".");
  if (dot < 0) return sameRange(unit.range, FULL_RANGE) ? unit.unitId : undefined;
  const parent = unit.unitId.slice(0, dot);
  const siblings = rangesOf(await progress.get(tenantId, baselineRunId, splitOp(parent)));
  const index = siblings.findIndex((range) => sameRange(range, unit.range));
  return index < 0 ? undefined : `${parent}.${index}`;
}
