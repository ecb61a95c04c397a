import { describe, expect, it } from "vitest";
import type { ChangedRecord } from "../../runtime/core/steps/diff.js";
import { LOAD_CHUNK_RECORDS, loadChunks, placeChunks } from "../../runtime/core/steps/load-chunks.js";
import { chunkGroupId } from "../../runtime/edges/aws/sqs.js";

const changed = (count: number): ChangedRecord[] =>
  Array.from({ length: count }, (_, i) => {
    const key = String(1_000 + ((i * 7) % count)); // out of order: chunks sort by key
    return { record: { key, externalId: key, payload: { name: `item ${key}` } }, hash: `hash-${key}` };
  });

const sizes = (count: number, slots = 1) =>
  loadChunks("demo", "run-1", "0.3", changed(count), slots).map((c) => c.records.length);

describe("a unit's load chunks", () => {
  it("share the unit's changed records evenly, at most LOAD_CHUNK_RECORDS each", () => {
    expect(LOAD_CHUNK_RECORDS).toBe(25);
    expect(sizes(57)).toEqual([19, 19, 19]);
    expect(sizes(26)).toEqual([13, 13]);
    expect(sizes(25)).toEqual([25]);
    expect(sizes(101)).toEqual([21, 20, 20, 20, 20]);
  });

  it("give each of the tenant's slots a share when the unit has enough records for it", () => {
    expect(sizes(57, 4)).toEqual([15, 14, 14, 14]);
    expect(sizes(101, 4)).toEqual([13, 13, 13, 13, 13, 12, 12, 12]);
    expect(sizes(31, 4)).toEqual([16, 15]); // fewer than 8 a slot: as few chunks as the size allows
    expect(sizes(57, 16)).toEqual([19, 19, 19]);
  });

  it("are the same chunks, in key order, however often the unit is extracted", () => {
    const first = loadChunks("demo", "run-1", "0.3", changed(57), 1);
    const again = loadChunks("demo", "run-1", "0.3", [...changed(57)].reverse(), 1);

    expect(again).toEqual(first);
    expect(first.map((c) => c.chunkId)).toEqual(["0.3/0", "0.3/1", "0.3/2"]);
    const keys = first.flatMap((c) => c.records.map((r) => Number(r.key)));
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
  });

  it("take the tenant's slots in turn by their position in the run, so every slot gets as many", () => {
    const [chunk] = loadChunks("demo", "run-1", "0.3", changed(10), 4);
    const groups = Array.from({ length: 12 }, (_, position) =>
      chunkGroupId({ ...(chunk as NonNullable<typeof chunk>), position }, 4),
    );

    expect(groups).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3].map((slot) => `demo#${slot}`));
  });

  it("give every slot the same number of records over a run's units, the larger chunks taking turns", async () => {
    // prepare: the run's sequence of positions, as the progress store reserves them
    let next = 0;
    const positions = {
      reservePositions: async (_tenantId: string, _runId: string, count: number) => {
        next += count;
        return next - count;
      },
    };

    // act: 8 units of 57 changed records, 4 slots (each unit cuts 15 + 14 + 14 + 14)
    const perSlot = new Map<number, number>();
    for (let unit = 0; unit < 8; unit++) {
      const chunks = loadChunks("demo", "run-1", `0.${unit}`, changed(57), 4);
      for (const { position = 0, records } of await placeChunks(positions, chunks))
        perSlot.set(position % 4, (perSlot.get(position % 4) ?? 0) + records.length);
    }

    // assess: 114 each (every slot got two of the eight larger chunks)
    expect([0, 1, 2, 3].map((slot) => perSlot.get(slot))).toEqual([114, 114, 114, 114]);
  });
});
