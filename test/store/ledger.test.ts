import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecordLedger } from "../../runtime/store/ledger.js";
import { openStore, type Store } from "../../runtime/store/local.js";
import { aLedgerEntry, aTenantId, ledgerEntries, uniquePrefix } from "./factories.js";

let store: Store;
let ledger: RecordLedger;

beforeAll(async () => {
  store = await openStore({ prefix: uniquePrefix("ledger") });
  ledger = new RecordLedger(store.doc, store.names.ledger);
});
afterAll(() => store?.close());

describe("RecordLedger", () => {
  it("returns every written entry of 1,200 and leaves unknown keys out of the map", async () => {
    const tenantId = aTenantId();
    const written = ledgerEntries(1_200);
    const unknownKeys = ["999999", "999998"];

    await ledger.putMany(tenantId, written);
    const found = await ledger.getMany(tenantId, [...written.map((entry) => entry.key), ...unknownKeys]);

    expect(found.size).toBe(1_200);
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
    await ledger.putMany(tenantId, written);
    await ledger.putMany(aTenantId(), ledgerEntries(10));

    const pages: number[] = [];
    const read = new Map<string, unknown>();
    for await (const page of ledger.all(tenantId)) {
      pages.push(page.length);
      for (const entry of page) read.set(entry.key, entry);
    }

    expect(pages.length).toBeGreaterThan(1);
    expect(read).toEqual(new Map(written.map((entry) => [entry.key, entry])));
  });

  it("refuses an empty record key with an error naming the tenant", async () => {
    const tenantId = aTenantId();

    const writing = ledger.putMany(tenantId, ledgerEntries(1, { key: "" }));

    await expect(writing).rejects.toThrow(`tenant ${tenantId}: every record key must be a non-empty string`);
  });

  it("accepts empty reads and writes (DynamoDB itself refuses an empty batch)", async () => {
    const found = await ledger.getMany(aTenantId(), []);
    await ledger.putMany(aTenantId(), []);

    expect(found.size).toBe(0);
  });
});
