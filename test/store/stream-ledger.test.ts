import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamScope } from "../../runtime/core/domain/stream.js";
import type { Ledger, LedgerEntry } from "../../runtime/core/ports/records.js";
import { stockKey } from "../../runtime/core/streams/stock.js";
import { dynamoPipelineStore } from "../../runtime/edges/store/dynamo.js";
import { MemoryLedger } from "../../runtime/edges/store/memory.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { aLedgerEntry, aTenantId, uniquePrefix } from "./factories.js";

// A tenant's warehouses and stock have ledgers of their own: keys are codes (`NB1`) and
// `warehouse|item|installation`, not f120_ids, and the stock snapshot reads one location's rows.

let store: Store;
let dynamo: Ledger;
beforeAll(async () => {
  store = await openStore({ prefix: uniquePrefix("stream-ledger") });
  dynamo = dynamoPipelineStore(store.doc, store.names).ledger;
});
afterAll(() => store?.close());

const keysOf = async (pages: AsyncIterable<LedgerEntry[]>) => {
  const keys: string[] = [];
  for await (const page of pages) keys.push(...page.map((e) => e.key));
  return keys;
};

describe.each([
  ["DynamoDB", () => dynamo],
  ["memory", () => new MemoryLedger()],
] as [string, () => Ledger][])("the %s ledger of a tenant's other streams", (_, ledgerOf) => {
  it("keeps text keys, their values and what the last complete run left, apart from the catalogue's", async () => {
    // prepare
    const ledger = ledgerOf();
    const tenantId = aTenantId();
    const stock = streamScope(tenantId, "stock");
    const entry = aLedgerEntry("NB1|1042|001", {
      values: { expected: 3.5 },
      previous: { runId: "20250301T100000.000Z-aaaaaaaaaaaa", values: { expected: 4 } },
    });

    // act
    await ledger.putMany(stock, [entry]);
    await ledger.putMany(tenantId, [aLedgerEntry("1042")]);

    // assess
    expect((await ledger.getMany(stock, ["NB1|1042|001"])).get("NB1|1042|001")).toEqual(entry);
    expect(await keysOf(ledger.all(tenantId))).toEqual(["1042"]);
    expect(await keysOf(ledger.all(streamScope(tenantId, "warehouses")))).toEqual([]);
  });

  it("reads one location's rows in key order, and the rows after a given key", async () => {
    const ledger = ledgerOf();
    const stock = streamScope(aTenantId(), "stock");
    const keys = ["PPAL|7|001", "NB1|20|001", "NB1|3|002", "NB10|1|001", "NB1|3|001"];
    await ledger.putMany(
      stock,
      keys.map((key) => aLedgerEntry(key)),
    );

    // NB10's rows are not NB1's, though its code starts the same; keys sort as text (`0` before `|`).
    expect(await keysOf(ledger.all(stock, { prefix: "NB1|" }))).toEqual([
      "NB1|20|001",
      "NB1|3|001",
      "NB1|3|002",
    ]);
    expect(await keysOf(ledger.all(stock))).toEqual([
      "NB10|1|001",
      "NB1|20|001",
      "NB1|3|001",
      "NB1|3|002",
      "PPAL|7|001",
    ]);
    expect(await keysOf(ledger.all(stock, { after: "NB1|3|001" }))).toEqual(["NB1|3|002", "PPAL|7|001"]);
  });

  it("refuses an empty key, naming the partition", async () => {
    const ledger = ledgerOf();
    const stock = streamScope("acme", "stock");
    await expect(ledger.putMany(stock, [aLedgerEntry("")])).rejects.toThrow(/acme#stock/);
  });
});

describe("the DynamoDB ledger of a tenant's stock", () => {
  it("reads a unit's rows, keys side by side in id order, with one Query instead of a read of each", async () => {
    // prepare: 100 rows of one warehouse, ids 1..100 (keys sort in id order: 9 before 10)
    const stock = streamScope(aTenantId(), "stock");
    const keys = Array.from({ length: 100 }, (_, i) => stockKey("NB1", i + 1, "01"));
    await dynamo.putMany(
      stock,
      keys.map((key) => aLedgerEntry(key)),
    );
    const commands: string[] = [];
    const middleware =
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        commands.push(String(context.commandName));
        return next(args);
      };
    store.client.middlewareStack.add(middleware as never, { step: "initialize", name: "countStockReads" });

    // act: a unit of ids 9..83
    const found = await dynamo.getMany(stock, keys.slice(8, 83));

    // assess
    store.client.middlewareStack.remove("countStockReads");
    expect(found.size).toBe(75);
    expect(commands).toEqual(["QueryCommand"]);
  });
});
