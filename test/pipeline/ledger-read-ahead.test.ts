import { describe, expect, it } from "vitest";
import { ledgerReadAhead } from "../../runtime/pipeline/ledger-read-ahead.js";
import { MemoryLedger } from "../../runtime/store/memory.js";
import type { Ledger } from "../../runtime/sync/ports.js";
import { aLedgerEntry } from "../store/factories.js";

// A unit's ledger read starts when Siesa names its records, and the diff then reads from it.

/** A memory ledger holding records 1-3, and the keys of every read asked of it. */
async function aLedger() {
  const ledger = new MemoryLedger();
  await ledger.putMany(
    "acme",
    ["1", "2", "3"].map((key) => aLedgerEntry(key)),
  );
  const asked: string[][] = [];
  const recording: Pick<Ledger, "getMany"> = {
    getMany: (tenantId, keys) => {
      asked.push(keys);
      return ledger.getMany(tenantId, keys);
    },
  };
  return { recording, asked };
}

describe("the ledger read ahead", () => {
  it("answers from the read started ahead, and reads then only the keys it did not cover", async () => {
    // prepare
    const { recording, asked } = await aLedger();
    const ahead = ledgerReadAhead(recording, "acme");

    // act
    ahead.start(["1", "2"]);
    const found = await ahead.ledger.getMany("acme", ["1", "3", "4"]);

    // assess
    expect([...found.keys()]).toEqual(["1", "3"]);
    expect(asked).toEqual([
      ["1", "2"],
      ["3", "4"],
    ]);
  });

  it("reads as the ledger does when nothing was started", async () => {
    const { recording, asked } = await aLedger();

    const found = await ledgerReadAhead(recording, "acme").ledger.getMany("acme", ["2"]);

    expect([...found.keys()]).toEqual(["2"]);
    expect(asked).toEqual([["2"]]);
  });

  it("fails the read that needs it when it failed, and troubles nobody when no read needs it", async () => {
    // prepare: a ledger that cannot be read
    const failing: Pick<Ledger, "getMany"> = {
      getMany: async () => {
        throw new Error("ledger siesa-integration-ledger: throttled");
      },
    };
    const needed = ledgerReadAhead(failing, "acme");
    const unneeded = ledgerReadAhead(failing, "acme");

    // act: one read ahead is awaited; the other's unit failed before it needed it (an unhandled
    // rejection would fail this test)
    needed.start(["1"]);
    unneeded.start(["1"]);
    const reading = expect(needed.ledger.getMany("acme", ["1"])).rejects.toThrow("throttled");
    await new Promise((resolve) => setTimeout(resolve, 10));

    // assess
    await reading;
  });
});
