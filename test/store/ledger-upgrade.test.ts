import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RecordLedger } from "../../runtime/store/ledger.js";
import { upgradeLedgerKeys } from "../../runtime/store/ledger-upgrade.js";
import { createTables, openStore, type Store, startDynalite } from "../../runtime/store/local.js";
import { tableNames } from "../../runtime/store/tables.js";
import type { LedgerEntry } from "../../runtime/sync/ports.js";
import { aLedgerEntry, aTenantId, uniquePrefix } from "./factories.js";

// Ledger items written before 2026-12-02 are keyed by the bare record key. Local state on disk can
// hold them; the store rekeys them when it opens, so no record loses its entry.

/** Writes `entries` as the ledger wrote them before: `recordKey` is the record key itself. */
async function writeOldItems(store: Store, tenantId: string, entries: LedgerEntry[]): Promise<void> {
  for (const { key, ...rest } of entries) {
    await store.doc.send(
      new PutCommand({ TableName: store.names.ledger, Item: { tenantId, recordKey: key, ...rest } }),
    );
  }
}

/** The store on disk as an earlier version opened it: the same tables, no rekeying. */
async function earlierVersionStore(prefix: string, path: string): Promise<Store> {
  const dynalite = await startDynalite({ path });
  const client = new DynamoDBClient({
    endpoint: dynalite.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const names = tableNames(prefix);
  await createTables(client, names);
  const doc = DynamoDBDocumentClient.from(client);
  return {
    doc,
    client,
    names,
    close: async () => {
      client.destroy();
      await dynalite.close();
    },
  };
}

async function listed(ledger: RecordLedger, tenantId: string): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  for await (const page of ledger.all(tenantId)) entries.push(...page);
  return entries.sort((a, b) => a.key.localeCompare(b.key));
}

const oldEntries = () => [
  aLedgerEntry("-5"),
  aLedgerEntry("123", { outcome: "created" }),
  aLedgerEntry("4000", { active: false }),
  aLedgerEntry("row:9f2c"),
];

describe("upgradeLedgerKeys", () => {
  it("rekeys every old item of every tenant, keeping what it says", async () => {
    // prepare
    const store = await openStore({ prefix: uniquePrefix("ledger-upgrade") });
    const ledger = new RecordLedger(store.doc, store.names.ledger);
    const [first, second] = [aTenantId(), aTenantId()];
    await writeOldItems(store, first, oldEntries());
    await writeOldItems(store, second, [aLedgerEntry("7")]);
    await ledger.putMany(first, [aLedgerEntry("8")]);

    try {
      // act
      const rekeyed = await upgradeLedgerKeys(store.doc, store.names.ledger);

      // assess: each tenant's entries as they were, and none left under its old key
      expect(rekeyed).toBe(5);
      const expected = [...oldEntries(), aLedgerEntry("8")].sort((a, b) => a.key.localeCompare(b.key));
      expect(await listed(ledger, first)).toEqual(expected);
      expect(await listed(ledger, second)).toEqual([aLedgerEntry("7")]);
      const found = await ledger.getMany(first, ["123", "4000", "-5", "row:9f2c"]);
      expect(found.get("4000")?.active).toBe(false);
      const items = (await store.doc.send(new ScanCommand({ TableName: store.names.ledger }))).Items ?? [];
      const bare = items
        .filter((item) => ![first, second].includes(item.tenantId) === false)
        .filter((item) => !/^[nk]:/.test(String(item.recordKey)));
      expect(bare).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("runs once: old items written after it are not its business", async () => {
    const store = await openStore({ prefix: uniquePrefix("ledger-upgrade-once") });
    try {
      await upgradeLedgerKeys(store.doc, store.names.ledger);
      await writeOldItems(store, aTenantId(), [aLedgerEntry("1")]);

      const rekeyed = await upgradeLedgerKeys(store.doc, store.names.ledger);

      expect(rekeyed).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe("the local store on disk", () => {
  const ENDPOINT_VARIABLES = ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"] as const;
  let saved: Record<string, string | undefined>;
  let dir: string;
  // The embedded store, even where the suite runs against another endpoint (DynamoDB Local).
  beforeEach(async () => {
    saved = Object.fromEntries(ENDPOINT_VARIABLES.map((name) => [name, process.env[name]]));
    for (const name of ENDPOINT_VARIABLES) delete process.env[name];
    dir = await mkdtemp(join(tmpdir(), "ledger-upgrade-"));
  });
  afterEach(async () => {
    for (const name of ENDPOINT_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps a record's entry written before the ledger's keys changed: unchanged stays unchanged", async () => {
    // prepare: local state of an earlier version
    const prefix = uniquePrefix("ledger-on-disk");
    const tenantId = aTenantId();
    const before = await earlierVersionStore(prefix, dir);
    await writeOldItems(before, tenantId, oldEntries());
    await before.close();

    // act: the next `npm start` or `npm run sync` opens it
    const after = await openStore({ prefix, path: dir });
    try {
      const ledger = new RecordLedger(after.doc, after.names.ledger);

      // assess
      const found = await ledger.getMany(
        tenantId,
        oldEntries().map((entry) => entry.key),
      );
      expect(found).toEqual(new Map(oldEntries().map((entry) => [entry.key, entry])));
    } finally {
      await after.close();
    }
  });
});
