import { describe, expect, it } from "vitest";
import type { ListedRecord } from "../../runtime/core/ports/product.js";
import { verifyTenant } from "../../runtime/core/verify/verify.js";
import { MemoryLedger } from "../../runtime/edges/store/memory.js";
import { aTenant } from "../tenants/factories.js";

// A verify that runs out of its worker's time names what to do next, for the stream it read.

const tenant = aTenant((t) => {
  t.streams = { warehouses: { schedule: "rate(1 day)", location: { type: "E1", parent: "STORE-1" } } };
});

/** A product whose list never ends, one record a page. */
const endlessList = {
  async *list(): AsyncGenerator<ListedRecord[]> {
    for (let page = 1; ; page++) yield [{ id: String(page), externalId: `x-${page}`, fields: {} }];
  },
};

/** Every look at the clock a second later. */
function ticking() {
  let clock = 0;
  return () => {
    clock += 1_000;
    return new Date(clock);
  };
}

describe("a verify out of time", () => {
  it("of the catalogue, points to npm run verify, which has no time limit", async () => {
    const verify = verifyTenant({
      tenant,
      product: endlessList,
      ledger: new MemoryLedger(),
      now: ticking(),
      deadline: { at: 10_000, pageMs: 1_000 },
    });

    await expect(verify).rejects.toThrow(`use npm run verify -- --tenant ${tenant.id}`);
  });

  it("of the warehouses, does not point to npm run verify, which reads the catalogue only", async () => {
    const verify = verifyTenant({
      tenant,
      stream: "warehouses",
      product: endlessList,
      ledger: new MemoryLedger(),
      now: ticking(),
      deadline: { at: 10_000, pageMs: 1_000 },
    });

    await expect(verify).rejects.toThrow(/too many to verify here$/);
  });
});
