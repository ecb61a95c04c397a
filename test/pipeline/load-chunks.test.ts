import { describe, expect, it } from "vitest";
import { chunkGroupId } from "../../runtime/aws/sqs.js";
import { LOAD_CHUNK_RECORDS, loadChunks } from "../../runtime/pipeline/load-chunks.js";
import type { ChangedRecord } from "../../runtime/sync/diff.js";

const changed = (count: number): ChangedRecord[] =>
  Array.from({ length: count }, (_, i) => {
    const key = String(1_000 + ((i * 7) % count)); // out of order: chunks sort by key
    return { record: { key, externalId: key, payload: { name: `item ${key}` } }, hash: `hash-${key}` };
  });

const sizes = (count: number) =>
  loadChunks("demo", "run-1", "0.3", changed(count)).map((c) => c.records.length);

describe("a unit's load chunks", () => {
  it("share the unit's changed records evenly, at most LOAD_CHUNK_RECORDS each", () => {
    expect(LOAD_CHUNK_RECORDS).toBe(25);
    expect(sizes(57)).toEqual([19, 19, 19]);
    expect(sizes(26)).toEqual([13, 13]);
    expect(sizes(25)).toEqual([25]);
    expect(sizes(101)).toEqual([21, 20, 20, 20, 20]);
  });

  it("are the same chunks, in key order, however often the unit is extracted", () => {
    const first = loadChunks("demo", "run-1", "0.3", changed(57));
    const again = loadChunks("demo", "run-1", "0.3", [...changed(57)].reverse());

    expect(again).toEqual(first);
    expect(first.map((c) => c.chunkId)).toEqual(["0.3/0", "0.3/1", "0.3/2"]);
    const keys = first.flatMap((c) => c.records.map((r) => Number(r.key)));
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
  });

  it("take the tenant's slots in turn by their position in the run, so every slot gets as many", () => {
    const [chunk] = loadChunks("demo", "run-1", "0.3", changed(10));
    const groups = Array.from({ length: 12 }, (_, position) =>
      chunkGroupId({ ...(chunk as NonNullable<typeof chunk>), position }, 4),
    );

    expect(groups).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3].map((slot) => `demo#${slot}`));
  });
});
