import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Ledger, LedgerEntry } from "../../runtime/core/ports/records.js";
import { RecordLedger, SPAN_READ_MIN, SPAN_READ_SLACK } from "../../runtime/edges/store/ledger.js";
import { MemoryLedger } from "../../runtime/edges/store/memory.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { aLedgerEntry, aTenantId, ledgerEntries, seedLedger, uniquePrefix } from "./factories.js";

let store: Store;
let ledger: RecordLedger;
/** The ledger's reads as they went to DynamoDB: the command, and the keys or items it read. */
const reads: { command: string; keys?: number; items?: number }[] = [];

beforeAll(async () => {
  store = await openStore({ prefix: uniquePrefix("ledger") });
  ledger = new RecordLedger(store.doc, store.names.ledger);
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName as string;
      const result = await next(args);
      if (command === "QueryCommand") {
        reads.push({ command, items: (result.output as { Count?: number }).Count ?? 0 });
      } else if (command === "BatchGetItemCommand" || command === "GetItemCommand") {
        const input = args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> };
        const keys = Object.values(input.RequestItems ?? {}).reduce((n, t) => n + (t.Keys?.length ?? 1), 0);
        reads.push({ command, keys: keys || 1 });
      }
      return result;
    },
    { step: "initialize", name: "recordLedgerReads" },
  );
});
afterAll(() => store?.close());
/** A large ledger to read, stored without the ledger's one-request-an-entry writes. */
const seed = (tenantId: string, entries: LedgerEntry[]) =>
  seedLedger(store.doc, store.names.ledger, tenantId, entries);
beforeEach(() => {
  reads.length = 0;
});

