import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../../runtime/core/domain/run-id.js";
import { MAX_RUN_ERRORS, type RunState } from "../../runtime/core/ports/pipeline.js";
import {
  InvalidCursorError,
  RunAlreadyExistsError,
  RunNotFoundError,
} from "../../runtime/core/ports/store-errors.js";
import { aRecordError, aRun, aTenantId, type OpenedStore, STORE_IMPLEMENTATIONS } from "./factories.js";

describe.each(STORE_IMPLEMENTATIONS)("run records in %s", (_name, open) => {
  let store: OpenedStore;
  let runs: RunState;

  beforeAll(async () => {
    store = await open("runs");
    runs = store.runs;
  });
  afterAll(() => store?.close());

  const recordErrors = (prefix: string, count: number) =>
    Array.from({ length: count }, (_, index) => aRecordError(`${prefix}-${index}`));

  describe("runs.create and get", () => {
    it("stores a run and reads it back as it was given", async () => {
      const run = aRun({ trigger: "schedule", dryRun: true });

      await runs.create(run);

      expect(await runs.get(run.tenantId, run.runId)).toEqual(run);
    });

    it("keeps the item of a run of one item (dispatch reads its range from it)", async () => {
      const run = aRun({ trigger: "manual", item: 1007 });

      await runs.create(run);

      expect(await runs.get(run.tenantId, run.runId)).toEqual(run);
      expect((await runs.getById(run.runId))?.item).toBe(1007);
    });

    it("never overwrites an existing run", async () => {
      const run = aRun();
      await runs.create(run);

      const again = runs.create({ ...run, status: "failed", reason: "second create" });

      await expect(again).rejects.toBeInstanceOf(RunAlreadyExistsError);
      expect(await runs.get(run.tenantId, run.runId)).toEqual(run);
    });

    it("answers undefined for a run that does not exist", async () => {
      expect(await runs.get(aTenantId(), newRunId())).toBeUndefined();
    });
  });

  describe("runs.addErrors", () => {
    it("keeps the first errors in arrival order and drops those past 50", async () => {
      const run = aRun();
      await runs.create(run);
      const first = recordErrors("a", 30);
      const second = recordErrors("b", 30);

      await runs.addErrors(run.tenantId, run.runId, first);
      await runs.addErrors(run.tenantId, run.runId, second);
      await runs.addErrors(run.tenantId, run.runId, recordErrors("c", 1));

      const stored = await runs.get(run.tenantId, run.runId);
      expect(stored?.errors).toEqual([...first, ...second.slice(0, MAX_RUN_ERRORS - 30)]);
    });

    it("holds exactly 50 distinct errors when concurrent workers add more", async () => {
      const run = aRun();
      await runs.create(run);
      const batches = Array.from({ length: 8 }, (_, worker) => recordErrors(`w${worker}`, 9));

      await Promise.all(batches.map((batch) => runs.addErrors(run.tenantId, run.runId, batch)));

      const keys = (await runs.get(run.tenantId, run.runId))?.errors.map((error) => error.key) ?? [];
      expect(keys).toHaveLength(MAX_RUN_ERRORS);
      expect(new Set(keys).size).toBe(MAX_RUN_ERRORS);
      expect(batches.flat().map((error) => error.key)).toEqual(expect.arrayContaining(keys));
    });

    it("refuses a run that does not exist", async () => {
      const adding = runs.addErrors(aTenantId(), newRunId(), recordErrors("x", 1));

      await expect(adding).rejects.toBeInstanceOf(RunNotFoundError);
    });
  });

  describe("runs.getById", () => {
    it("finds a run by its id alone", async () => {
      const run = aRun();
      await runs.create(aRun());
      await runs.create(run);

      expect(await runs.getById(run.runId)).toEqual(run);
    });

    it("answers undefined for an unknown id", async () => {
      expect(await runs.getById(newRunId())).toBeUndefined();
    });
  });

  describe("runs.list", () => {
    const startOf = (minute: number) => new Date(Date.UTC(2025, 2, 1, 10, minute));

    /** 25 runs of one tenant, a minute apart, created out of order; plus another tenant's run. */
    async function aTenantWith25Runs(): Promise<{ tenantId: string; newestFirst: string[] }> {
      const tenantId = aTenantId();
      const ids = Array.from({ length: 25 }, (_, minute) => newRunId(startOf(minute)));
      const shuffled = ids
        .map((id, index) => ({ id, order: (index * 7) % 25 }))
        .sort((a, b) => a.order - b.order);
      for (const { id } of shuffled) await runs.create(aRun({ tenantId, runId: id }));
      await runs.create(aRun({ runId: newRunId(startOf(30)) }));
      return { tenantId, newestFirst: ids.reverse() };
    }

    it("pages through a tenant's runs newest first, and the last page has no cursor", async () => {
      const { tenantId, newestFirst } = await aTenantWith25Runs();

      const first = await runs.list(tenantId, { limit: 10 });
      const second = await runs.list(tenantId, { limit: 10, cursor: first.cursor });
      const third = await runs.list(tenantId, { limit: 10, cursor: second.cursor });

      expect([first, second, third].map((page) => page.runs.length)).toEqual([10, 10, 5]);
      expect([first, second, third].flatMap((page) => page.runs.map((run) => run.runId))).toEqual(
        newestFirst,
      );
      expect(first.cursor).toBeTypeOf("string");
      expect(third.cursor).toBeUndefined();
    });

    it("gives no cursor when a page holds exactly the last runs", async () => {
      const { tenantId } = await aTenantWith25Runs();

      const page = await runs.list(tenantId, { limit: 25 });

      expect(page.runs).toHaveLength(25);
      expect(page.cursor).toBeUndefined();
    });

    it("returns an empty page for a tenant without runs", async () => {
      expect(await runs.list(aTenantId())).toEqual({ runs: [] });
    });

    it("refuses a cursor that is garbage or belongs to another tenant", async () => {
      const { tenantId } = await aTenantWith25Runs();
      const { cursor } = await runs.list(tenantId, { limit: 5 });

      await expect(runs.list(aTenantId(), { cursor })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(runs.list(tenantId, { cursor: "not-a-cursor" })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
    });

    it("refuses a limit outside 1 to 100", async () => {
      await expect(runs.list(aTenantId(), { limit: 0 })).rejects.toThrow(
        "limit must be an integer from 1 to 100",
      );
      await expect(runs.list(aTenantId(), { limit: 101 })).rejects.toThrow(RangeError);
    });
  });

  describe("runs.pauseSiesa", () => {
    it("keeps the latest pause of the run's Siesa calls, whichever order the workers write in", async () => {
      const run = aRun();
      await runs.create(run);

      await runs.pauseSiesa(run.tenantId, run.runId, 2_000);
      await runs.pauseSiesa(run.tenantId, run.runId, 1_000);
      const kept = (await runs.get(run.tenantId, run.runId))?.siesaPausedUntil;
      await runs.pauseSiesa(run.tenantId, run.runId, 3_000);

      expect(kept).toBe(2_000);
      expect((await runs.get(run.tenantId, run.runId))?.siesaPausedUntil).toBe(3_000);
    });

    it("creates no run that does not exist", async () => {
      const tenantId = aTenantId();
      const runId = newRunId();

      await runs.pauseSiesa(tenantId, runId, 1_000);

      expect(await runs.get(tenantId, runId)).toBeUndefined();
    });
  });
});

describe("newRunId", () => {
  it("sorts by time as a plain string", () => {
    const ids = [2024, 2025, 2026].map((year) => newRunId(new Date(Date.UTC(year, 0, 1))));

    expect([...ids].sort()).toEqual(ids);
    expect(ids[1]).toMatch(/^20250101T000000\.000Z-[0-9a-f]{12}$/);
  });

  it("is unique for runs started in the same millisecond", () => {
    const now = new Date();

    const ids = new Set(Array.from({ length: 1_000 }, () => newRunId(now)));

    expect(ids.size).toBe(1_000);
  });
});
