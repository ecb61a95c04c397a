import { describe, expect, it } from "vitest";
import { chunk } from "../../runtime/core/domain/chunk.js";
import { forEachConcurrent } from "../../runtime/core/domain/pool.js";
import { sendUntilProcessed } from "../../runtime/edges/store/batch.js";

/** A stand-in for one DynamoDB batch call that leaves `leftOver[n]` items unprocessed on call n. */
function aThrottledBatchCall(leftOver: number[]) {
  const sent: string[][] = [];
  const send = async (items: string[]) => {
    sent.push(items);
    const left = leftOver[sent.length - 1] ?? 0;
    return left > 0 ? items.slice(items.length - left) : undefined;
  };
  return { send, sent };
}

const noWait = async () => {};

describe("sendUntilProcessed", () => {
  it("resends only what was left unprocessed until nothing is", async () => {
    const batch = aThrottledBatchCall([3, 1, 0]);

    await sendUntilProcessed(["a", "b", "c", "d", "e"], batch.send, "ledger t1", { sleep: noWait });

    expect(batch.sent).toEqual([["a", "b", "c", "d", "e"], ["c", "d", "e"], ["e"]]);
  });

  it("gives up after maxAttempts with an error naming what it was doing", async () => {
    const batch = aThrottledBatchCall([1, 1, 1, 1]);

    const sending = sendUntilProcessed(["a"], batch.send, "ledger t1: writing 1 records", {
      maxAttempts: 3,
      sleep: noWait,
    });

    await expect(sending).rejects.toThrow(
      "ledger t1: writing 1 records: DynamoDB left part of the batch unprocessed",
    );
    expect(batch.sent).toHaveLength(3);
  });

  it("backs off longer after each unprocessed answer", async () => {
    const waits: number[] = [];
    const batch = aThrottledBatchCall([1, 1, 1, 0]);

    await sendUntilProcessed(["a"], batch.send, "x", {
      baseDelayMs: 100,
      sleep: async (ms) => void waits.push(ms),
    });

    expect(waits).toHaveLength(3);
    // Jitter keeps each wait in [ceiling/2, ceiling]: 100, 200, 400.
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(waits[2]).toBeGreaterThanOrEqual(200);
  });
});

describe("chunk and forEachConcurrent", () => {
  it("splits into batches of at most the given size", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("never has more than the limit in flight and visits every item", async () => {
    let inFlight = 0;
    let peak = 0;
    const visited: number[] = [];

    await forEachConcurrent([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      visited.push(item);
      inFlight--;
    });

    expect(peak).toBe(3);
    expect(visited.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