describe("RecordLedger", () => {
  it("returns every written entry of 120 and leaves unknown keys out of the map", async () => {
    const tenantId = aTenantId();
    const written = ledgerEntries(120);
    const unknownKeys = ["999999", "999998"];

    await ledger.putMany(tenantId, written);
    const found = await ledger.getMany(tenantId, [...written.map((entry) => entry.key), ...unknownKeys]);

    expect(found.size).toBe(120);
    for (const entry of written) expect(found.get(entry.key)).toEqual(entry);
    for (const key of unknownKeys) expect(found.has(key)).toBe(false);
  });

  it("replaces an entry when it is written again, and the last of duplicate keys in one call wins", async () => {
    const tenantId = aTenantId();
    await ledger.putMany(tenantId, [aLedgerEntry("1"), aLedgerEntry("2")]);
    const rewritten = aLedgerEntry("1", { hash: "new-hash", runId: "20250302T100000.000Z-000000000002" });

    await ledger.putMany(tenantId, [
      rewritten,
      aLedgerEntry("2", { hash: "first" }),
      aLedgerEntry("2", { hash: "last" }),
    ]);
    const found = await ledger.getMany(tenantId, ["1", "2", "1"]);

    expect(found.get("1")).toEqual(rewritten);
    expect(found.get("2")?.hash).toBe("last");
  });

  it("keeps tenants apart", async () => {
    const [owner, stranger] = [aTenantId(), aTenantId()];
    await ledger.putMany(owner, ledgerEntries(5));

    const found = await ledger.getMany(
      stranger,
      ledgerEntries(5).map((entry) => entry.key),
    );

    expect(found.size).toBe(0);
  });

  it("reads a whole tenant back page by page", async () => {
    const tenantId = aTenantId();
    // 2 KB hashes push 700 entries past DynamoDB's 1 MB page, so the read takes more than one page.
    const written = ledgerEntries(700).map((entry) => ({ ...entry, hash: entry.hash.padEnd(2_000, "0") }));
    await seed(tenantId, written);
    await seed(aTenantId(), ledgerEntries(10));

    const pages: number[] = [];
    const read = new Map<string, unknown>();
    for await (const page of ledger.all(tenantId)) {
      pages.push(page.length);
      for (const entry of page) read.set(entry.key, entry);
    }

    expect(pages.length).toBeGreaterThan(1);
    expect(read).toEqual(new Map(written.map((entry) => [entry.key, entry])));
  });

  it("reads a unit's records, ids side by side, with one Query instead of a BatchGet of each", async () => {
    // prepare: a unit's 75 records, and the entries of the units on either side
    const tenantId = aTenantId();
    const written = ledgerEntries(300);
    await seed(tenantId, written);
    const unit = written.slice(100, 175);
    reads.length = 0;

    // act: Siesa returns a unit's rows in any order
    const found = await ledger.getMany(tenantId, unit.map((entry) => entry.key).reverse());

    // assess: one request, which read the unit's entries and nothing else
    expect(reads).toEqual([{ command: "QueryCommand", items: 75 }]);
    expect(found).toEqual(new Map(unit.map((entry) => [entry.key, entry])));
  });

  it("finds ids of either sign and of any size, in one span, and leaves unknown ids out", async () => {
    // prepare: enough ids to be read as a span, from the smallest SQL int to past the largest
    const tenantId = aTenantId();
    const edges = [
      "-2147483648",
      "-1",
      "0",
      "7",
      "2147483647",
      "2147483648",
      String(Number.MAX_SAFE_INTEGER),
    ];
    const entries = [...edges.map((key) => aLedgerEntry(key)), ...ledgerEntries(SPAN_READ_MIN)];
    await ledger.putMany(tenantId, entries);
    const unknown = ["-5", "8", "2147483646", "99999999999"];

    // act
    const found = await ledger.getMany(tenantId, [...unknown, ...entries.map((entry) => entry.key)]);

    // assess
    expect(found).toEqual(new Map(entries.map((entry) => [entry.key, entry])));
    const listed = [];
    for await (const page of ledger.all(tenantId)) listed.push(...page);
    expect(new Set(listed.map((entry) => entry.key))).toEqual(new Set(entries.map((entry) => entry.key)));
  });

  it("passes over a bounded number of other entries for ids far apart, and reads the rest by key", async () => {
    // prepare: 2,000 entries, of which 40 ids one in 50 apart are asked for
    const tenantId = aTenantId();
    const written = ledgerEntries(2_000);
    await seed(tenantId, written);
    const asked = written.filter((_, index) => index % 50 === 0);
    reads.length = 0;

    // act
    const found = await ledger.getMany(
      tenantId,
      asked.map((entry) => entry.key),
    );

    // assess: the Query stopped at its bound, and the ids beyond it went by BatchGet
    expect(found).toEqual(new Map(asked.map((entry) => [entry.key, entry])));
    const passedOver = reads
      .filter((r) => r.command === "QueryCommand")
      .reduce((n, r) => n + (r.items ?? 0), 0);
    expect(passedOver).toBe(asked.length * (1 + SPAN_READ_SLACK));
    const byKey = reads
      .filter((r) => r.command === "BatchGetItemCommand")
      .reduce((n, r) => n + (r.keys ?? 0), 0);
    expect(byKey).toBe(asked.filter((_, index) => index * 50 >= passedOver).length);
  });

  it("reads a span larger than one DynamoDB page, whatever the keys asked twice", async () => {
    // prepare: 2 KB hashes put 700 entries past DynamoDB's 1 MB page
    const tenantId = aTenantId();
    const written = ledgerEntries(700).map((entry) => ({ ...entry, hash: entry.hash.padEnd(2_000, "0") }));
    await seed(tenantId, written);
    reads.length = 0;

    // act
    const keys = written.map((entry) => entry.key);
    const found = await ledger.getMany(tenantId, [...keys, ...keys.slice(0, 50)]);

    // assess: the Query went on from where its first page ended
    expect(found).toEqual(new Map(written.map((entry) => [entry.key, entry])));
    expect(reads.filter((r) => r.command === "QueryCommand").length).toBeGreaterThan(1);
    expect(reads.filter((r) => r.command !== "QueryCommand")).toEqual([]);
  });

  it.each(["", "row:9f2c", "sku-1", "007", "1.5", "99999999999999999"])(
    "refuses the record key %j, which is no f120_id, with an error naming the tenant and the record",
    async (key) => {
      const tenantId = aTenantId();

      const writing = ledger.putMany(tenantId, ledgerEntries(1, { key }));
      const reading = ledger.getMany(tenantId, ["5", key]);

      const named = `tenant ${tenantId}: record ${JSON.stringify(key)}: a ledger key must be an f120_id`;
      await expect(writing).rejects.toThrow(named);
      await expect(reading).rejects.toThrow(named);
    },
  );

  it("accepts empty reads and writes (DynamoDB itself refuses an empty batch)", async () => {
    const found = await ledger.getMany(aTenantId(), []);
    await ledger.putMany(aTenantId(), []);

    expect(found.size).toBe(0);
  });
});

