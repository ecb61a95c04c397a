import type { ProgressStore } from "../ports/pipeline.js";

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
