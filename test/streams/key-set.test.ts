import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeySet } from "../../runtime/core/domain/key-set.js";
import { stockKey } from "../../runtime/core/streams/stock.js";

// The deactivation pass's set of the keys a run read (key-set.ts): a key added is always found, so
// no record a unit returned is ever taken for absent.

describe("a set of record keys", () => {
  it("finds every key added, whatever the keys and their order", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 300 }), (keys) => {
        const set = new KeySet();
        for (const key of keys) set.add(key);

        expect(keys.every((key) => set.has(key))).toBe(true);
      }),
    );
  });

  it("says no for keys never added, among a large stock's keys", () => {
    // prepare: 200,000 stock keys read, 200,000 others (the same warehouses and items, another installation)
    const set = new KeySet();
    for (let item = 0; item < 100_000; item++) {
      set.add(stockKey("NB1", item, "01"));
      set.add(stockKey("PPAL", item, "01"));
    }

    // act
    let found = 0;
    for (let item = 0; item < 100_000; item++) {
      if (set.has(stockKey("NB1", item, "02"))) found++;
      if (set.has(stockKey("PPAL", item, "02"))) found++;
    }

    // assess
    expect(found).toBe(0);
    expect(set.added).toBe(200_000);
  });
});
