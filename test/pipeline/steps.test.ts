import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { zeroCounts } from "../../runtime/core/domain/model.js";
import { QUEUES, visibilityTimeoutSeconds } from "../../runtime/core/domain/pipeline-config.js";
import { newRunId } from "../../runtime/core/domain/run-id.js";
import { METRICS } from "../../runtime/core/observability/metric-names.js";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { ProductAuthError } from "../../runtime/core/ports/product-auth-error.js";
import type { LedgerEntry } from "../../runtime/core/ports/records.js";
import { FULL_RANGE } from "../../runtime/core/ports/siesa.js";
import { afterProgress } from "../../runtime/core/steps/after-progress.js";
import { createPipelineContext } from "../../runtime/core/steps/context.js";
import { LEASE_EXPIRED } from "../../runtime/core/steps/expire-run.js";
import { DIED_REASON } from "../../runtime/core/steps/settle.js";
import { KongClient } from "../../runtime/edges/http/products/kong-client.js";
import { dynamoPipelineStore } from "../../runtime/edges/store/dynamo.js";
import { openStore } from "../../runtime/wiring/local-store.js";
import { createSweeper } from "../../runtime/workers/index.js";
import { createKongSandbox, SANDBOX_KONG_CREDENTIALS } from "../../sandbox/kong.js";
import { clientOptions, recordingPolicy, serve } from "../products/support.js";
import { aTenant } from "../tenants/factories.js";
import { toEvent } from "./step-queues.js";
import {
  deliver,
  drain,
  eventOf,
  kongMapper,
  receiveEvent,
  type StepWorld,
  startScheduledRun,
  stepWorld,
  T0,
} from "./step-world.js";

// Each pipeline step on the in-memory store, driven by SQS events as Lambda builds them: what a step
// decides, what it sends on, what it counts, and what a redelivery changes (nothing).

const countsOf = async (world: StepWorld, runId: string) =>
  (await world.store.runs.get(world.tenant.id, runId))?.counts;

describe("dispatch", () => {
  it("takes the tenant's lease, records the run and sends the whole id range as the first unit", async () => {
    // prepare
    const world = stepWorld();

    // act
    const runId = await startScheduledRun(world);

    // assess
    expect(await world.store.lease.current(world.tenant.id)).toMatchObject({ runId });
    expect(await world.store.runs.get(world.tenant.id, runId)).toMatchObject({
      status: "running",
      trigger: "schedule",
    });
    expect(world.queues.queues.units.queue.bodies().map((b) => JSON.parse(b))).toEqual([
      { tenantId: world.tenant.id, runId, unitId: "0", range: FULL_RANGE },
    ]);
  });

  it("takes over at once a lease its finished run did not give back (its step died after ending it)", async () => {
    // prepare: a run ended, and the step that ended it died before releasing the lease
    const world = stepWorld({ items: 10 });
    const ended = await startScheduledRun(world);
    await world.store.runs.complete(world.tenant.id, ended, {
      status: "succeeded",
      counts: (await countsOf(world, ended)) ?? expect.fail("no counts"),
      finishedAt: new Date(world.clock.now).toISOString(),
      durationMs: 1,
    });

    // act: the next scheduled run, minutes later, long before the lease would expire
    const next = await startScheduledRun(world);

    // assess
    expect(next).not.toBe(ended);
    expect(await world.store.lease.current(world.tenant.id)).toMatchObject({ runId: next });
  });

  it("records a request that finds a run active as skipped on that run, and starts nothing", async () => {
    // prepare
    const world = stepWorld();
    const runId = await startScheduledRun(world);

    // act
    await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
    await deliver(world, "syncRequests");

    // assess
    expect((await world.store.runs.list(world.tenant.id)).runs).toHaveLength(1);
    expect((await world.store.runs.get(world.tenant.id, runId))?.skipped).toEqual([
      { trigger: "schedule", at: new Date(world.clock.now).toISOString() },
    ]);
  });
});

describe("dispatch, a scheduled request of a stream the tenant may not sync yet", () => {
  it("drops a WMS tenant's warehouses request while its locations endpoint is unconfirmed: no run, no lease, no work", async () => {
    // prepare: a warehouses schedule resumed by hand before the tenant's file records the endpoint confirmed
    const world = stepWorld({
      tenant: aTenant((input) => {
        input.product = { type: "wms", baseUrl: "https://wms.example/", endpoints: {}, defaults: {} };
        input.mapping = "wms";
        input.streams = { warehouses: { schedule: "rate(1 day)", location: { type: "E1", parent: null } } };
      }),
    });
    const request = { tenantId: world.tenant.id, trigger: "schedule", stream: "warehouses" };

    // act
    const answer = await world.handlers.dispatch(eventOf(world.queues.queues.syncRequests.queue, request));

    // assess
    expect(answer.batchItemFailures).toEqual([]);
    expect((await world.store.runs.list(world.tenant.id)).runs).toEqual([]);
    expect(await world.store.lease.current(`${world.tenant.id}#warehouses`)).toBeUndefined();
    expect(world.queues.queues.units.queue.size).toBe(0);
  });
});

describe("dispatch, a request naming a run that does not exist", () => {
  it("acknowledges it and creates no run, takes no lease and sends no work", async () => {
    // prepare: a request for a run nobody opened (the API and the CLI open theirs before sending)
    const world = stepWorld();
    const request = { tenantId: world.tenant.id, trigger: "manual", runId: newRunId(new Date(T0)) };

    // act
    const answer = await world.handlers.dispatch(eventOf(world.queues.queues.syncRequests.queue, request));

    // assess
    expect(answer.batchItemFailures).toEqual([]);
    expect((await world.store.runs.list(world.tenant.id)).runs).toEqual([]);
    expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
    expect(world.queues.queues.units.queue.size).toBe(0);
  });

  it("creates no run from its dead-letter queue either", async () => {
    // prepare
    const world = stepWorld();
    const request = { tenantId: world.tenant.id, trigger: "manual", runId: newRunId(new Date(T0)) };

    // act
    await world.handlers.settle(eventOf(world.queues.queues.syncRequests.deadLetter, request, 5));

    // assess
    expect((await world.store.runs.list(world.tenant.id)).runs).toEqual([]);
  });
});

