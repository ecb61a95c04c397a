import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../../runtime/core/domain/run-id.js";
import { RecordLedger } from "../../runtime/edges/store/ledger.js";
import { RunProgress } from "../../runtime/edges/store/progress.js";
import { ReadBatch } from "../../runtime/edges/store/read-batch.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { aTenantId, ledgerEntries, uniquePrefix } from "./factories.js";

// Reads asked for in the same turn go to DynamoDB together: the load step reads a chunk's marker and
// its records' ledger entries in one request per delivery.

describe("reads asked for together", () => {
  let store: Store;
  const calls: { command: string; keys: number }[] = [];

  beforeAll(async () => {
    store = await openStore({ prefix: uniquePrefix("read-batch") });
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> };
        const keys = Object.values(input.RequestItems ?? {}).reduce((n, t) => n + (t.Keys?.length ?? 0), 0);
        calls.push({ command: context.commandName as string, keys });
        return next(args);
      },
      { step: "initialize", name: "recordReads" },
    );
  });
  afterAll(() => store?.close());

  it("go out as one request across tables, and each caller gets its own answer", async () => {
    // prepare: a counted operation and three ledger entries, read through stores sharing one batch
    const reads = new ReadBatch(store.doc);
    const progress = new RunProgress(store.doc, store.names.runs, reads);
    const ledger = new RecordLedger(store.doc, store.names.ledger, reads);
    const [tenantId, runId] = [aTenantId(), newRunId()];
    await progress.apply(tenantId, runId, "load:0/0", { loadsDone: 1, created: 3 });
    await ledger.putMany(tenantId, ledgerEntries(3));
    calls.length = 0;

    // act
    const [marker, missing, entries] = await Promise.all([
      progress.get(tenantId, runId, "load:0/0"),
      progress.get(tenantId, runId, "load:0/1"),
      ledger.getMany(tenantId, ["100000", "100002", "999999"]),
    ]);

    // assess
    expect(calls).toEqual([{ command: "BatchGetItemCommand", keys: 5 }]);
    expect(marker?.delta).toEqual({ loadsDone: 1, created: 3 });
    expect(missing).toBeUndefined();
    expect([...entries.keys()].sort()).toEqual(["100000", "100002"]);
  });

  it("go out as a GetItem when they are one key", async () => {
    const progress = new RunProgress(store.doc, store.names.runs);
    const [tenantId, runId] = [aTenantId(), newRunId()];
    await progress.apply(tenantId, runId, "unit:0", { unitsDone: 1 });
    calls.length = 0;

    const marker = await progress.get(tenantId, runId, "unit:0");

    expect(marker?.delta).toEqual({ unitsDone: 1 });
    expect(calls).toEqual([{ command: "GetItemCommand", keys: 0 }]);
  });

  it("read a key two callers ask for once, and answer both", async () => {
    const ledger = new RecordLedger(store.doc, store.names.ledger);
    const tenantId = aTenantId();
    await ledger.putMany(tenantId, ledgerEntries(2));
    calls.length = 0;

    const [first, second] = await Promise.all([
      ledger.getMany(tenantId, ["100000", "100001"]),
      ledger.getMany(tenantId, ["100001", "100001"]),
    ]);

    expect(calls).toEqual([{ command: "BatchGetItemCommand", keys: 2 }]);
    expect(first.get("100001")).toEqual(second.get("100001"));
    expect(first.size).toBe(2);
  });

  it("go out at most 100 keys a request", async () => {
    const ledger = new RecordLedger(store.doc, store.names.ledger);
    const tenantId = aTenantId();
    // Chunks of 25 (load chunks): each reads its records by key, all in the same turn.
    const written = ledgerEntries(250);
    await ledger.putMany(tenantId, written);
    calls.length = 0;

    const chunks = Array.from({ length: 10 }, (_, i) => written.slice(i * 25, i * 25 + 25));
    const answers = await Promise.all(
      chunks.map((chunk) =>
        ledger.getMany(
          tenantId,
          chunk.map((entry) => entry.key),
        ),
      ),
    );

    const found = new Map(answers.flatMap((answer) => [...answer]));
    expect(found.size).toBe(250);
    expect(calls.map((c) => c.keys).sort((a, b) => b - a)).toEqual([100, 100, 50]);
  });

  it("fail every caller of the turn when DynamoDB refuses the request", async () => {
    // prepare: one caller asks a table that does not exist
    const reads = new ReadBatch(store.doc);
    const ledger = new RecordLedger(store.doc, store.names.ledger, reads);
    const missing = new RecordLedger(store.doc, `${store.names.ledger}-missing`, reads);

    // act
    const answers = await Promise.allSettled([
      ledger.getMany(aTenantId(), ["1"]),
      missing.getMany(aTenantId(), ["1"]),
    ]);

    // assess: neither caller is told "not written" for a read that did not happen
    expect(answers.map((a) => a.status)).toEqual(["rejected", "rejected"]);
  });
});

describe("a request DynamoDB refuses, among several", () => {
  it("fails only the callers with a key in it: the others were answered", async () => {
    // prepare: a client that refuses any request naming the key "bad"; 100 good keys fill the
    // first request, so "bad" goes out in a second one
    const doc = {
      send: async (command: { input: { RequestItems: Record<string, { Keys: { k: string }[] }> } }) => {
        const keys = command.input.RequestItems.table?.Keys ?? [];
        if (keys.some((key) => key.k === "bad")) throw new Error("ValidationException: bad key");
        return { Responses: { table: keys.map((key) => ({ ...key, v: 1 })) } };
      },
    } as unknown as DynamoDBDocumentClient;
    const reads = new ReadBatch(doc);
    const good = Array.from({ length: 100 }, (_, i) => ({ k: `good-${i}` }));

    // act
    const [answered, refused] = await Promise.allSettled([
      reads.getMany("table", good),
      reads.getMany("table", [{ k: "bad" }, { k: "other" }]),
    ]);

    // assess
    expect(answered.status).toBe("fulfilled");
    expect(answered.status === "fulfilled" && answered.value).toHaveLength(100);
    expect(refused).toMatchObject({
      status: "rejected",
      reason: { message: "ValidationException: bad key" },
    });
  });
});

describe("keys DynamoDB leaves unprocessed", () => {
  it("are asked for again until answered (DynamoDB does so under throttling; no emulator does)", async () => {
    // prepare: a client that leaves the second key unprocessed the first time
    const sent: string[][] = [];
    const doc = {
      send: async (command: { input: { RequestItems: Record<string, { Keys: { k: string }[] }> } }) => {
        const keys = command.input.RequestItems.table?.Keys ?? [];
        sent.push(keys.map((key) => key.k));
        const [first, ...rest] = keys;
        return sent.length === 1
          ? {
              Responses: { table: first ? [{ ...first, v: 1 }] : [] },
              UnprocessedKeys: { table: { Keys: rest, ConsistentRead: true } },
            }
          : { Responses: { table: keys.map((key) => ({ ...key, v: 2 })) } };
      },
    } as unknown as DynamoDBDocumentClient;

    // act
    const items = await new ReadBatch(doc).getMany("table", [{ k: "a" }, { k: "b" }]);

    // assess
    expect(sent).toEqual([["a", "b"], ["b"]]);
    expect(items).toEqual([
      { k: "a", v: 1 },
      { k: "b", v: 2 },
    ]);
  });
});
