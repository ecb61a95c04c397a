import { describe, expect, it } from "vitest";
import type { QueueName } from "../../runtime/core/domain/pipeline-config.js";
import { QUEUES, SWEEP_EVERY_MINUTES, WORKERS } from "../../runtime/core/domain/pipeline-config.js";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { KongClient } from "../../runtime/edges/http/products/kong-client.js";
import { createSweeper } from "../../runtime/workers/index.js";
import { createKongSandbox, SANDBOX_KONG_CREDENTIALS } from "../../sandbox/kong.js";
import { clientOptions, serve } from "../products/support.js";
import {
  deliver,
  kongMapper,
  receiveEvent,
  type StepWorld,
  startScheduledRun,
  stepWorld,
} from "./step-world.js";

// An API that asks to be left alone longer than a run has left: the run gives up what it asked about
// and ends on time, instead of parking a message in its tenant's FIFO group past the run's end (where
// it would hold back the next run's messages too).

const TWELVE_HOURS_MS = 43_200_000;

/**
 * What Lambda's event source mapping does with one batch of `queue`: the worker runs with its
 * function's whole timeout ahead (the call policy waits in-process only what fits in it).
 */
async function invoke(world: StepWorld, queue: QueueName): Promise<number> {
  const pair = world.queues.queues[queue];
  const event = receiveEvent(pair.queue);
  if (event.Records.length === 0) return 0;
  const consumer = QUEUES[queue].consumer;
  const timeoutMs = WORKERS[consumer].timeoutSeconds * 1000;
  const response = await world.handlers[consumer](event, { getRemainingTimeInMillis: () => timeoutMs });
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const record of event.Records)
    if (!failed.has(record.messageId)) pair.queue.delete(record.receiptHandle);
  return event.Records.length;
}

/**
 * What the deployed stack does, a minute of fake time at a step: every visible message is delivered,
 * failed ones come back when their queue makes them visible, and the sweeper runs on its schedule.
 * Stops once the run has ended (or after a day, which no run should reach).
 */
async function runToItsEnd(world: StepWorld, runId: string) {
  const sweeper = createSweeper(world.deps);
  for (let minute = 0; minute < 24 * 60; minute++) {
    for (;;) {
      let handled = 0;
      for (const queue of ["syncRequests", "units", "loads"] as const) handled += await invoke(world, queue);
      if (handled === 0) break;
    }
    if (minute % SWEEP_EVERY_MINUTES === 0) await sweeper();
    const run = await world.store.runs.get(world.tenant.id, runId);
    if (run?.status !== "running") return run;
    world.clock.advance(60_000);
  }
  throw new Error(`run ${runId} still running after a day`);
}

/** A 429 whose Retry-After is longer than the invocation could wait, as the call policy throws it. */
const throttled = (service: "kong-rfid" | "siesa", host: string, waitMs: number) =>
  new ExternalCallError(service, "a call", 429, "Too many requests", true, waitMs, host);

describe("a Retry-After longer than the run has left", () => {
  it("fails the throttled records now with the host and the wait; the run ends on time and the next run writes them", async () => {
    // prepare: 10 records in one chunk; the product answers record 5's first write with 429, Retry-After 12 h
    const world = stepWorld({ items: 10 });
    let answered429 = false;
    world.product.failWith = (record) => {
      if (record.key !== "5" || answered429) return undefined;
      answered429 = true;
      return throttled("kong-rfid", "kong.example.com", TWELVE_HOURS_MS);
    };
    const reason = "kong.example.com answered 429 and asked to wait 43200 s, beyond this run's end";

    // act
    const firstId = await startScheduledRun(world);
    const first = await runToItsEnd(world, firstId);

    // assess: records 1-4 written; 5 (and 6-10 behind it in its chunk, not knocked for again) failed
    expect(first).toMatchObject({ status: "partial", counts: { extracted: 10, created: 4, failed: 6 } });
    expect(first?.durationMs).toBeLessThanOrEqual(5 * 60_000);
    expect(first?.errors).toContainEqual(
      expect.objectContaining({ key: "5", outcome: "failed", reason, step: "write" }),
    );
    expect(first?.errors.map((e) => e.reason)).toEqual(Array(6).fill(reason));
    expect(world.queues.pending).toBe(0); // nothing of this run is left to hold a message group

    // act: the next scheduled run
    const secondId = await startScheduledRun(world);
    const second = await runToItsEnd(world, secondId);

    // assess: it writes the 6, and the product holds one object per record
    expect(second).toMatchObject({
      status: "succeeded",
      counts: { extracted: 10, unchanged: 4, created: 6, failed: 0 },
    });
    expect(world.product.held.size).toBe(10);
    expect([...world.product.creates.values()]).toEqual(Array(10).fill(1));
  });

  it("gives up a unit of Siesa work now, naming Siesa's host and the wait; the next run extracts it", async () => {
    // prepare: Siesa answers the run's only unit with 429, Retry-After 12 h, once
    const world = stepWorld({ items: 10 });
    let answered429 = false;
    world.siesa.onRead = () => {
      if (answered429) return;
      answered429 = true;
      throw throttled("siesa", "siesa.example.com", TWELVE_HOURS_MS);
    };
    const reason = "siesa.example.com answered 429 and asked to wait 43200 s, beyond this run's end";

    // act
    const firstId = await startScheduledRun(world);
    const first = await runToItsEnd(world, firstId);

    // assess
    expect(first?.status).toBe("failed");
    expect(first?.reason).toContain(reason);
    expect(first?.durationMs).toBeLessThanOrEqual(5 * 60_000);
    expect(first?.errors).toEqual([
      { key: expect.stringMatching(/^unit 0 /), outcome: "failed", reason, step: "extract" },
    ]);
    expect(await world.store.progress.read(world.tenant.id, firstId)).toMatchObject({ unitsFailed: 1 });
    expect(world.queues.pending).toBe(0);

    // act: the next scheduled run
    const secondId = await startScheduledRun(world);
    const second = await runToItsEnd(world, secondId);

    // assess
    expect(second).toMatchObject({ status: "succeeded", counts: { extracted: 10, created: 10 } });
    expect([...world.product.creates.values()]).toEqual(Array(10).fill(1));
  });

  it("retries a wait that fits, after that wait", async () => {
    // prepare: the product asks for 2 minutes once
    const world = stepWorld({ items: 10 });
    let answered429 = false;
    world.product.failWith = (record) => {
      if (record.key !== "5" || answered429) return undefined;
      answered429 = true;
      return throttled("kong-rfid", "kong.example.com", 120_000);
    };

    // act
    const runId = await startScheduledRun(world);
    const run = await runToItsEnd(world, runId);

    // assess: nothing failed, and the run waited for the product
    expect(run).toMatchObject({ status: "succeeded", counts: { extracted: 10, created: 10, failed: 0 } });
    expect(run?.durationMs).toBeGreaterThanOrEqual(120_000);
  });
});

