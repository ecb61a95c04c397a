import { describe, expect, it } from "vitest";
import { FULL_RANGE } from "../../runtime/core/ports/siesa.js";
import { MAX_SPLIT_PIECES, splitRange } from "../../runtime/edges/http/siesa/ranges.js";

describe("splitRange", () => {
  it("cuts a huge catalogue's first range into at most MAX_SPLIT_PIECES pieces, so the stored split stays small", () => {
    // prepare: a sample of 5,000 ids (50 pages read while counting 1,000,000 rows)
    const sample = Array.from({ length: 5_000 }, (_, i) => i * 200 + 1);

    // act
    const pieces = splitRange(FULL_RANGE, sample, 1_000_000, 100);

    // assess: disjoint, covering, and small enough to store with the unit's operation
    expect(pieces.length).toBe(MAX_SPLIT_PIECES);
    expect(pieces[0]?.from).toBe(FULL_RANGE.from);
    expect(pieces.at(-1)?.to).toBe(FULL_RANGE.to);
    pieces.forEach((piece, i) => {
      if (i > 0) expect(piece.from).toBe(pieces[i - 1]?.to);
    });
    expect(Buffer.byteLength(JSON.stringify({ ranges: pieces }))).toBeLessThan(8 * 1024);
  });
});
