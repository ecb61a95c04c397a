import { describe, expect, it } from "vitest";
import {
  DEFAULT_DRIFT,
  driftReason,
  mappingRule,
  mayDrift,
  tallyRules,
} from "../../runtime/core/domain/drift.js";
import type { Progress } from "../../runtime/core/domain/model.js";
import { judgeRun, zeroProgress } from "../../runtime/core/domain/run-status.js";

// How a run is judged when most of its rows break one rule (drift), or when its deactivations were
// held: the pure rules finalise applies.

const unitRule = mappingRule("unit", "must be one of UND, KLS (got CJ)");

describe("a rule", () => {
  it("is the field and its problem without the value it was given, so different bad values count alike", () => {
    expect(mappingRule("unit", "must be one of UND, KLS (got CJ)")).toBe(
      mappingRule("unit", "must be one of UND, KLS (got PACA)"),
    );
    expect(unitRule).toBe("unit must be one of UND, KLS");
  });
});

describe("drift", () => {
  it("is when one rule rejected at least half of the rows, and at least 20", () => {
    const tally = tallyRules(Array(97).fill(unitRule));

    expect(driftReason(tally, 100, DEFAULT_DRIFT)).toBe(
      "drift: unit must be one of UND, KLS in 97 % of rows",
    );
  });

  it("is not when the rows are few, however many are rejected", () => {
    const tally = tallyRules(Array(19).fill(unitRule));

    expect(mayDrift(19, 19, DEFAULT_DRIFT)).toBe(false);
    expect(driftReason(tally, 19, DEFAULT_DRIFT)).toBeUndefined();
  });

  it("is not when the rejections are many but for different reasons", () => {
    const tally = tallyRules([
      ...Array(30).fill(unitRule),
      ...Array(30).fill(mappingRule("sku", "required: empty")),
    ]);

    expect(mayDrift(100, 60, DEFAULT_DRIFT)).toBe(true);
    expect(driftReason(tally, 100, DEFAULT_DRIFT)).toBeUndefined();
  });

  it("follows the tenant's threshold", () => {
    const tally = tallyRules(Array(30).fill(unitRule));

    expect(driftReason(tally, 100, DEFAULT_DRIFT)).toBeUndefined();
    expect(driftReason(tally, 100, { share: 0.25, minRows: 10 })).toBe(
      "drift: unit must be one of UND, KLS in 30 % of rows",
    );
  });
});

describe("a finished run's status", () => {
  const progress = (counts: Partial<Progress>): Progress => ({ ...zeroProgress(), ...counts });

  it("is failed with the drift as its reason, not partial", () => {
    expect(judgeRun(progress({ extracted: 100, rejected: 97, created: 3 }), { drift: "drift: x" })).toEqual({
      status: "failed",
      reason: "drift: x",
    });
  });

  it("is partial with held deactivations, naming how many and the limit, even with every record written", () => {
    expect(
      judgeRun(progress({ extracted: 10, unchanged: 10 }), { held: { count: 600, limit: 125 } }),
    ).toEqual({
      status: "partial",
      reason: "held 600 deactivations, limit 125",
    });
  });

  it("is partial when deactivations failed", () => {
    expect(judgeRun(progress({ extracted: 10, unchanged: 10, deactivationsFailed: 2 }), {})).toEqual({
      status: "partial",
      reason: "2 deactivations failed",
    });
  });

  it("is failed when stopped, whatever else happened", () => {
    expect(
      judgeRun(progress({ extracted: 10, unchanged: 10 }), {
        stopReason: "credentials refused",
        held: { count: 600, limit: 125 },
      }),
    ).toEqual({ status: "failed", reason: "credentials refused" });
  });
});