describe("dispatch, a scheduled request delivered again after a later run", () => {
  it("opens no run that would sort before a run of the stream that already started: the schedule fires again", async () => {
    // prepare: the schedule's request, whose first delivery died before it opened its run; meanwhile
    // the next request's run starts and completes
    const world = stepWorld({ items: 10 });
    await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
    expect(world.queues.queues.syncRequests.queue.receive(1)).toHaveLength(1);
    const later = await startScheduledRun(world);

    // act: the queues run dry, the first request delivered again once its visibility times out
    await drain(world);

    // assess: runs are ordered by id (history, baselines, the stock snapshot): no run older than the
    // later one was opened after it, and nothing holds the lease
    const { runs } = await world.store.runs.list(world.tenant.id);
    expect(runs.map((run) => [run.runId, run.status])).toEqual([[later, "succeeded"]]);
    expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
    // and the dropped request shows in the history, on the run it came after
    expect((await world.store.runs.get(world.tenant.id, later))?.skipped).toEqual([
      { trigger: "schedule", at: expect.any(String) },
    ]);
  });

  it("opens its run when the only run started since never did its work (a start that could not queue it)", async () => {
    // prepare: the schedule's request is sent; a moment later an operator's start fails before its
    // work was queued, and ends failed having written nothing
    const world = stepWorld({ items: 10 });
    await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
    world.clock.advance(1_000);
    const failedStart = newRunId(new Date(world.clock.now));
    await world.store.runs.create({
      runId: failedStart,
      tenantId: world.tenant.id,
      trigger: "manual",
      status: "failed",
      startedAt: new Date(world.clock.now).toISOString(),
      finishedAt: new Date(world.clock.now).toISOString(),
      counts: zeroCounts(),
      errors: [],
      reason: "could not start the run: the queue refused",
    });

    // act: the schedule's request is delivered
    await deliver(world, "syncRequests");

    // assess: the schedule's run is open
    const { runs } = await world.store.runs.list(world.tenant.id);
    expect(runs.map((run) => run.status).sort()).toEqual(["failed", "running"]);
  });
});