describe("a Retry-After longer than the run has left, through Kong's client and sandbox", () => {
  it("fails the record Kong throttles for 12 hours now; the next run writes it, one SKU per record", async () => {
    // prepare: Kong answers SKU-5's first POST with 429, Retry-After 12 h
    const kong = createKongSandbox();
    kong.throttleSku("SKU-5", 43_200);
    const url = await serve(kong.app);
    const product = new KongClient(clientOptions(url, SANDBOX_KONG_CREDENTIALS));
    const world = stepWorld({ items: 10, productClient: product, mapper: kongMapper });
    const reason = `${new URL(url).host} answered 429 and asked to wait 43200 s, beyond this run's end`;

    // act
    const first = await runToItsEnd(world, await startScheduledRun(world));

    // assess: SKU-5 and the records behind it in its chunk failed with the reason, within minutes
    expect(first).toMatchObject({ status: "partial", counts: { extracted: 10, created: 4, failed: 6 } });
    expect(first?.durationMs).toBeLessThanOrEqual(5 * 60_000);
    expect(first?.errors).toContainEqual(
      expect.objectContaining({ key: "5", outcome: "failed", reason, step: "write" }),
    );
    expect(kong.stats.byStatus[429]).toBe(1);

    // act: the next scheduled run
    const second = await runToItsEnd(world, await startScheduledRun(world));

    // assess
    expect(second).toMatchObject({ status: "succeeded", counts: { unchanged: 4, created: 6, failed: 0 } });
    const skus = kong.skus.list().map((sku) => sku.external_id);
    expect(skus).toHaveLength(10);
    expect(new Set(skus).size).toBe(10);
  });
});

describe("a backoff longer than the run has left", () => {
  it("brings the message back before the run's end, with a whole invocation left to write it", async () => {
    // prepare: a 10-minute backoff; the run is 50 of its 60 minutes old when a write fails with a 500
    const world = stepWorld({ items: 10 });
    world.deps.retryBaseSeconds = 600;
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    world.clock.advance(50 * 60_000);
    let failedOnce = false;
    world.product.failWith = () => {
      if (failedOnce) return undefined;
      failedOnce = true;
      return new ExternalCallError("kong-rfid", "POST sku", 500, "boom", true, undefined, "kong.example.com");
    };
    await deliver(world, "loads");

    // act: 5 minutes on, the run's end less the load function's timeout
    world.clock.advance(5 * 60_000);
    const delivered = await deliver(world, "loads");
    await deliver(world, "units"); // the deactivation pass, which ends the run

    // assess: it came back (not 10 minutes on, past the run's end) and the run succeeded in time
    expect(delivered).toBe(1);
    expect(await world.store.runs.get(world.tenant.id, runId)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 10, created: 10, failed: 0 },
    });
  });

  it("fails the records now when no time is left in the run to try again", async () => {
    // prepare: the run is 57 of its 60 minutes old (less than the load function's timeout left) when a write fails
    const world = stepWorld({ items: 10 });
    const runId = await startScheduledRun(world);
    await deliver(world, "units");
    world.clock.advance(57 * 60_000);
    world.product.failWith = (record) =>
      record.key === "1" ? new ExternalCallError("kong-rfid", "POST sku", 500, "boom", true) : undefined;

    // act
    await deliver(world, "loads");
    await deliver(world, "units"); // the deactivation pass, which ends the run

    // assess
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run).toMatchObject({ status: "partial", counts: { extracted: 10, created: 9, failed: 1 } });
    expect(run?.errors).toEqual([
      expect.objectContaining({
        key: "1",
        outcome: "failed",
        reason: "kong-rfid POST sku failed (500): boom; no time left in this run to try again",
        step: "write",
      }),
    ]);
    expect(world.queues.pending).toBe(0);
  });
});
