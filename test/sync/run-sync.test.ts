import { describe, expect, it } from "vitest";
import type { ProductRecord, SourceRecord } from "../../runtime/sync/model.js";
import type {
  Ledger,
  LedgerEntry,
  ProductWriter,
  RunJournal,
  WriteResult,
} from "../../runtime/sync/ports.js";
import { type RecordMapper, runSync, type SyncDependencies } from "../../runtime/sync/run-sync.js";

// The domain on its own, with in-memory ports: the invariant and the run's status under every
// kind of per-record result. The same flow against real sandboxes and DynamoDB is in test/e2e.

const sourceRecords = (count: number, from = 1): SourceRecord[] =>
  Array.from({ length: count }, (_, i) => ({
    key: String(from + i),
    item: { f120_id: from + i, f120_referencia: `REF-${from + i}` },
    barcodes: [],
  }));

const mapper: RecordMapper = {
  map: (source) =>
    String(source.item.f120_referencia).startsWith("BAD")
      ? { ok: false, reason: "sku: required" }
      : {
          ok: true,
          record: {
            key: source.key,
            externalId: String(source.item.f120_referencia),
            payload: { external_id: source.item.f120_referencia, name: `Item ${source.key}` },
          },
        },
};

class MemoryLedger implements Ledger {
  readonly entries = new Map<string, LedgerEntry>();
  async getMany(_tenantId: string, keys: string[]) {
    return new Map(
      keys.flatMap((k) => (this.entries.has(k) ? [[k, this.entries.get(k) as LedgerEntry]] : [])),
    );
  }
  async putMany(_tenantId: string, entries: LedgerEntry[]) {
    for (const e of entries) this.entries.set(e.key, e);
  }
}

const memoryJournal = () => {
  const calls: string[] = [];
  const journal: RunJournal = {
    create: async () => void calls.push("create"),
    addCounts: async () => void calls.push("addCounts"),
    addErrors: async () => void calls.push("addErrors"),
    finish: async () => void calls.push("finish"),
  };
  return { journal, calls };
};

const writer = (
  decide: (record: ProductRecord) => WriteResult | Error,
): ProductWriter & { writes: number } => {
  const w = {
    writes: 0,
    login: async () => {},
    write: async (record: ProductRecord) => {
      w.writes++;
      const result = decide(record);
      if (result instanceof Error) throw result;
      return result;
    },
  };
  return w;
};

function dependencies(
  overrides: Partial<SyncDependencies> & { batches: SourceRecord[][] },
): SyncDependencies {
  return {
    tenantId: "acme",
    source: {
      async *extractAll() {
        yield* overrides.batches;
      },
    },
    mapper,
    product: writer((r) => ({ outcome: "created", productId: `p-${r.key}` })),
    ledger: new MemoryLedger(),
    journal: memoryJournal().journal,
    concurrency: 4,
    ...overrides,
  };
}

