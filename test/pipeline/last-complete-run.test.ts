import { describe, expect, it } from "vitest";
import { type RunRecord, zeroCounts } from "../../runtime/core/domain/model.js";
import { newRunId } from "../../runtime/core/domain/run-id.js";
import type { StreamName } from "../../runtime/core/domain/stream.js";
import { snapshotRun } from "../../runtime/core/steps/stock-snapshot.js";
import { lastCompleteRun } from "../../runtime/core/steps/stream-runs.js";
import { MemoryRuns } from "../../runtime/edges/store/memory.js";

// The stream's last complete run: what the stock snapshot serves and what a new run starts from
// (its baseline). A tenant's streams share one history, searched newest first.

const TENANT = "acme";
const START = Date.parse("2026-12-01T00:00:00Z");

/** A history of runs, one a minute in this order; each records the last complete run of its stream when it started. */
async function history(runs: { stream: StreamName; complete?: boolean }[]) {
  const store = new MemoryRuns();
  const last = new Map<StreamName, string>();
  const ids: string[] = [];
  for (const [i, { stream, complete }] of runs.entries()) {
    const runId = newRunId(new Date(START + i * 60_000));
    const baselineRunId = last.get(stream);
    const run: RunRecord = {
      runId,
      tenantId: TENANT,
      ...(stream !== "catalogue" ? { stream } : {}),
      trigger: "schedule",
      status: complete ? "succeeded" : "failed",
      startedAt: new Date(START + i * 60_000).toISOString(),
      counts: zeroCounts(),
      errors: [],
      ...(complete ? { complete: true as const } : {}),
      ...(baselineRunId ? { baselineRunId } : {}),
    };
    await store.create(run);
    if (complete) last.set(stream, runId);
    ids.push(runId);
  }
  return { store, ids };
}

const times = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

describe("lastCompleteRun", () => {
  it("finds the stream's last complete run however many incomplete runs of the tenant followed it", async () => {
    // prepare: a complete stock run, then weeks of failing stock runs between the catalogue's
    const { store, ids } = await history([
      { stream: "stock", complete: true },
      ...times(1_500, { stream: "stock" as const }),
      ...times(700, { stream: "catalogue" as const, complete: true }),
      ...times(100, { stream: "stock" as const }),
    ]);

    // act
    const found = await lastCompleteRun(store, TENANT, "stock");

    // assess
    expect(found?.runId).toBe(ids[0]);
  });

  it("is the newest complete run of the stream, not an older one nor another stream's", async () => {
    const { store, ids } = await history([
      { stream: "stock", complete: true },
      { stream: "stock" },
      { stream: "stock", complete: true },
      { stream: "stock" },
      { stream: "warehouses", complete: true },
    ]);

    expect((await lastCompleteRun(store, TENANT, "stock"))?.runId).toBe(ids[2]);
  });

  it("is none while no run of the stream has completed", async () => {
    const { store } = await history([{ stream: "catalogue", complete: true }, { stream: "stock" }]);

    expect(await lastCompleteRun(store, TENANT, "stock")).toBeUndefined();
  });
});

describe("snapshotRun", () => {
  it("still serves a download's run that the newest complete run started from, however many runs failed between them", async () => {
    // prepare: a complete stock run, weeks of failing stock runs, then a complete one that started
    // from the first (its entries keep the first's values): a download of the first began before it
    const { store, ids } = await history([
      { stream: "stock", complete: true },
      ...times(2_100, { stream: "stock" as const }),
      { stream: "stock", complete: true },
    ]);

    // act
    const served = await snapshotRun(store, TENANT, ids[0]);

    // assess
    expect(served.last?.runId).toBe(ids.at(-1));
    expect(served.run?.runId).toBe(ids[0]);
  });
});
