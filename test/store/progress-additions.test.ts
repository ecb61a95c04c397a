import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../../runtime/core/domain/run-id.js";
import { RunProgress } from "../../runtime/edges/store/progress.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { aTenantId } from "./factories.js";

// Every operation adds to its run's counter. Operations that finish while an addition to the same
// counter is in flight go out together in the next one: fewer writes, the same counts.

describe("additions to a run's counter made at the same time", () => {
  let store: Store;
  let additions = 0;
  let failNext = false;

  beforeAll(async () => {
    store = await openStore({ prefix: `additions-${process.pid}` });
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { UpdateExpression?: string };
        if (context.commandName === "UpdateItemCommand" && input.UpdateExpression?.startsWith("ADD")) {
          additions += 1;
          if (failNext) {
            failNext = false;
            throw new Error("connection reset");
          }
        }
        return next(args);
      },
      { step: "initialize", name: "countAdditions" },
    );
  });
  afterAll(() => store?.close());

  it("go out in fewer writes, and each operation sees the counter as if it had been the last", async () => {
    // prepare
    const progress = new RunProgress(store.doc, store.names.runs);
    const [tenantId, runId] = [aTenantId(), newRunId()];
    additions = 0;

    // act: 40 units of work finish together
    const seen = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        progress.apply(tenantId, runId, `unit:${i}`, { unitsDone: 1, unchanged: 10 }),
      ),
    );

    // assess: one operation saw all 40 done (it alone moves the run to its next phase), each another number
    expect(additions).toBeLessThan(40);
    expect(seen.map((totals) => totals?.unitsDone).sort((a = 0, b = 0) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    expect(seen.every((totals) => totals?.unchanged === (totals?.unitsDone ?? 0) * 10)).toBe(true);
    expect(await progress.read(tenantId, runId)).toMatchObject({ unitsDone: 40, unchanged: 400 });
  });

  it("fail together when their write fails, and the markers' sum still counts each once", async () => {
    // prepare: the next addition fails
    const progress = new RunProgress(store.doc, store.names.runs);
    const [tenantId, runId] = [aTenantId(), newRunId()];
    await progress.apply(tenantId, runId, "unit:first", { unitsDone: 1 });
    failNext = true;

    // act
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => progress.apply(tenantId, runId, `unit:${i}`, { unitsDone: 1 })),
    );

    // assess: whoever failed is delivered again (and finds its marker); nothing is counted twice
    expect(outcomes.some((o) => o.status === "rejected")).toBe(true);
    expect((await progress.read(tenantId, runId)).unitsDone).toBeLessThan(11);
    expect(await progress.sum(tenantId, runId)).toMatchObject({ unitsDone: 11 });
  });
});