/** Run ids as runs make them: their start time first, so a later run's sorts after an earlier one's. */
const RUN_1 = "20250301T100000.000Z-aaaaaaaaaaaa";
const RUN_2 = "20250301T110000.000Z-000000000000";
const RUN_3 = "20250302T090000.000Z-555555555555";

describe.each([
  ["DynamoDB", () => ledger],
  ["memory", () => new MemoryLedger()],
] as [string, () => Ledger][])("the %s ledger's writes in run order", (_, ledgerOf) => {
  it("leaves a later run's entry when an earlier run's write lands after it, and names the key it left", async () => {
    // prepare: run 2 wrote the record; run 1's delivery, late (its lease expired), comes after
    const writes = ledgerOf();
    const tenantId = aTenantId();
    const newer = aLedgerEntry("7", { hash: "edited", runId: RUN_2 });
    await writes.putMany(tenantId, [newer]);

    // act
    const late = await writes.putMany(tenantId, [
      aLedgerEntry("7", { hash: "before the edit", runId: RUN_1 }),
    ]);

    // assess: not an error, the newer entry stays
    expect(late.refused).toEqual(["7"]);
    expect((await writes.getMany(tenantId, ["7"])).get("7")).toEqual(newer);
  });

  it("lets a later run, or the same run again, replace an entry", async () => {
    const writes = ledgerOf();
    const tenantId = aTenantId();
    await writes.putMany(tenantId, [
      aLedgerEntry("1", { runId: RUN_1 }),
      aLedgerEntry("2", { runId: RUN_1 }),
    ]);
    const sameRun = aLedgerEntry("1", { hash: "written again", runId: RUN_1 });
    const laterRun = aLedgerEntry("2", { hash: "edited", runId: RUN_2 });

    const result = await writes.putMany(tenantId, [sameRun, laterRun]);

    expect(result.refused).toEqual([]);
    expect(await writes.getMany(tenantId, ["1", "2"])).toEqual(
      new Map([
        ["1", sameRun],
        ["2", laterRun],
      ]),
    );
  });

  it("writes the rest of a call when some of its entries are refused", async () => {
    const writes = ledgerOf();
    const tenantId = aTenantId();
    await writes.putMany(tenantId, [aLedgerEntry("2", { runId: RUN_3 })]);
    const entries = ["1", "2", "3"].map((key) => aLedgerEntry(key, { runId: RUN_2 }));

    const result = await writes.putMany(tenantId, entries);

    expect(result.refused).toEqual(["2"]);
    const found = await writes.getMany(tenantId, ["1", "2", "3"]);
    expect([...found.values()].map((e) => e.runId)).toEqual([RUN_2, RUN_3, RUN_2]);
  });

  it("ends with the latest run's entry whatever order the runs' writes land in", async () => {
    const writes = ledgerOf();
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([RUN_1, RUN_2, RUN_3], { minLength: 1 }), async (order) => {
        const tenantId = aTenantId();
        for (const runId of order)
          await writes.putMany(tenantId, [aLedgerEntry("5", { hash: runId, runId })]);

        const kept = (await writes.getMany(tenantId, ["5"])).get("5");

        expect(kept?.runId).toBe([...order].sort().at(-1));
      }),
      { numRuns: 15 },
    );
  });
});
