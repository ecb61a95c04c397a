import { describe, expect, it } from "vitest";
import { payloadHash } from "../../runtime/core/domain/hash.js";
import type { LedgerEntry } from "../../runtime/core/ports/records.js";
import { Comparison } from "../../runtime/core/verify/compare.js";
import { payloadShape } from "../../runtime/core/verify/payload-shape.js";
import { REPAIR_HASH } from "../../runtime/core/verify/repair.js";

// What verify says of each record, from the ledger and the product's list alone.

const shape = payloadShape({ external_id: "sourceId", name: "name" });
const written = { external_id: "1042", name: "Camisa azul" };

const entry = (fields: Partial<LedgerEntry> = {}): LedgerEntry => ({
  key: "1042",
  hash: payloadHash(written),
  productId: "7",
  runId: "2026-12-07T09:00:00.000Z-run",
  updatedAt: "2026-12-07T09:00:05.000Z",
  ...fields,
});

describe("comparing the product with the ledger", () => {
  it("says of a record marked for repair and not rewritten yet that it awaits its repair, not that someone changed it", () => {
    const marked = entry({ hash: REPAIR_HASH, updatedAt: "2026-12-07T10:00:02.000Z" });
    const comparison = new Comparison([marked], shape);

    comparison.add([{ id: "7", externalId: "1042", fields: { id: 7, ...written } }]);
    comparison.finish();

    expect(comparison.counts).toEqual({ ok: 0, missing: 0, drifted: 1, unknown: 0 });
    expect(comparison.differences).toEqual([
      {
        status: "drifted",
        key: "1042",
        productId: "7",
        externalId: "1042",
        detail:
          "marked for repair (2026-12-07T10:00:02.000Z), not rewritten yet: the next run of its stream writes it again",
      },
    ]);
  });

  it("says of a record someone changed which run wrote it", () => {
    const comparison = new Comparison([entry()], shape);

    comparison.add([{ id: "7", externalId: "1042", fields: { ...written, name: "Camisa roja" } }]);

    expect(comparison.differences).toEqual([
      expect.objectContaining({
        status: "drifted",
        detail:
          "changed in the product since run 2026-12-07T09:00:00.000Z-run wrote it (2026-12-07T09:00:05.000Z)",
      }),
    ]);
  });
});
