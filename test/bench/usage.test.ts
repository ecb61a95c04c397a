import type { SQSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { PRICES } from "../../bench/prices.js";
import { costOf, perTenantMonth, usageCounter } from "../../bench/usage.js";
import type { ExtractUnit } from "../../runtime/core/ports/messages.js";
import type { PipelineQueues, RedeliveryControl } from "../../runtime/core/ports/pipeline.js";

/** Queues that accept everything and remember nothing: the counter's own figures are under test. */
const quietQueues: PipelineQueues & RedeliveryControl = {
  requestSync: async () => {},
  requestVerify: async () => {},
  sendUnits: async () => {},
  sendLoads: async () => {},
  sendDeactivationPass: async () => {},
  retryLater: async () => {},
};

const unit = (i: number) => ({ tenantId: "acme", runId: "r1", unitId: `0.${i}` }) as unknown as ExtractUnit;

const eventOf = (arn: string, bodies: string[]): SQSEvent =>
  ({
    Records: bodies.map((body, i) => ({
      messageId: String(i),
      receiptHandle: `h${i}`,
      body,
      eventSourceARN: arn,
    })),
  }) as unknown as SQSEvent;

const noDynamo = { read: 0, write: 0 };

describe("a run's SQS requests, as SQS bills them", () => {
  it("counts sends as the SQS adapter batches them: 25 units are three SendMessageBatch requests", async () => {
    const counter = usageCounter();
    const queues = counter.wrapQueues(quietQueues);

    await queues.sendUnits(
      Array.from({ length: 25 }, (_, i) => unit(i)),
      4,
    );
    await queues.requestSync({ tenantId: "acme", trigger: "schedule", runId: "r1" });

    expect(counter.take(noDynamo).sqs).toEqual({ fifo: 3, standard: 1 });
  });

  it("bills a message of more than 64 KiB as one request per started 64 KiB", async () => {
    const counter = usageCounter();
    const big = { ...unit(1), padding: "x".repeat(100 * 1024) } as ExtractUnit;

    await counter.wrapQueues(quietQueues).sendUnits([big], 4);

    expect(counter.take(noDynamo).sqs.fifo).toBe(2);
  });

  it("counts a delivery as the event source's receive and its delete, and no delete for a failed message", async () => {
    const counter = usageCounter();
    const pages = "arn:aws:sqs:us-east-1:000000000000:x-units.fifo";
    const succeeds = counter.wrapHandler("extract", async () => ({ batchItemFailures: [] }));
    const fails = counter.wrapHandler("extract", async () => ({
      batchItemFailures: [{ itemIdentifier: "0" }],
    }));

    await succeeds(eventOf(pages, ["{}"]));
    await fails(eventOf(pages, ["{}"]));

    const usage = counter.take(noDynamo);
    expect(usage.sqs).toEqual({ fifo: 3, standard: 0 });
    expect(usage.lambda.extract.invocations).toBe(2);
  });

  it("counts a message put off by retryLater as one visibility change on its queue's kind", async () => {
    const counter = usageCounter();
    const queues = counter.wrapQueues(quietQueues);

    await queues.retryLater("arn:aws:sqs:us-east-1:000000000000:x-loads.fifo", "h", 30);
    await queues.retryLater("arn:aws:sqs:us-east-1:000000000000:x-sync-requests", "h", 30);

    expect(counter.take(noDynamo).sqs).toEqual({ fifo: 1, standard: 1 });
  });

  it("starts each count afresh after a take", async () => {
    const counter = usageCounter();
    await counter.wrapQueues(quietQueues).requestSync({ tenantId: "acme", trigger: "schedule", runId: "r1" });
    counter.take(noDynamo);

    expect(counter.take(noDynamo).sqs).toEqual({ fifo: 0, standard: 0 });
  });
});

describe("a run's cost", () => {
  it("prices Lambda at each function's declared memory, and every service at PRICES", () => {
    const counter = usageCounter();
    const usage = counter.take({ read: 4_000_000, write: 2_000_000 });
    // load is declared with 256 MB: 4,000 s of it are 1,000 GB-s.
    usage.lambda.load = { invocations: 1_000_000, ms: 4_000_000 };
    usage.sqs = { standard: 1_000_000, fifo: 2_000_000 };

    const cost = costOf(usage);

    expect(cost.gbSeconds).toBe(1_000);
    expect(cost.lambda).toBeCloseTo(1_000 * PRICES.lambda.perGbSecond + PRICES.lambda.perMillionRequests, 10);
    expect(cost.sqs).toBeCloseTo(
      PRICES.sqs.perMillionStandardRequests + 2 * PRICES.sqs.perMillionFifoRequests,
      10,
    );
    expect(cost.dynamodb).toBeCloseTo(
      4 * PRICES.dynamodb.perMillionReadUnits + 2 * PRICES.dynamodb.perMillionWriteUnits,
      10,
    );
    expect(cost.scheduler).toBeCloseTo(PRICES.scheduler.perMillionInvocations / 1e6, 12);
    expect(perTenantMonth(cost)).toBeCloseTo(cost.total * 730, 10);
  });
});