describe("dispatch, its request delivered again late", () => {
  it("leaves a run that awaits its deactivation pass to the steps: the sweeper asks extract for it, which ends the run", async () => {
    // prepare: the run's records are counted by a load whose step died before the pass
    const world = stepWorld({ items: 10 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    world.queues.queues.loads.queue.receive(1);
    await world.store.progress.apply(world.tenant.id, runId, "load:0/0", { loadsDone: 1, created: 10 });
    const request = { tenantId: world.tenant.id, trigger: "schedule", runId };

    // act: a copy of the run's sync request (SQS standard queues deliver at least once)
    await world.handlers.dispatch(eventOf(world.queues.queues.syncRequests.queue, request, 2));
    const swept = await createSweeper(world.scoped("settle"))();
    await deliver(world, "units");

    // assess
    expect(swept).toEqual({ expired: 0, finalised: 0 });
    expect(await world.store.runs.get(world.tenant.id, runId)).toMatchObject({
      status: "succeeded",
      counts: { created: 10 },
    });
  });
});

describe("extract", () => {
  it("splits a range too big for a page and stores the split before sending the children", async () => {
    // prepare
    const world = stepWorld({ items: 250 });
    const runId = await startScheduledRun(world);

    // act
    await deliver(world, "units");

    // assess
    const children = world.queues.queues.units.queue.bodies().map((b) => JSON.parse(b).range);
    expect(children).toHaveLength(2);
    expect((await world.store.progress.get(world.tenant.id, runId, "split:0"))?.data).toEqual({
      ranges: children,
    });
  });

  it("on a retry sends the children the first delivery chose, although Siesa would now cut elsewhere", async () => {
    // prepare: the first delivery stores its split, then dies before sending the children
    const world = stepWorld({ items: 250 });
    const runId = await startScheduledRun(world);
    const unit = { tenantId: world.tenant.id, runId, unitId: "0", range: FULL_RANGE };
    const first = [
      { from: FULL_RANGE.from, to: 90 },
      { from: 90, to: FULL_RANGE.to },
    ];
    await world.store.progress.apply(
      world.tenant.id,
      runId,
      "split:0",
      { unitsPlanned: 2, unitsDone: 1 },
      { ranges: first },
    );
    world.queues.queues.units.queue.receive(10); // the first delivery's message, in flight

    // act
    await world.handlers.extract(eventOf(world.queues.queues.units.queue, unit, 2));

    // assess
    const sent = world.queues.queues.units.queue
      .bodies()
      .map((b) => JSON.parse(b))
      .filter((u) => u.unitId !== "0");
    expect(sent.map((u) => u.range)).toEqual(first);
    // the whole range and the deactivation pass (dispatch), and the two children
    expect((await world.store.progress.read(world.tenant.id, runId)).unitsPlanned).toBe(4);
  });

  it("on a retry reads whole a unit whose records the first delivery planned, although Siesa would now split it", async () => {
    // prepare: the first delivery of the whole range read 250 records (Siesa answered short then),
    // planned 10 chunks and sent them, then died; now the range's first page comes back full
    const world = stepWorld({ items: 250 });
    const runId = await startScheduledRun(world);
    const unit = { tenantId: world.tenant.id, runId, unitId: "0", range: FULL_RANGE };
    await world.store.progress.apply(
      world.tenant.id,
      runId,
      "plan:0",
      { extracted: 250, loadsPlanned: 10 },
      {
        chunks: Array.from({ length: 10 }, (_, c) =>
          Array.from({ length: 25 }, (_, i) => String(c * 25 + i + 1)).join(","),
        ),
      },
    );
    world.queues.queues.units.queue.receive(10); // the first delivery's message, in flight

    // act
    await world.handlers.extract(eventOf(world.queues.queues.units.queue, unit, 2));

    // assess: no split, no children; the planned chunks, and the unit counted done once
    expect(await world.store.progress.get(world.tenant.id, runId, "split:0")).toBeUndefined();
    const children = world.queues.queues.units.queue.bodies().filter((b) => JSON.parse(b).unitId !== "0");
    expect(children).toEqual([]);
    expect(world.queues.queues.loads.queue.size).toBe(10);
    expect(await world.store.progress.read(world.tenant.id, runId)).toMatchObject({
      unitsPlanned: 2,
      unitsDone: 1,
      extracted: 250,
    });
  });

  it("counts an unchanged record without sending it, and sends changed ones in one chunk per unit", async () => {
    // prepare: a first run wrote every item; then two items change in Siesa
    const world = stepWorld({ items: 80 });
    await startScheduledRun(world);
    await drain(world);
    (world.siesa.items[4] as { item: Record<string, unknown> }).item.name = "renamed 5";
    (world.siesa.items[9] as { item: Record<string, unknown> }).item.name = "renamed 10";
    const writesBefore = world.product.writes.length;

    // act
    const runId = await startScheduledRun(world);
    await deliver(world, "units");

    // assess
    const chunks = world.queues.queues.loads.queue.bodies().map((b) => JSON.parse(b));
    expect(chunks.map((c) => c.records.map((r: { key: string }) => r.key))).toEqual([["5", "10"]]);
    expect(await world.store.progress.read(world.tenant.id, runId)).toMatchObject({
      extracted: 80,
      unchanged: 78,
      loadsPlanned: 1,
    });
    expect(world.product.writes.length).toBe(writesBefore);
  });

  it("stops the run after five units in a row exhaust their retries, cancelling the rest", async () => {
    // prepare: Siesa answers 503 to every range but the first; every unit is on its last delivery
    const world = stepWorld({ items: 1_000 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units"); // the whole range splits
    for (let i = 0; i < 3; i++) await deliver(world, "units", 50);
    world.siesa.onRead = () => {
      throw new ExternalCallError("siesa", "ejecutarconsultaestandar API_v2_Items", 503, "unavailable", true);
    };

    // act: deliver what is left, one unit at a time, until nothing is; each failure comes back after its backoff
    await drain(world, { batch: 1 });

    // assess
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run?.status).toBe("failed");
    expect(run?.reason).toMatch(/^5 units of Siesa work failed in a row: .*503/);
    const progress = await world.store.progress.read(world.tenant.id, runId);
    expect(progress.unitsFailed).toBe(5);
    expect(progress.unitsDone).toBe(progress.unitsPlanned);
    // Counted on their last delivery, the given-up units leave the queue (no DLQ trip holding the slot).
    expect(world.metrics.filter((m) => m.name === "DeadLettered")).toHaveLength(5);
    expect(world.queues.pending).toBe(0);
  });
});

describe("load", () => {
  it("writes each record of a chunk once, records it in the ledger, and counts the chunk once", async () => {
    // prepare
    const world = stepWorld({ items: 30 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    const [chunk] = world.queues.queues.loads.queue.bodies();

    // act: the chunk, then the same chunk again (SQS delivered it twice)
    await deliver(world, "loads");
    await world.handlers.load(eventOf(world.queues.queues.loads.queue, chunk, 2));
    await deliver(world, "units"); // the deactivation pass, which ends the run

    // assess
    expect(world.product.writes).toHaveLength(30);
    expect(await world.store.ledger.getMany(world.tenant.id, ["1", "30"])).toHaveProperty("size", 2);
    expect(await countsOf(world, runId)).toEqual({
      extracted: 30,
      created: 30,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      failed: 0,
      deactivated: 0,
      reactivated: 0,
    });
  });

  it("brings a record that failed back after the backoff, not before, and writes only what did not go through", async () => {
    // prepare: the product answers 500 once for record 7
    const world = stepWorld({ items: 10 });
    await startScheduledRun(world);
    await deliver(world, "units");
    let failures = 0;
    world.product.failWith = (record) =>
      record.key === "7" && failures++ === 0
        ? new ExternalCallError("kong-rfid", "POST sku", 500, "boom", true)
        : undefined;

    // act
    await deliver(world, "loads");
    const tooSoon = await deliver(world, "loads");
    world.clock.advance(2_000); // retryBaseSeconds: the first retry waits 2 s
    const onTime = await deliver(world, "loads");

    // assess
    expect([tooSoon, onTime]).toEqual([0, 1]);
    expect(world.product.writes.map((w) => w.record.key).filter((k) => k === "7")).toHaveLength(2);
    expect(world.product.writes).toHaveLength(11);
  });

  it("counts what an earlier delivery wrote as written when the run stopped before the retry, the rest failed", async () => {
    // prepare: a chunk's first delivery writes 9 of its 10 records, and record 7 waits for a retry;
    // an operator stops the run meanwhile
    const world = stepWorld({ items: 10 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    world.product.failWith = (record) =>
      record.key === "7" ? new ExternalCallError("kong-rfid", "POST sku", 500, "boom", true) : undefined;
    await deliver(world, "loads");
    await world.store.runs.requestStop(world.tenant.id, runId, "stopped by an operator");

    // act
    world.clock.advance(2_000); // the retry's backoff
    await drain(world);

    // assess: the 9 records are in the product, none written twice, and they are counted so
    expect(world.product.held.size).toBe(9);
    expect(world.product.writes).toHaveLength(10); // record 7's one refused attempt included
    expect(await countsOf(world, runId)).toMatchObject({ extracted: 10, created: 9, failed: 1 });
  });

  it("writes nothing again when a counted chunk is sent anew after the deduplication window, a record it counted failed included", async () => {
    // prepare: a run of several chunks; the first one's last delivery gives up on one record
    // (counted failed), then the product recovers
    const world = stepWorld({ items: 60 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    const loads = world.queues.queues.loads.queue;
    const [message] = loads.receive(1);
    if (!message) throw new Error("no chunk was sent");
    const { records } = JSON.parse(message.body) as { records: { key: string }[] };
    const failing = records[0]?.key;
    world.product.failWith = (record) =>
      record.key === failing ? new ExternalCallError("kong-rfid", "POST sku", 500, "boom", true) : undefined;
    await world.handlers.load(toEvent([{ ...message, receiveCount: 3 }], loads.arn));
    world.product.failWith = () => undefined;

    // act: its unit, retried more than 5 minutes later, sends the chunk again: a first delivery
    await world.handlers.load(toEvent([{ ...message, messageId: "sent-again", receiveCount: 1 }], loads.arn));

    // assess
    expect(world.product.writes.filter((w) => w.record.key === failing)).toHaveLength(1);
    expect(world.product.writes).toHaveLength(records.length);
    await drain(world);
    expect(await countsOf(world, runId)).toMatchObject({ extracted: 60, created: 59, failed: 1 });
  });

  it("on DynamoDB, reads whether a chunk was counted and what the ledger holds of its records in one request", async () => {
    // prepare: the steps over DynamoDB (dynalite), every command the store sends recorded
    const opened = await openStore({ prefix: `steps-reads-${process.pid}` });
    try {
      const world = stepWorld({ items: 20, store: dynamoPipelineStore(opened.doc, opened.names) });
      await startScheduledRun(world);
      await deliver(world, "units");
      const commands: string[] = [];
      opened.client.middlewareStack.add(
        (next, context) => async (args) => {
          commands.push(context.commandName as string);
          return next(args);
        },
        { step: "initialize", name: "recordCommands" },
      );

      // act
      await deliver(world, "loads");

      // assess: the one chunk's reads before its writes are the run (the load function's first read
      // of it: extract's read of it is another function's) and one BatchGetItem for its marker and its
      // records' ledger entries
      expect(world.product.writes).toHaveLength(20);
      const firstWrite = commands.findIndex((c) => /Put|Write|Update/.test(c));
      expect(commands.slice(0, firstWrite)).toEqual(["GetItemCommand", "BatchGetItemCommand"]);
    } finally {
      await opened.close();
    }
  });

  it("sends a malformed message to the dead-letter queue after its last delivery", async () => {
    // prepare
    const world = stepWorld();
    world.queues.queues.loads.queue.send('{"tenantId":"acme-staging","records":"not a list"}', {
      groupId: "acme-staging#0",
      deduplicationId: "malformed",
    });

    // act
    await drain(world);

    // assess
    expect(world.queues.queues.loads.queue.size).toBe(0);
    expect(world.queues.queues.loads.deadLetter.bodies()).toEqual([
      '{"tenantId":"acme-staging","records":"not a list"}',
    ]);
  });
});

describe("a whole run through the steps", () => {
  it("ends succeeded with every record accounted for, and a second run writes nothing", async () => {
    // prepare
    const world = stepWorld({ items: 1_234 });

    // act
    const first = await startScheduledRun(world);
    await drain(world);
    const writes = world.product.writes.length;
    const second = await startScheduledRun(world);
    await drain(world);

    // assess
    expect(await world.store.runs.get(world.tenant.id, first)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 1_234, created: 1_234, unchanged: 0 },
    });
    expect(await world.store.runs.get(world.tenant.id, second)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 1_234, created: 0, unchanged: 1_234 },
    });
    expect(world.product.writes.length).toBe(writes);
    expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
  });
});

describe("dispatch, after the run ended", () => {
  it("a sync request redelivered after its run finished gives the lease back and starts nothing", async () => {
    // prepare: a run that went to the end, then its request comes again
    const world = stepWorld({ items: 20 });
    await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
    const first = world.queues.queues.syncRequests.queue.receive(1);
    const request = first[0];
    if (!request) throw new Error("no request");
    await world.handlers.dispatch(toEvent(first, world.queues.queues.syncRequests.queue.arn));
    await drain(world);
    const [run] = (await world.store.runs.list(world.tenant.id)).runs;

    // act
    await world.handlers.dispatch(
      toEvent([{ ...request, receiveCount: 2 }], world.queues.queues.syncRequests.queue.arn),
    );

    // assess
    expect(run?.status).toBe("succeeded");
    expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
    expect((await world.store.runs.list(world.tenant.id)).runs).toHaveLength(1);
    expect(world.queues.queues.units.queue.size).toBe(0);
  });
});

describe("the end of a run", () => {
  /** How often the run ended: one RunFinished metric per end. */
  const ends = (world: StepWorld) => world.metrics.filter((m) => m.name === METRICS.runFinished).length;
  /** The deactivation passes sent, counted at the send (the queue drops a copy it saw). */
  const countingPasses = (world: StepWorld) => {
    const sent: string[] = [];
    const send = world.queues.sendDeactivationPass.bind(world.queues);
    world.queues.sendDeactivationPass = async (pass, concurrency) => {
      sent.push(pass.runId);
      return send(pass, concurrency);
    };
    return sent;
  };

  it("asks for the deactivation pass once, and is decided once, when the run's last chunks report at the same time", async () => {
    // prepare: one unit whose 40 changed records go out in four chunks, one per slot
    const world = stepWorld({ items: 40 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    const passes = countingPasses(world);
    const loads = world.queues.queues.loads.queue;
    const chunks = loads.receive(10);
    expect(chunks).toHaveLength(4);

    // act: each chunk in an invocation of its own, both at once; then the pass
    await Promise.all(chunks.map((chunk) => world.handlers.load(toEvent([chunk], loads.arn))));
    await drain(world);

    // assess
    expect(passes).toEqual([runId]);
    expect(ends(world)).toBe(1);
    expect(await world.store.runs.get(world.tenant.id, runId)).toMatchObject({
      status: "succeeded",
      counts: { created: 40 },
    });
  });

  it("is decided once when two steps find the work done at once (a redelivered step and the sweeper)", async () => {
    // prepare: the pass decided, and its delivery died before it could end the run
    const world = stepWorld({ items: 10 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    await deliver(world, "loads");
    const complete = world.store.runs.complete.bind(world.store.runs);
    let deaths = 1;
    world.store.runs.complete = async (...args) => {
      if (deaths-- > 0) throw new Error("the invocation died");
      return complete(...args);
    };
    await deliver(world, "units");
    const done = await world.store.progress.sum(world.tenant.id, runId);
    const step = (fn: "load" | "settle") => createPipelineContext(world.scoped(fn));

    // act
    const ended = await Promise.all([
      afterProgress(step("load"), world.tenant.id, runId),
      afterProgress(step("settle"), world.tenant.id, runId, done),
    ]);

    // assess
    expect(ended.filter(Boolean)).toHaveLength(1);
    expect(ends(world)).toBe(1);
    expect((await world.store.runs.get(world.tenant.id, runId))?.status).toBe("succeeded");
  });
});

describe("settle: what dies with a worker is still counted", () => {
  /** Lets messages whose last delivery never answered reach their dead-letter queue, and settles them. */
  const settleDeadLetters = async (world: StepWorld) => {
    for (const queue of ["units", "loads"] as const) {
      if (world.queues.queues[queue].queue.size === 0) continue; // nothing of it died
      world.clock.advance(visibilityTimeoutSeconds(QUEUES[queue]) * 1000);
      world.queues.queues[queue].queue.receive(10); // the receive after the last one moves them
      const { deadLetter } = world.queues.queues[queue];
      const event = toEvent(deadLetter.receive(10), deadLetter.arn);
      if (event.Records.length > 0) await world.handlers.settle(event);
    }
  };
  /** A ledger entry an earlier run wrote (record `key`, active); run ids sort by time. */
  const earlierEntry = (key: string) => ({
    key,
    hash: `h-${key}`,
    productId: `p-SKU-${key}`,
    runId: newRunId(new Date(T0 - 86_400_000)),
    updatedAt: new Date(T0 - 86_400_000).toISOString(),
  });
  /**
   * Receives a message and never answers: the function timed out or ran out of memory. The message
   * comes back after the queue's visibility timeout (within the run's lease: past it a load writes
   * nothing).
   */
  const die = (world: StepWorld, queue: "units" | "loads") => {
    world.clock.advance(visibilityTimeoutSeconds(QUEUES[queue]) * 1000);
    return world.queues.queues[queue].queue.receive(1).length;
  };

  it("a step that finds the deactivation pass decided ends the run, when the step that decided it died first", async () => {
    // prepare: the deactivation pass's delivery decides, then dies before it can end the run; a
    // second invocation of the run's last chunk had read the totals just before the pass
    const world = stepWorld({ items: 10 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    const complete = world.store.runs.complete.bind(world.store.runs);
    let deaths = 1;
    world.store.runs.complete = async (...args) => {
      if (deaths-- > 0) throw new Error("the invocation died");
      return complete(...args);
    };
    await deliver(world, "loads");
    await deliver(world, "units");
    const totals = await world.store.progress.read(world.tenant.id, runId);
    const beforeThePass = { ...totals, unitsDone: totals.unitsDone - 1 };

    // act: the second invocation goes on from the totals it read (its message is then deleted)
    const load = createPipelineContext(world.scoped("load"));
    const ended = await afterProgress(load, world.tenant.id, runId, beforeThePass);

    // assess
    expect(ended).toBe(true);
    expect((await world.store.runs.get(world.tenant.id, runId))?.status).toBe("succeeded");
  });

  it("a deactivation chunk whose every delivery died is counted from what the ledger shows reached; the next run sets the rest inactive", async () => {
    // prepare: records 11 and 12, written by an earlier run, are gone from Siesa; the pass's chunk
    // that sets them inactive dies on every delivery (record 12's patch reached the ledger)
    const world = stepWorld({ items: 10 });
    await world.store.ledger.putMany(world.tenant.id, [earlierEntry("11"), earlierEntry("12")]);
    for (const key of ["11", "12"])
      world.product.held.set(`SKU-${key}`, { f120_id: Number(key), active: true });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    await deliver(world, "loads"); // the last chunk of records: its step asks for the pass
    await deliver(world, "units"); // the pass, in extract: it confirms 11 and 12 absent
    expect(world.queues.queues.loads.queue.size).toBe(1);
    for (let i = 0; i < 3; i++) expect(die(world, "loads")).toBe(1);
    world.product.held.set("SKU-12", { f120_id: 12, active: false });
    await world.store.ledger.putMany(world.tenant.id, [
      { ...earlierEntry("12"), runId, active: false, updatedAt: new Date(world.clock.now).toISOString() },
    ]);

    // act: settle, with only what its role grants (no product secret, no ledger write)
    await settleDeadLetters(world);

    // assess: 12 stays deactivated, 11 failed with the reason; settle wrote nothing anywhere
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run).toMatchObject({ status: "partial", counts: { created: 10, deactivated: 1 } });
    expect(run?.errors).toContainEqual({
      key: "11",
      outcome: "failed",
      reason: `deactivation: ${DIED_REASON}`,
      step: "deactivation",
    });
    expect(world.product.patches.size).toBe(0);
    expect((await world.store.ledger.getMany(world.tenant.id, ["11"])).get("11")?.active).toBeUndefined();

    // act: the next run's pass finds 11 still active in the ledger and sets it inactive
    const next = await startScheduledRun(world);
    await drain(world);

    // assess
    expect(await world.store.runs.get(world.tenant.id, next)).toMatchObject({
      status: "succeeded",
      counts: { deactivated: 1 },
    });
    expect(world.product.held.get("SKU-11")).toMatchObject({ active: false });
    expect((await world.store.ledger.getMany(world.tenant.id, ["11"])).get("11")?.active).toBe(false);
  });

  it("a dead chunk that was the run's last load runs the deactivation pass from settle", async () => {
    // prepare: record 11, written by an earlier run, is gone from Siesa; the only chunk of records
    // dies on every delivery (three visibility timeouts: the tenant's runs may take 3 hours)
    const tenant = aTenant((t) => {
      t.sync = { ...t.sync, concurrency: 4, maxRunMinutes: 180 };
    });
    const world = stepWorld({ items: 10, tenant });
    await world.store.ledger.putMany(world.tenant.id, [earlierEntry("11")]);
    world.product.held.set("SKU-11", { f120_id: 11, active: true });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    for (let i = 0; i < 3; i++) expect(die(world, "loads")).toBe(1);

    // act: settle counts the chunk, which completes the extraction's loads: it runs the pass
    await settleDeadLetters(world);
    await drain(world);

    // assess
    expect(await world.store.runs.get(world.tenant.id, runId)).toMatchObject({
      status: "failed",
      counts: { extracted: 10, failed: 10, deactivated: 1 },
    });
    expect(world.product.held.get("SKU-11")).toMatchObject({ active: false });
  });

  it("two dead copies of a deactivation chunk in one batch count it once", async () => {
    // prepare: a running run, and a deactivation chunk whose re-sent copy died as well
    const world = stepWorld({ items: 10 });
    const runId = await startScheduledRun(world);
    const chunk = {
      tenantId: world.tenant.id,
      runId,
      chunkId: "deactivate/0",
      records: [
        {
          key: "9001",
          externalId: "SKU-9001",
          payload: { active: false },
          hash: "hash-of-9001",
          knownProductId: "p-SKU-9001",
          action: "deactivate",
        },
      ],
    };
    const [dead] = eventOf(world.queues.queues.loads.deadLetter, chunk).Records;
    if (!dead) throw new Error("no dead-lettered message");

    // act
    await world.handlers.settle({ Records: [dead, { ...dead, messageId: `${dead.messageId}-copy` }] });

    // assess
    const progress = await world.store.progress.read(world.tenant.id, runId);
    expect(progress.deactivationsFailed).toBe(1);
  });

  it("a unit whose every delivery died is counted failed, and the run ends", async () => {
    // prepare: 3 deliveries of the first unit, each dying mid-way
    const world = stepWorld({ items: 50 });
    const runId = await startScheduledRun(world);
    for (let i = 0; i < 3; i++) expect(die(world, "units")).toBe(1);

    // act
    await settleDeadLetters(world);
    await deliver(world, "units"); // the deactivation pass settle asked for, which ends the run

    // assess
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run).toMatchObject({ status: "failed", counts: { extracted: 0 } });
    expect(run?.errors[0]).toMatchObject({ outcome: "failed", reason: DIED_REASON });
    expect(world.metrics.filter((m) => m.name === "DeadLettered")).toHaveLength(1);
  });

  it("a chunk whose last delivery died keeps what its records' writes reached, the rest failed", async () => {
    // prepare: the chunk's first delivery wrote 10 records, then every delivery died
    const world = stepWorld({ items: 20 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    let writes = 0;
    world.product.failWith = () => (writes++ >= 10 ? new Error("process killed") : undefined);
    await deliver(world, "loads"); // retried: 10 written and in the ledger, 10 to try again
    world.product.failWith = () => undefined;
    for (let i = 0; i < 2; i++) expect(die(world, "loads")).toBe(1);

    // act
    await settleDeadLetters(world);
    await deliver(world, "units"); // the deactivation pass settle asked for, which ends the run

    // assess
    expect(await world.store.runs.get(world.tenant.id, runId)).toMatchObject({
      status: "partial",
      counts: { extracted: 20, created: 10, failed: 10 },
    });
  });

  it("a unit whose last delivery died after sending its loads keeps its records counted, and the run ends", async () => {
    // prepare: the unit's first delivery counts its 20 records and sends their chunk, then dies;
    // two more deliveries die early; the chunk itself is written
    const world = stepWorld({ items: 20 });
    const runId = await startScheduledRun(world);
    const send = world.queues.sendLoads.bind(world.queues);
    world.queues.sendLoads = async (chunks, concurrency) => {
      await send(chunks, concurrency);
      throw new Error("process killed after sending the loads");
    };
    await deliver(world, "units");
    world.queues.sendLoads = send;
    for (let i = 0; i < 2; i++) expect(die(world, "units")).toBe(1);
    await deliver(world, "loads");

    // act
    await settleDeadLetters(world);
    await deliver(world, "units"); // the deactivation pass settle asked for, which ends the run

    // assess: every record extracted has its outcome (it used to be counted created, never extracted)
    expect(await world.store.runs.get(world.tenant.id, runId)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 20, created: 20, failed: 0 },
    });
  });

  it("a split unit whose last delivery died before sending its children has them sent, and the run ends succeeded", async () => {
    // prepare: the first unit's delivery records its split, then dies before the children go out;
    // two more deliveries die early
    const world = stepWorld({ items: 250 });
    const runId = await startScheduledRun(world);
    const send = world.queues.sendUnits.bind(world.queues);
    world.queues.sendUnits = async () => {
      throw new Error("process killed before sending the children");
    };
    await deliver(world, "units");
    world.queues.sendUnits = send;
    for (let i = 0; i < 2; i++) expect(die(world, "units")).toBe(1);

    // act
    await settleDeadLetters(world);
    await drain(world);

    // assess: the children were read (it used to hang, the unit counted failed, until its lease expired)
    expect(await world.store.runs.get(world.tenant.id, runId)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 250, created: 250, failed: 0 },
    });
  });

  it("a chunk counted by its last delivery, which died before it could end the run, ends the run from its dead-letter queue", async () => {
    // prepare: the run's only chunk reaches its last delivery, counts its records and dies
    const world = stepWorld({ items: 20 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    for (let i = 0; i < 3; i++) expect(die(world, "loads")).toBe(1);
    await world.store.progress.apply(world.tenant.id, runId, "load:0/0", { loadsDone: 1, created: 20 });

    // act
    await settleDeadLetters(world);
    await deliver(world, "units"); // the deactivation pass settle asked for, which ends the run

    // assess
    expect(await world.store.runs.get(world.tenant.id, runId)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 20, created: 20 },
    });
  });

  it("the sweeper ends a run whose lease expired, and frees the tenant", async () => {
    // prepare: a run whose messages were all lost
    const world = stepWorld({ items: 20 });
    const runId = await startScheduledRun(world);
    world.queues.queues.units.queue.receive(10);
    world.clock.advance((world.tenant.sync.maxRunMinutes + 1) * 60_000);

    // act
    const swept = await createSweeper(world.scoped("settle"))();

    // assess
    expect(swept).toEqual({ expired: 1, finalised: 0 });
    expect(await world.store.runs.get(world.tenant.id, runId)).toMatchObject({
      status: "failed",
      reason: LEASE_EXPIRED,
    });
    expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
  });
});

describe("load, a delivery that dies in the middle of its chunk", () => {
  /** A run of 10 records whose one load chunk waits on the queue. */
  async function aChunkWaiting() {
    const world = stepWorld({ items: 10 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    const writesOf = (key: string) => world.product.writes.filter((w) => w.record.key === key).length;
    return { world, runId, writesOf };
  }

  /** The ledger's writes go through `before` first, which may hold them or throw. */
  function beforeLedgerWrites(world: StepWorld, before: (entries: LedgerEntry[]) => Promise<void>) {
    const ledger = world.store.ledger;
    const putMany = ledger.putMany.bind(ledger);
    ledger.putMany = async (partition, entries) => {
      await before(entries);
      return putMany(partition, entries);
    };
  }

  /** The ledger's first write that tells it of record `key` fails (DynamoDB throttling it). */
  function failOnceWhenToldOf(world: StepWorld, key: string) {
    let failed = false;
    beforeLedgerWrites(world, async (entries) => {
      if (failed || !entries.some((e) => e.key === key)) return;
      failed = true;
      throw new Error("ProvisionedThroughputExceededException");
    });
  }

  it("has told the ledger of each record it wrote before: its redelivery writes again only the one it died on", async () => {
    // prepare: the product never answers the write of record 7, as when the function is stopped
    // while that request is out (its invocation never returns)
    const { world, runId, writesOf } = await aChunkWaiting();
    world.product.hangOn = (record) => record.key === "7";
    const loads = world.queues.queues.loads.queue;
    const [message] = loads.receive(1);
    if (!message) throw new Error("no chunk");
    void world.handlers.load(toEvent([message], loads.arn), { getRemainingTimeInMillis: () => 60_000 });
    await vi.waitFor(() => expect(world.product.writes).toHaveLength(7));

    // act: the message comes back after its visibility timeout, and the product answers again
    world.product.hangOn = () => false;
    world.clock.advance(visibilityTimeoutSeconds(QUEUES.loads) * 1000);
    expect(await deliver(world, "loads")).toBe(1);
    await deliver(world, "units"); // the deactivation pass, which ends the run

    // assess: records 1 to 6 were written once, record 7 twice (its first write may have landed)
    expect(["1", "2", "3", "4", "5", "6", "8", "9", "10"].map(writesOf)).toEqual(Array(9).fill(1));
    expect(writesOf("7")).toBe(2);
    expect(await countsOf(world, runId)).toMatchObject({ extracted: 10, created: 10, failed: 0 });
  });

  it("counts its chunk only once the ledger holds every record it wrote", async () => {
    // prepare: the ledger's writes wait until the test lets them through
    const { world, runId } = await aChunkWaiting();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    beforeLedgerWrites(world, () => held);

    // act: every record is written while the ledger's writes are held
    const loading = deliver(world, "loads");
    await vi.waitFor(() => expect(world.product.writes).toHaveLength(10));
    await new Promise((resolve) => setImmediate(resolve));
    const whileHeld = await world.store.progress.read(world.tenant.id, runId);
    release();
    await loading;

    // assess
    expect(whileHeld).toMatchObject({ loadsDone: 0, created: 0 });
    expect(await world.store.progress.read(world.tenant.id, runId)).toMatchObject({
      loadsDone: 1,
      created: 10,
    });
  });

  it("writes no more records once the ledger fails to store one: the chunk comes back for the rest", async () => {
    // prepare: the ledger fails once, when told of record 3
    const { world, runId, writesOf } = await aChunkWaiting();
    failOnceWhenToldOf(world, "3");

    // act
    const keys = Array.from({ length: 10 }, (_, i) => String(i + 1));
    await deliver(world, "loads");
    const firstDelivery = world.product.writes.length;
    const held = [...(await world.store.ledger.getMany(world.tenant.id, keys)).keys()];
    world.clock.advance(visibilityTimeoutSeconds(QUEUES.loads) * 1000);
    await deliver(world, "loads");

    // assess: the first delivery stopped short of the chunk's end; the second wrote again only what
    // the ledger did not hold, and counted the chunk
    expect(held).not.toContain("3");
    expect(firstDelivery).toBeLessThan(10);
    expect(keys.map(writesOf)).toEqual(
      keys.map((key) => (Number(key) <= firstDelivery && !held.includes(key) ? 2 : 1)),
    );
    const counted = await world.store.progress.read(world.tenant.id, runId);
    expect(counted).toMatchObject({ loadsDone: 1, failed: 0 });
    expect(counted.created + counted.updated).toBe(10);
  });

  it("does not count its chunk when the ledger fails to store the last record: that record comes back", async () => {
    // prepare: the ledger fails once, when told of record 10, the chunk's last
    const { world, runId, writesOf } = await aChunkWaiting();
    failOnceWhenToldOf(world, "10");

    // act
    await deliver(world, "loads");
    const afterFirst = await world.store.progress.read(world.tenant.id, runId);
    world.clock.advance(visibilityTimeoutSeconds(QUEUES.loads) * 1000);
    await deliver(world, "loads");

    // assess: nothing counted until the ledger held record 10; only record 10 was written again
    expect(afterFirst).toMatchObject({ loadsDone: 0, created: 0 });
    expect(writesOf("10")).toBe(2);
    expect(world.product.writes).toHaveLength(11);
    expect(await world.store.ledger.getMany(world.tenant.id, ["10"])).toHaveProperty("size", 1);
    expect(await world.store.progress.read(world.tenant.id, runId)).toMatchObject({ loadsDone: 1 });
  });

  it("lets a ledger write that is out finish before it gives the chunk back on an error of its own", async () => {
    // prepare: the product refuses the credentials at record 2 (the run is to stop), asking the run to
    // stop fails, and the ledger's write of record 1 is held until the test lets it through
    const { world } = await aChunkWaiting();
    world.product.failWith = (record) =>
      record.key === "2" ? new ProductAuthError("kong-rfid", world.tenant.id, 401, "bad token") : undefined;
    world.store.runs.requestStop = async () => {
      throw new Error("DynamoDB: connection reset");
    };
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    beforeLedgerWrites(world, () => held);

    // act
    let returned = false;
    const loading = deliver(world, "loads").then(() => {
      returned = true;
    });
    await vi.waitFor(() => expect(world.product.writes).toHaveLength(2));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    const returnedWhileHeld = returned;
    release();
    await loading;

    // assess: the delivery returned only after the ledger held record 1
    expect(returnedWhileHeld).toBe(false);
    expect(await world.store.ledger.getMany(world.tenant.id, ["1"])).toHaveProperty("size", 1);
  });
});

describe("load, near the function's deadline", () => {
  it("starts no write in its last seconds: the records wait for the next delivery, none is counted failed", async () => {
    // prepare: a chunk of 20 records, and a function with 10 s left (less than the margin)
    const world = stepWorld({ items: 20 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    const [message] = world.queues.queues.loads.queue.receive(1);
    if (!message) throw new Error("no chunk");
    const event = toEvent([message], world.queues.queues.loads.queue.arn);

    // act
    const answer = await world.handlers.load(event, { getRemainingTimeInMillis: () => 10_000 });

    // assess
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    expect(world.product.writes).toHaveLength(0);
    expect(await world.store.progress.read(world.tenant.id, runId)).toMatchObject({
      extracted: 20,
      created: 0,
      failed: 0,
      loadsDone: 0,
    });
    // With time enough, the next delivery writes them all.
    world.clock.advance(60_000);
    await world.handlers.load(receiveEvent(world.queues.queues.loads.queue), {
      getRemainingTimeInMillis: () => 300_000,
    });
    expect(world.product.writes).toHaveLength(20);
  });

  it("returns a chunk the product throttles for longer than the time left, after that delay: none failed, none written twice", async () => {
    // prepare: Kong (its sandbox) takes 3 SKUs, then answers 429 with `Retry-After: 120`; the function
    // has 100 s left, and the policy records any wait instead of sleeping
    const kong = createKongSandbox();
    let throttling = true;
    const throttled = new Hono().all("*", (c) => {
      if (throttling && kong.stats.creates >= 3)
        kong.setFaults({ rateLimitShare: 1, retryAfterSeconds: 120 });
      return kong.app.fetch(c.req.raw);
    });
    const policy = recordingPolicy();
    const product = new KongClient(
      clientOptions(await serve(throttled), SANDBOX_KONG_CREDENTIALS, { policy }),
    );
    const world = stepWorld({ items: 10, productClient: product, mapper: kongMapper });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    const loads = world.queues.queues.loads.queue;
    const [message] = loads.receive(1);
    if (!message) throw new Error("no chunk");

    // act
    const answer = await world.handlers.load(toEvent([message], loads.arn), {
      getRemainingTimeInMillis: () => 100_000,
    });

    // assess: the chunk is returned at once (no wait), its 3 writes kept, nothing counted
    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: message.messageId }]);
    expect(policy.waits).toEqual([]);
    expect(kong.stats.byStatus[429]).toBe(1); // the other 6 records did not knock again
    expect(await world.store.ledger.getMany(world.tenant.id, ["1", "2", "3", "4"])).toHaveProperty("size", 3);
    expect(await world.store.progress.read(world.tenant.id, runId)).toMatchObject({
      extracted: 10,
      created: 0,
      failed: 0,
      loadsDone: 0,
    });
    // It comes back after the 120 s Kong asked for, not before, and writes only the other 7.
    throttling = false;
    kong.setFaults({ rateLimitShare: 0 });
    world.clock.advance(119_000);
    expect(await deliver(world, "loads")).toBe(0);
    world.clock.advance(1_000);
    expect(await deliver(world, "loads")).toBe(1);
    await deliver(world, "units"); // the deactivation pass, which ends the run
    expect(kong.stats.creates).toBe(10);
    expect(new Set(kong.skus.list().map((s) => s.external_id)).size).toBe(10);
    expect(kong.skus.list()).toHaveLength(10);
    expect(await world.store.runs.get(world.tenant.id, runId)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 10, created: 10, failed: 0 },
    });
  });
});
