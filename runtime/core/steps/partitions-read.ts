import type { ProgressStore } from "../ports/pipeline.js";
import { rangesOf, splitOp } from "./operation-data.js";

/** The run's first unit, the whole range (dispatch-run.ts). */
const ROOT_UNIT = "0";

/**
 * The partitions (KeyRange.within: stock's warehouses) the run's units read: those the splits of
 * its whole range named, following only the ranges that name none yet (a root halved under a rate
 * limit), so a few operations are read whatever the run's size.
 */
export async function partitionsRead(
  progress: Pick<ProgressStore, "get">,
  tenantId: string,
  runId: string,
): Promise<Set<string>> {
  const read = new Set<string>();
  const pending = [ROOT_UNIT];
  for (let unitId = pending.pop(); unitId !== undefined; unitId = pending.pop()) {
    const ranges = rangesOf(await progress.get(tenantId, runId, splitOp(unitId)));
    for (const [i, range] of ranges.entries()) {
      if (range.within !== undefined) read.add(range.within);
      else pending.push(`${unitId}.${i}`);
    }
  }
  return read;
}