describe("runSync", () => {
  it("creates new records, then finds them unchanged and writes nothing", async () => {
    // Prepare
    const ledger = new MemoryLedger();
    const product = writer((r) => ({ outcome: "created", productId: `p-${r.key}` }));
    const deps = dependencies({ batches: [sourceRecords(30), sourceRecords(20, 31)], ledger, product });

    // Act
    const first = await runSync(deps, { runId: "r1", trigger: "cli" });
    const second = await runSync(deps, { runId: "r2", trigger: "cli" });

    // Assess
    expect(first.counts).toEqual({
      extracted: 50,
      created: 50,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      failed: 0,
    });
    expect(first.status).toBe("succeeded");
    expect(second.counts).toMatchObject({ extracted: 50, unchanged: 50, created: 0 });
    expect(product.writes).toBe(50);
    expect(ledger.entries.get("7")?.productId).toBe("p-7");
  });

  it("accounts for every record when the mapping rejects, the product refuses and retries run out", async () => {
    const records = sourceRecords(40);
    (records[3] as SourceRecord).item.f120_referencia = "BAD-4";
    const product = writer((r) => {
      if (r.key === "10") return { outcome: "rejected", reason: "name: too long" };
      if (r.key === "20") return new Error("kong-rfid create failed (503): retries exhausted");
      return { outcome: "created", productId: r.key };
    });

    const summary = await runSync(dependencies({ batches: [records], product }), {
      runId: "r",
      trigger: "cli",
    });

    const { extracted, created, updated, unchanged, rejected, failed } = summary.counts;
    expect(extracted).toBe(created + updated + unchanged + rejected + failed);
    expect(summary.counts).toMatchObject({ extracted: 40, created: 37, rejected: 2, failed: 1 });
    expect(summary.status).toBe("partial");
    expect(summary.errors).toEqual(
      expect.arrayContaining([
        { key: "4", outcome: "rejected", reason: "sku: required" },
        { key: "10", outcome: "rejected", reason: "name: too long" },
        { key: "20", outcome: "failed", reason: "kong-rfid create failed (503): retries exhausted" },
      ]),
    );
  });

  it("counts a record repeated across batches once", async () => {
    const summary = await runSync(dependencies({ batches: [sourceRecords(10), sourceRecords(10, 6)] }), {
      runId: "r",
      trigger: "cli",
    });

    expect(summary.counts.extracted).toBe(15);
    expect(summary.counts.created).toBe(15);
  });

  it("stops after an authentication failure the product cannot recover from, still accounting for extracted records", async () => {
    const authError = Object.assign(new Error("kong-rfid: credentials of tenant acme were refused"), {
      name: "ProductAuthError",
    });
    const product = writer((r) => (Number(r.key) > 5 ? authError : { outcome: "created", productId: r.key }));
    const deps = dependencies({
      batches: [sourceRecords(20), sourceRecords(20, 21)],
      product,
      concurrency: 1,
    });

    const summary = await runSync(deps, { runId: "r", trigger: "cli" });

    expect(summary.status).toBe("failed");
    expect(summary.reason).toContain("credentials of tenant acme were refused");
    const { extracted, created, failed } = summary.counts;
    expect(created).toBe(5);
    expect(failed).toBe(extracted - 5); // every record extracted before the stop is still accounted for
    expect(extracted).toBeLessThan(200); // and extraction stopped early
    expect(product.writes).toBe(6); // after the first refusal nothing more is sent
  });

  it("ends failed with the reason when extraction breaks mid-run, keeping what was extracted", async () => {
    const deps = dependencies({ batches: [] });
    deps.source = {
      async *extractAll() {
        yield sourceRecords(10);
        throw new Error("siesa API_v2_Items failed (timeout): no answer within 30000 ms");
      },
    };

    const summary = await runSync(deps, { runId: "r", trigger: "cli" });

    expect(summary.status).toBe("failed");
    expect(summary.reason).toMatch(/siesa .*\(timeout\)/);
    expect(summary.counts).toMatchObject({ extracted: 10, created: 10 });
  });

  it("dry run computes outcomes and writes nothing anywhere", async () => {
    const ledger = new MemoryLedger();
    const { journal, calls } = memoryJournal();
    const product = writer(() => ({ outcome: "created", productId: "x" }));
    await runSync(dependencies({ batches: [sourceRecords(5)], ledger, product }), {
      runId: "r0",
      trigger: "cli",
    });
    (ledger.entries.get("2") as LedgerEntry).hash = "stale";

    const summary = await runSync(dependencies({ batches: [sourceRecords(8)], ledger, product, journal }), {
      runId: "r1",
      trigger: "cli",
      dryRun: true,
    });

    expect(summary.counts).toMatchObject({ extracted: 8, created: 3, updated: 1, unchanged: 4 });
    expect(summary.changes).toHaveLength(4);
    expect(summary.changes).toContainEqual({ key: "2", externalId: "REF-2", outcome: "updated" });
    expect(product.writes).toBe(5);
    expect(calls).toEqual([]);
    expect(ledger.entries.get("2")?.hash).toBe("stale");
  });
});
