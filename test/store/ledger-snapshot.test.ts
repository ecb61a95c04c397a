import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecordLedger } from "../../runtime/edges/store/ledger.js";
import { LedgerSnapshot, SNAPSHOT_PAGE_ITEMS } from "../../runtime/edges/store/ledger-snapshot.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { aLedgerEntry, aTenantId, seedLedger, uniquePrefix } from "./factories.js";

let store: Store;
let ledger: RecordLedger;

beforeAll(async () => {
  store = await openStore({ prefix: uniquePrefix("ledger-snapshot") });
  ledger = new RecordLedger(store.doc, store.names.ledger);
});
afterAll(() => store?.close());

const sha256 = (text: string) => createHash("sha256").update(text).digest("base64url");

describe("LedgerSnapshot (a run's ledger read once)", () => {
  it("answers every entry exactly as DynamoDB holds it, across several pages and runs", async () => {
    const tenantId = aTenantId();
    const runs = ["20250301T100000.000Z-000000000001", "20250302T100000.000Z-000000000002"];
    const written = Array.from({ length: SNAPSHOT_PAGE_ITEMS + 300 }, (_, i) =>
      aLedgerEntry(String(100_000 + i), {
        hash: sha256(`payload ${i}`),
        productId: String(5_000 + i),
        runId: runs[i % 2] as string,
        updatedAt: new Date(Date.UTC(2025, 2, 1, 10, 0, 0, i)).toISOString(),
        ...(i % 3 === 0
          ? { outcome: "created" as const }
          : i % 3 === 1
            ? { outcome: "updated" as const }
            : {}),
        // Set inactive by a deactivation pass, or written back from inactive.
        ...(i % 5 === 0 ? { active: false as const } : {}),
        ...(i % 7 === 0 ? { reactivated: true as const } : {}),
      }),
    );
    // What does not pack (a repair mark, a time in another notation) comes back as it was written too.
    const odd = [
      aLedgerEntry("7", { hash: "repair", updatedAt: "2025-03-01T10:00:00Z" }),
      aLedgerEntry("8", { hash: `${sha256("x").slice(0, 42)}_`, productId: "a-uuid-like-id" }),
    ];
    await seedLedger(store.doc, store.names.ledger, tenantId, [...written, ...odd]);

    const snapshot = new LedgerSnapshot(ledger, tenantId);
    const found = await snapshot.getMany(
      tenantId,
      [...written, ...odd].map((entry) => entry.key).concat("999"),
    );

    expect(found.size).toBe(written.length + odd.length);
    for (const entry of [...written, ...odd]) expect(found.get(entry.key)).toEqual(entry);
    expect(found.has("999")).toBe(false);
    const listed = [];
    for await (const page of snapshot.all(tenantId)) listed.push(...page);
    expect(listed.sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      [...written, ...odd].sort((a, b) => a.key.localeCompare(b.key)),
    );
  });

  it("writes through to DynamoDB and answers the new entries, replacing older ones", async () => {
    const tenantId = aTenantId();
    await ledger.putMany(tenantId, [aLedgerEntry("1", { hash: sha256("old") })]);
    const snapshot = new LedgerSnapshot(ledger, tenantId);
    const rewritten = aLedgerEntry("1", { hash: sha256("new"), runId: "20250303T100000.000Z-000000000003" });
    const added = aLedgerEntry("2", { hash: sha256("two"), outcome: "created" });

    await snapshot.putMany(tenantId, [rewritten, added]);

    expect(await snapshot.getMany(tenantId, ["1", "2"])).toEqual(
      new Map([
        ["1", rewritten],
        ["2", added],
      ]),
    );
    expect(await ledger.getMany(tenantId, ["1", "2"])).toEqual(
      new Map([
        ["1", rewritten],
        ["2", added],
      ]),
    );
  });

  it("keeps a write made while its copy is still being read, not the older page read before it", async () => {
    // prepare: the copy's read has its page (the old entry) but has not kept it yet
    const tenantId = aTenantId();
    const old = aLedgerEntry("1", { hash: sha256("old") });
    await ledger.putMany(tenantId, [old]);
    let written!: () => void;
    const afterWrite = new Promise<void>((resolve) => {
      written = resolve;
    });
    const slowReader = {
      getMany: ledger.getMany.bind(ledger),
      all: async function* (id: string, options?: { pageSize?: number }) {
        for await (const page of ledger.all(id, options)) {
          await afterWrite;
          yield page;
        }
      },
      putMany: async (id: string, entries: Parameters<RecordLedger["putMany"]>[1]) => {
        const result = await ledger.putMany(id, entries);
        written();
        return result;
      },
    };
    const snapshot = new LedgerSnapshot(slowReader, tenantId);
    const rewritten = aLedgerEntry("1", { hash: sha256("new"), runId: "20250303T100000.000Z-000000000003" });

    // act
    await snapshot.putMany(tenantId, [rewritten]);

    // assess
    expect(await snapshot.getMany(tenantId, ["1"])).toEqual(new Map([["1", rewritten]]));
  });

  it("refuses to answer for another tenant", async () => {
    const snapshot = new LedgerSnapshot(ledger, aTenantId());

    await expect(snapshot.getMany("someone-else", ["1"])).rejects.toThrow(/asked about tenant someone-else/);
  });
});
