import { describe, expect, it } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { halvesUnderRateLimit } from "../../runtime/core/steps/extract-unit.js";

// A unit whose reads do not fit in one invocation under Siesa's rate limit is cut in halves
// (extract-unit.ts). A stock unit reads one warehouse: its halves must read that warehouse only,
// or a half without one would read every counted warehouse again.

const rateLimited = () =>
  new ExternalCallError("siesa", "ejecutarconsultaestandar", "rate-limit", "the window resets later", true);

describe("a unit cut in halves under Siesa's rate limit", () => {
  it("keeps each half within the unit's warehouse", () => {
    const halves = halvesUnderRateLimit(rateLimited(), { from: 0, to: 1000, within: "NB1" });

    expect(halves).toEqual({
      kind: "split",
      ranges: [
        { from: 0, to: 500, within: "NB1" },
        { from: 500, to: 1000, within: "NB1" },
      ],
    });
  });

  it("gives the catalogue's halves no warehouse", () => {
    const halves = halvesUnderRateLimit(rateLimited(), { from: 0, to: 1000 });

    expect(halves?.kind === "split" && halves.ranges.every((r) => !("within" in r))).toBe(true);
  });

  it("halves a unit cut on known rows at its middle leaf, each half keeping its leaves", () => {
    const halves = halvesUnderRateLimit(rateLimited(), {
      from: 0,
      to: 1000,
      within: "NB1",
      cuts: [200, 450, 700],
    });

    expect(halves).toEqual({
      kind: "split",
      ranges: [
        { from: 0, to: 450, within: "NB1", cuts: [200] },
        { from: 450, to: 1000, within: "NB1", cuts: [700] },
      ],
    });
  });
});
