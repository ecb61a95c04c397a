import { describe, expect, it } from "vitest";
import { FULL_RANGE, type KeyRange } from "../../runtime/core/ports/siesa.js";
import { baselineKeys } from "../../runtime/core/steps/baseline-keys.js";
import { MemoryProgress } from "../../runtime/edges/store/memory.js";

// A stock run cuts each warehouse on the rows the stream's last complete run (its baseline) read
// there (baseline-keys.ts), and a catalogue run its whole range: the keys the baseline's unit for
// the same range, and its descendants, stored. Nothing when the baseline read that range otherwise.

const TENANT = "acme";
const BASELINE = "run-1";
const nb1 = { ...FULL_RANGE, within: "NB1" };
const ppal = { ...FULL_RANGE, within: "PPAL" };

/** A baseline whose root split into the given warehouses, and its units' stored keys. */
async function baselineWith(units: Record<string, string>, warehouses = [ppal, nb1]) {
  const progress = new MemoryProgress();
  await progress.apply(TENANT, BASELINE, "split:0", { unitsDone: 1 }, { ranges: warehouses });
  for (const [opId, keys] of Object.entries(units)) {
    await progress.apply(TENANT, BASELINE, opId, { unitsDone: 1 }, { keys });
  }
  return progress;
}

async function keysOf(
  progress: MemoryProgress,
  unitId: string,
  range: KeyRange = nb1,
  baselineRunId = BASELINE,
) {
  const keys: string[] = [];
  for await (const page of baselineKeys(progress, { tenantId: TENANT, baselineRunId }, { unitId, range })) {
    keys.push(...page);
  }
  return keys.sort();
}

describe("baselineKeys", () => {
  it("gives the keys the baseline's unit of the same warehouse and its descendants read", async () => {
    // prepare: NB1 was the baseline's unit 0.1, split; 0.10 and 0.0 are other units
    const progress = await baselineWith(
      {
        "plan:0.1.0": "NB1|0000000001|01,NB1|0000000002|01",
        "unit:0.1.1": "NB1|0000000007|01",
        "unit:0.0": "PPAL|0000000001|01",
        "unit:0.10": "XX|0000000001|01",
      },
      [ppal, nb1, ...Array.from({ length: 9 }, (_, i) => ({ ...FULL_RANGE, within: `W${i}` }))],
    );

    // act: NB1 is unit 0.3 of this run (the warehouses came in another order)
    const keys = await keysOf(progress, "0.3");

    // assess
    expect(keys).toEqual(["NB1|0000000001|01", "NB1|0000000002|01", "NB1|0000000007|01"]);
  });

  it("gives everything the baseline read for the run's first unit, the whole range", async () => {
    const progress = await baselineWith({
      "unit:0.0": "PPAL|0000000001|01",
      "plan:0.1.2": "NB1|0000000001|01",
    });

    expect(await keysOf(progress, "0", FULL_RANGE)).toEqual(["NB1|0000000001|01", "PPAL|0000000001|01"]);
  });

  it("gives nothing without a baseline, or for a range the baseline did not read as one unit", async () => {
    const progress = await baselineWith({ "unit:0.1": "NB1|0000000001|01" });

    expect(await keysOf(progress, "0.1", nb1, "run-0")).toEqual([]);
    expect(await keysOf(progress, "0.1", { from: 0, to: 100, within: "NB1" })).toEqual([]);
    expect(await keysOf(progress, "0", { from: 42, to: 43 })).toEqual([]);
    const none: string[] = [];
    for await (const page of baselineKeys(progress, { tenantId: TENANT }, { unitId: "0.1", range: nb1 }))
      none.push(...page);
    expect(none).toEqual([]);
  });
});
