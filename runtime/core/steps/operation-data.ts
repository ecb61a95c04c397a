import type { AppliedOperation, ProgressStore } from "../ports/pipeline.js";
import type { KeyRange } from "../ports/siesa.js";

/**
 * Where a unit of Siesa work keeps what it read (its keys, the rules its rejections broke): with its
 * plan when it had records to load, else with the unit's own operation (extract-unit.ts).
 */
export const UNIT_DATA = ["plan:", "unit:"] as const;

/** The data stored with every applied operation of the run under these prefixes, one at a time. */
export async function* operationData(
  progress: Pick<ProgressStore, "operations">,
  tenantId: string,
  runId: string,
  prefixes: readonly string[],
): AsyncGenerator<Record<string, unknown>> {
  for (const prefix of prefixes) {
    for await (const page of progress.operations(tenantId, runId, prefix)) {
      for (const { data } of page) yield data;
    }
  }
}

/** The operation that counts a unit done (and, with nothing to load, its records). */
export const unitOp = (unitId: string) => `unit:${unitId}`;

/** The operation of a unit that was split: its children's ranges, and the unit counted done. */
export const splitOp = (unitId: string) => `split:${unitId}`;

/** The operation that counts a unit's records and plans its chunks, before they are sent. */
export const planOp = (unitId: string) => `plan:${unitId}`;

/** The children's ranges a split operation recorded. */
export const rangesOf = (split: AppliedOperation | undefined): KeyRange[] =>
  (split?.data?.ranges ?? []) as KeyRange[];
