import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../../runtime/core/domain/run-id.js";
import { RunProgress } from "../../runtime/edges/store/progress.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { aTenantId } from "./factories.js";

// An operation is a marker, then an addition to the run's counter. A recount (the sweeper, the
// deactivation pass) that runs between the two already sums the marker: the addition landing after
// it must not count the operation a second time.

describe("a recount between an operation's marker and its addition to the counter", () => {
  let store: Store;
  /** Holds the next counter addition until released; resolves `reached` when it is held. */
  let gate: { reached: () => void; release: Promise<void> } | undefined;

  beforeAll(async () => {
    store = await openStore({ prefix: `recount-${process.pid}` });
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { UpdateExpression?: string };
        if (
          gate &&
          context.commandName === "UpdateItemCommand" &&
          input.UpdateExpression?.startsWith("ADD")
        ) {
          const held = gate;
          gate = undefined;
          held.reached();
          await held.release;
        }
        return next(args);
      },
      { step: "initialize", name: "holdCounterAddition" },
    );
  });
  afterAll(() => store?.close());

  it("leaves the operation counted once", async () => {
    // prepare: one operation counted; a second one's marker written, its addition held
    const progress = new RunProgress(store.doc, store.names.runs);
    const tenantId = aTenantId();
    const runId = newRunId();
    await progress.apply(tenantId, runId, "load:0/0", { loadsDone: 1, created: 20 });
    let release!: () => void;
    const reached = new Promise<void>((resolve) => {
      gate = { reached: resolve, release: new Promise((r) => (release = r)) };
    });
    const second = progress.apply(tenantId, runId, "load:0/1", { loadsDone: 1, created: 5 });
    await reached;

    // act: the recount runs, then the held addition lands
    const summed = await progress.sum(tenantId, runId);
    release();
    await second;

    // assess
    expect(summed).toMatchObject({ loadsDone: 2, created: 25 });
    expect(await progress.read(tenantId, runId)).toMatchObject({ loadsDone: 2, created: 25 });
    expect(await progress.sum(tenantId, runId)).toMatchObject({ loadsDone: 2, created: 25 });
  });
});
