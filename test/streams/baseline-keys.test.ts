import { describe, expect, it } from "vitest";
import { FULL_RANGE, type KeyRange } from "../../runtime/core/ports/siesa.js";
import { baselineKeys } from "../../runtime/core/steps/baseline-keys.js";
import { MemoryProgress } from "../../runtime/edges/store/memory.js";

// A stock run cuts each warehouse on the rows the stream's last complete run (its baseline) read
// there (baseline-keys.ts), and a catalogue run its whole range: the keys the baseline's units over
// the same range, and their descendants, stored. Nothing when the baseline's units do not cover it.

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

  it("gives the keys of the baseline's units over a piece of a range both runs split", async () => {
    // prepare: the baseline split the whole range in three; this run's unit 0.1 spans parts of two
    const progress = new MemoryProgress();
    const pieces = [
      { from: FULL_RANGE.from, to: 100 },
      { from: 100, to: 200 },
      { from: 200, to: FULL_RANGE.to },
    ];
    await progress.apply(TENANT, BASELINE, "split:0", { unitsDone: 1 }, { ranges: pieces });
    await progress.apply(TENANT, BASELINE, "unit:0.0", { unitsDone: 1 }, { keys: "10,60" });
    await progress.apply(TENANT, BASELINE, "plan:0.1", { unitsDone: 1 }, { keys: "120,180" });
    await progress.apply(TENANT, BASELINE, "unit:0.2", { unitsDone: 1 }, { keys: "250" });

    // act
    const keys = await keysOf(progress, "0.1", { from: 50, to: 150 });

    // assess: what the two units over [50, 150) read (the reader keeps those inside)
    expect(keys).toEqual(["10", "120", "180", "60"]);
  });

  it("gives nothing without a baseline, or for a range the baseline's units do not cover", async () => {
    // prepare: the baseline's unit 0.1 (NB1) split into pieces up to 1,000
    const progress = await baselineWith({ "unit:0.1.0": "NB1|0000000001|01" });
    await progress.apply(
      TENANT,
      BASELINE,
      "split:0.1",
      { unitsDone: 1 },
      { ranges: [{ from: FULL_RANGE.from, to: 1_000, within: "NB1" }] },
    );

    expect(await keysOf(progress, "0.1", nb1, "run-0")).toEqual([]);
    expect(await keysOf(progress, "0.1.4", { from: 2_000, to: 3_000, within: "NB1" })).toEqual([]);
    expect(await keysOf(progress, "0.1.4", { from: 900, to: 3_000, within: "NB1" })).toEqual([]);
    expect(await keysOf(progress, "0", { from: 42, to: 43 })).toEqual([]);
    const none: string[] = [];
    for await (const page of baselineKeys(progress, { tenantId: TENANT }, { unitId: "0.1", range: nb1 }))
      none.push(...page);
    expect(none).toEqual([]);
  });
});
