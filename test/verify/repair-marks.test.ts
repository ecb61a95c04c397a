import { describe, expect, it } from "vitest";
import type { VerifyReport } from "../../runtime/core/domain/verify-report.js";
import type { LedgerEntry } from "../../runtime/core/ports/records.js";
import { markForRepair, REPAIR_HASH } from "../../runtime/core/verify/repair.js";
import { MemoryLedger } from "../../runtime/edges/store/memory.js";

// What `verify --repair` marks: only the records whose ledger entry is still the one the verify
// compared. A run writing the tenant meanwhile (the CLI's verify takes no lease; a run whose lease
// expired still finishes a chunk) wrote the record after the verify read it: its write stands.

const TENANT = "acme";
const VERIFY_STARTED = "2026-12-07T10:00:00.000Z";

const entry = (key: string, fields: Partial<LedgerEntry> = {}): LedgerEntry => ({
  key,
  hash: `hash-${key}`,
  productId: `p-${key}`,
  runId: "2026-12-07T09:00:00.000Z-run",
  updatedAt: "2026-12-07T09:00:05.000Z",
  outcome: "created",
  ...fields,
});

const reportFinding = (...keys: string[]): VerifyReport => ({
  tenantId: TENANT,
  product: "kong-rfid",
  startedAt: VERIFY_STARTED,
  durationMs: 1_000,
  read: { product: keys.length, ledger: keys.length },
  counts: { ok: 0, missing: 0, drifted: keys.length, unknown: 0 },
  differences: keys.map((key) => ({ status: "drifted", key, productId: `p-${key}`, detail: "changed" })),
});

describe("marking for repair", () => {
  it("marks the records as verify read them, and leaves one a run wrote since the verify began", async () => {
    const ledger = new MemoryLedger();
    await ledger.putMany(TENANT, [entry("1"), entry("2")]);
    const found = reportFinding("1", "2");
    // The run that wrote them is still writing: record 2 again, after the verify read the ledger.
    const rewritten = entry("2", { hash: "hash-2-new", updatedAt: "2026-12-07T10:00:00.500Z" });
    await ledger.putMany(TENANT, [rewritten]);

    const marked = await markForRepair(ledger, found, new Date("2026-12-07T10:00:02.000Z"));

    expect(marked).toBe(1);
    const after = await ledger.getMany(TENANT, ["1", "2"]);
    expect(after.get("1")?.hash).toBe(REPAIR_HASH);
    expect(after.get("2")).toEqual(rewritten);
  });
});
