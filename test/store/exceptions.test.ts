import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordError } from "../../runtime/core/domain/model.js";
import type { RunState } from "../../runtime/core/ports/pipeline.js";
import { InvalidCursorError } from "../../runtime/core/ports/store-errors.js";
import { RunStore } from "../../runtime/edges/store/runs.js";
import { openStore } from "../../runtime/wiring/local-store.js";
import { aRecordError, aRun, type OpenedStore, STORE_IMPLEMENTATIONS, uniquePrefix } from "./factories.js";

/** Errors for f120_ids from..to, in descending order (the store must sort them). */
const errorsFor = (from: number, to: number, overrides: Partial<RecordError> = {}) =>
  Array.from({ length: to - from + 1 }, (_, i) => aRecordError(String(to - i), overrides));

async function everyPage(runs: RunState, tenantId: string, runId: string, limit: number) {
  const pages: RecordError[][] = [];
  let cursor: string | undefined;
  do {
    const page = await runs.exceptions(tenantId, runId, { limit, ...(cursor ? { cursor } : {}) });
    pages.push(page.exceptions);
    cursor = page.cursor;
  } while (cursor);
  return pages;
}

describe.each(STORE_IMPLEMENTATIONS)("a run's exceptions in %s", (_name, open) => {
  let store: OpenedStore;
  let runs: RunState;

  beforeAll(async () => {
    store = await open("exceptions");
    runs = store.runs;
  });
  afterAll(() => store?.close());

  it("keeps every exception put for a run, in f120_id order, a page at a time, each exactly once", async () => {
    const run = aRun();
    await runs.create(run);
    await runs.putExceptions(run.tenantId, run.runId, errorsFor(61, 120));
    await runs.putExceptions(run.tenantId, run.runId, errorsFor(1, 60));

    const pages = await everyPage(runs, run.tenantId, run.runId, 25);

    expect(pages.map((page) => page.length)).toEqual([25, 25, 25, 25, 20]);
    expect(pages.flat().map((e) => e.key)).toEqual(Array.from({ length: 120 }, (_, i) => String(i + 1)));
  });

  it("answers the exceptions of a span of a stream's text keys only (from and through included), a page at a time", async () => {
    const run = aRun();
    await runs.create(run);
    const keys = ["NB1|0000000001|01", "NB1|0000000002|01", "NB1|0000000002|02", "PPAL|0000000001|01"];
    await runs.putExceptions(
      run.tenantId,
      run.runId,
      keys.map((key) => aRecordError(key)),
    );
    const other = aRun({ tenantId: run.tenantId, runId: `${run.runId}x` });
    await runs.create(other);
    await runs.putExceptions(
      other.tenantId,
      other.runId,
      keys.map((key) => aRecordError(key)),
    );

    const first = await runs.exceptions(run.tenantId, run.runId, {
      from: "NB1|0000000002|",
      through: "NB1|0000000002|02",
      limit: 1,
    });
    const second = await runs.exceptions(run.tenantId, run.runId, {
      from: "NB1|0000000002|",
      through: "NB1|0000000002|02",
      limit: 1,
      ...(first.cursor ? { cursor: first.cursor } : {}),
    });

    expect([...first.exceptions, ...second.exceptions].map((e) => e.key)).toEqual([
      "NB1|0000000002|01",
      "NB1|0000000002|02",
    ]);
    expect(second.cursor).toBeUndefined();
  });

  it("keeps one exception per record: the record's error added again replaces it (a redelivered chunk)", async () => {
    const run = aRun();
    await runs.create(run);
    await runs.putExceptions(run.tenantId, run.runId, errorsFor(1, 3));

    await runs.putExceptions(run.tenantId, run.runId, [aRecordError("2", { reason: "refused again" })]);

    const { exceptions } = await runs.exceptions(run.tenantId, run.runId);
    expect(exceptions.map((e) => [e.key, e.reason])).toEqual([
      ["1", "name: required (record 1)"],
      ["2", "refused again"],
      ["3", "name: required (record 3)"],
    ]);
  });

  it("removes the exceptions of the records cleared (written since an earlier delivery refused them)", async () => {
    const run = aRun();
    await runs.create(run);
    await runs.putExceptions(run.tenantId, run.runId, errorsFor(1, 4));

    await runs.putExceptions(
      run.tenantId,
      run.runId,
      [aRecordError("3", { reason: "refused again" })],
      ["1", "2", "9"],
    );

    const { exceptions } = await runs.exceptions(run.tenantId, run.runId);
    expect(exceptions.map((e) => [e.key, e.reason])).toEqual([
      ["3", "refused again"],
      ["4", "name: required (record 4)"],
    ]);
  });

  it("lists records by f120_id, then the units and chunks that stand for records never read", async () => {
    const run = aRun();
    await runs.create(run);
    const unit = aRecordError("unit 0.1 (f120_id 1..99)", { outcome: "failed", step: "extract" });

    await runs.putExceptions(run.tenantId, run.runId, [unit, aRecordError("10"), aRecordError("9")]);

    const { exceptions } = await runs.exceptions(run.tenantId, run.runId);
    expect(exceptions).toEqual([aRecordError("9"), aRecordError("10"), unit]);
  });

  it("keeps every field of an exception, the reason cut to 1,000 characters", async () => {
    const run = aRun();
    await runs.create(run);
    const error: RecordError = {
      key: "42",
      outcome: "rejected",
      reason: "y".repeat(3_000),
      reference: "CAMISA-42",
      step: "mapping",
      field: "sku, payload.type_id",
    };

    await runs.putExceptions(run.tenantId, run.runId, [error]);

    const [stored] = (await runs.exceptions(run.tenantId, run.runId)).exceptions;
    expect(stored).toEqual({ ...error, reason: `${"y".repeat(999)}…` });
  });

  it("keeps each run's exceptions apart, and out of the tenant's run history", async () => {
    const first = aRun();
    const second = aRun({ tenantId: first.tenantId });
    await runs.create(first);
    await runs.create(second);

    await runs.putExceptions(first.tenantId, first.runId, errorsFor(1, 2));
    await runs.putExceptions(second.tenantId, second.runId, errorsFor(3, 3));

    expect((await runs.exceptions(first.tenantId, first.runId)).exceptions.map((e) => e.key)).toEqual([
      "1",
      "2",
    ]);
    expect((await runs.exceptions(second.tenantId, second.runId)).exceptions.map((e) => e.key)).toEqual([
      "3",
    ]);
    expect((await runs.list(first.tenantId)).runs).toHaveLength(2);
  });

  it("answers an empty last page for a run without exceptions", async () => {
    const run = aRun();
    await runs.create(run);

    expect(await runs.exceptions(run.tenantId, run.runId)).toEqual({ exceptions: [] });
  });

  it("refuses a cursor of another run, garbage, or a limit outside 1 to 1000", async () => {
    const run = aRun();
    const other = aRun({ tenantId: run.tenantId });
    await runs.create(run);
    await runs.create(other);
    await runs.putExceptions(other.tenantId, other.runId, errorsFor(1, 3));
    const { cursor } = await runs.exceptions(other.tenantId, other.runId, { limit: 1 });

    await expect(runs.exceptions(run.tenantId, run.runId, { cursor })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(runs.exceptions(run.tenantId, run.runId, { cursor: "garbage" })).rejects.toThrow(
      `the exceptions cursor is not one this service issued for run ${run.runId}`,
    );
    await expect(runs.exceptions(run.tenantId, run.runId, { limit: 1001 })).rejects.toThrow(
      "limit must be an integer from 1 to 1000",
    );
  });
});

describe("a run's exceptions in DynamoDB, read a page at a time", () => {
  let opened: Awaited<ReturnType<typeof openStore>>;
  /** Items each Query answered with. */
  const answered: number[] = [];

  beforeAll(async () => {
    opened = await openStore({ prefix: uniquePrefix("exception-pages") });
  });
  afterAll(() => opened?.close());

  it("never reads more than a page and one item, however many exceptions the run holds", async () => {
    const counting = new Proxy(opened.doc, {
      get(doc, key, receiver) {
        if (key !== "send") return Reflect.get(doc, key, receiver);
        return async (command: Parameters<DynamoDBDocumentClient["send"]>[0]) => {
          const answer = (await doc.send(command as never)) as { Items?: unknown[] };
          if (command.constructor.name === "QueryCommand") answered.push(answer.Items?.length ?? 0);
          return answer;
        };
      },
    });
    const runs = new RunStore(counting, opened.names.runs);
    const run = aRun();
    await runs.create(run);
    await runs.putExceptions(run.tenantId, run.runId, errorsFor(1, 200));

    const pages = await everyPage(runs, run.tenantId, run.runId, 20);

    expect(pages.flat()).toHaveLength(200);
    expect(answered).toHaveLength(10);
    expect(Math.max(...answered)).toBe(21);
  });
});
