import { describe, expect, it } from "vitest";
import { shortCache } from "../../runtime/core/domain/short-cache.js";

describe("shortCache", () => {
  it("answers concurrent and repeated calls with one load until the entry is older than its ttl", async () => {
    let loads = 0;
    let now = 0;
    const cache = shortCache(
      async (key) => {
        loads++;
        return `${key}@${now}`;
      },
      1_000,
      () => now,
    );

    const first = await Promise.all(Array.from({ length: 50 }, () => cache.get("demo")));
    now = 999;
    const stillFresh = await cache.get("demo");
    now = 1_000;
    const reloaded = await cache.get("demo");

    expect(new Set(first)).toEqual(new Set(["demo@0"]));
    expect(stillFresh).toBe("demo@0");
    expect(reloaded).toBe("demo@1000");
    expect(loads).toBe(2);
  });

  it("loads again after forget, and does not keep failures", async () => {
    let calls = 0;
    const cache = shortCache(async () => {
      calls++;
      if (calls === 1) throw new Error("table unreachable");
      return calls;
    }, 60_000);

    await expect(cache.get("demo")).rejects.toThrow("table unreachable");
    expect(await cache.get("demo")).toBe(2);
    cache.forget("demo");
    expect(await cache.get("demo")).toBe(3);
  });
});
