import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import type { QueueSpec } from "../../runtime/core/domain/pipeline-config.js";
import type { QueueHandler } from "../../runtime/core/ports/dependencies.js";
import { type Poller, startPoller } from "../../runtime/edges/local/poller.js";
import type { LocalSqs } from "../../runtime/edges/local/sqs.js";
import {
  drain,
  eventually,
  messagesOn,
  recordingHandler,
  recordingLog,
  sendBodies,
  startToyQueue,
  toyQueue,
} from "./support.js";

/**
 * The local poller stands in for Lambda's SQS event source mapping: these tests pin down the
 * behaviours the workers rely on, against a real (embedded) SQS.
 */

const running: { sqs: LocalSqs<"toy">; poller?: Poller }[] = [];

afterEach(async () => {
  for (const { sqs, poller } of running.splice(0)) {
    await poller?.stop();
    await sqs.close();
  }
});

async function toyQueueWithMessages(
  spec: QueueSpec,
  bodies: string[],
  groupOf?: (body: string) => string,
  visibilityTimeoutSeconds = 1,
) {
  const sqs = await startToyQueue(spec, visibilityTimeoutSeconds);
  running.push({ sqs });
  await sendBodies(sqs.client, sqs.queues.toy.url, bodies, groupOf);
  return sqs;
}

function poll(
  sqs: LocalSqs<"toy">,
  spec: QueueSpec,
  handler: QueueHandler,
  log = recordingLog(),
  holdWhile?: () => Promise<boolean>,
) {
  const poller = startPoller({
    ...(holdWhile ? { holdWhile } : {}),
    sqs: sqs.client,
    queueUrl: sqs.queues.toy.url,
    queueArn: sqs.queues.toy.arn,
    mapping: spec,
    handler,
    log,
    waitTimeSeconds: 1,
  });
  const entry = running.find((r) => r.sqs === sqs);
  if (entry) entry.poller = poller;
  return poller;
}

const queueIsEmpty = (sqs: LocalSqs<"toy">) => async () =>
  (await messagesOn(sqs.client, sqs.queues.toy.url)) === 0;

describe("local SQS poller (Lambda's event source mapping)", () => {
  it("hands the handler a Lambda-shaped SQS event", async () => {
    // prepare
    const spec = toyQueue({ fifo: true, suffix: "toy.fifo", batchSize: 1 });
    const sqs = await toyQueueWithMessages(spec, ["hello"], () => "tenant-a#0");
    const { handler, deliveries } = recordingHandler();

    // act
    poll(sqs, spec, handler);
    await eventually(() => deliveries.length === 1, "one delivery");

    // assess
    const { record } = deliveries[0] ?? expect.unreachable();
    expect(record).toMatchObject({
      body: "hello",
      eventSource: "aws:sqs",
      eventSourceARN: sqs.queues.toy.arn,
      awsRegion: "us-east-1",
      messageAttributes: {},
      attributes: {
        ApproximateReceiveCount: "1",
        MessageGroupId: "tenant-a#0",
        MessageDeduplicationId: "hello",
      },
    });
    expect(record.messageId).not.toBe("");
    expect(record.receiptHandle).not.toBe("");
    expect(record.md5OfBody).toBe("5d41402abc4b2a76b9719d911017c592"); // md5("hello")
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(0);
  });

  it("passes message attributes in Lambda's camelCase form", async () => {
    // prepare
    const spec = toyQueue();
    const sqs = await startToyQueue(spec);
    running.push({ sqs });
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: sqs.queues.toy.url,
        MessageBody: "with attributes",
        MessageAttributes: {
          traceId: { DataType: "String", StringValue: "abc" },
          digest: { DataType: "Binary", BinaryValue: Buffer.from([0, 1, 254, 255]) },
        },
      }),
    );
    const { handler, deliveries } = recordingHandler();

    // act
    poll(sqs, spec, handler);
    await eventually(() => deliveries.length === 1, "one delivery");

    // assess
    expect(deliveries[0]?.record.messageAttributes).toEqual({
      traceId: { dataType: "String", stringValue: "abc", stringListValues: [], binaryListValues: [] },
      // Lambda hands binary values over base64-encoded.
      digest: { dataType: "Binary", binaryValue: "AAH+/w==", stringListValues: [], binaryListValues: [] },
    });
    expect(deliveries[0]?.record.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
  });

  it("deletes the messages that succeeded and redelivers only those listed in batchItemFailures", async () => {
    // prepare
    const spec = toyQueue({ batchSize: 10 });
    const sqs = await toyQueueWithMessages(spec, ["a", "b", "c"]);
    const { handler, deliveriesOf, invocations } = recordingHandler((record) =>
      record.body === "b" && record.attributes.ApproximateReceiveCount === "1" ? "fail" : "ok",
    );

    // act
    poll(sqs, spec, handler);
    await eventually(() => deliveriesOf("b").length === 2, "b delivered again");
    await eventually(queueIsEmpty(sqs), "queue empty");

    // assess
    expect(invocations[0]?.Records.map((r) => r.body).sort()).toEqual(["a", "b", "c"]);
    expect(deliveriesOf("a").map((d) => d.receiveCount)).toEqual([1]);
    expect(deliveriesOf("c").map((d) => d.receiveCount)).toEqual([1]);
    expect(deliveriesOf("b").map((d) => d.receiveCount)).toEqual([1, 2]);
  });

  it("takes batches larger than one ReceiveMessage and deletes all of them (SQS deletes 10 at a time)", async () => {
    // prepare
    const spec = toyQueue({ batchSize: 25, maximumBatchingWindowSeconds: 1 });
    const bodies = Array.from({ length: 25 }, (_, i) => `m${i}`);
    const sqs = await toyQueueWithMessages(spec, bodies, undefined, 2);
    const { handler, deliveriesOf, invocations } = recordingHandler(() => "ok");

    // act
    poll(sqs, spec, handler);
    await eventually(queueIsEmpty(sqs), "queue empty");
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // past the visibility timeout

    // assess
    expect(invocations.flatMap((e) => e.Records).length).toBe(25);
    expect(Math.max(...invocations.map((e) => e.Records.length))).toBeGreaterThan(10);
    for (const body of bodies) expect(deliveriesOf(body)).toHaveLength(1); // none came back
  });

  it("deletes nothing when the handler throws: the whole batch comes back after the visibility timeout", async () => {
    // prepare
    const spec = toyQueue({ batchSize: 10 });
    const sqs = await toyQueueWithMessages(spec, ["a", "b"]);
    let calls = 0;
    const { handler: record, deliveriesOf } = recordingHandler();
    const throwsFirstTime: QueueHandler = async (event) => {
      calls++;
      const response = await record(event);
      if (calls === 1) throw new Error("worker crashed");
      return response;
    };
    const log = recordingLog();

    // act
    poll(sqs, spec, throwsFirstTime, log);
    await eventually(() => deliveriesOf("a").length === 2 && deliveriesOf("b").length === 2, "redelivery");
    await eventually(queueIsEmpty(sqs), "queue empty");

    // assess
    expect(deliveriesOf("a").map((d) => d.receiveCount)).toEqual([1, 2]);
    expect(deliveriesOf("b").map((d) => d.receiveCount)).toEqual([1, 2]);
    expect(log.entries.filter((e) => e.level === "error").map((e) => e.message)).toEqual([
      "local poller: handler threw; the batch will be redelivered",
    ]);
  });

  it("treats a response naming a message not in the batch as a failure of the whole batch, as Lambda does", async () => {
    // prepare
    const spec = toyQueue({ batchSize: 10 });
    const sqs = await toyQueueWithMessages(spec, ["a"]);
    let calls = 0;
    const bodies: string[] = [];
    const malformedOnce = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      calls++;
      bodies.push(...event.Records.map((r) => r.body));
      return { batchItemFailures: calls === 1 ? [{ itemIdentifier: "not-in-this-batch" }] : [] };
    };

    // act
    poll(sqs, spec, malformedOnce);
    await eventually(() => bodies.length === 2, "redelivery");
    await eventually(queueIsEmpty(sqs), "queue empty");

    // assess
    expect(bodies).toEqual(["a", "a"]);
  });

  it("moves a message that keeps failing to the dead-letter queue after maxReceiveCount deliveries", async () => {
    // prepare
    const spec = toyQueue({ maxReceiveCount: 2 });
    const sqs = await toyQueueWithMessages(spec, ["poison", "fine"]);
    const { handler, deliveriesOf } = recordingHandler((record) =>
      record.body === "poison" ? "fail" : "ok",
    );
    const deadLetters: string[] = [];

    // act
    poll(sqs, spec, handler);
    await eventually(async () => {
      deadLetters.push(...(await drain(sqs.client, sqs.queues.toy.deadLetter.url)));
      return deadLetters.length > 0;
    }, "a dead letter");

    // assess
    expect(deadLetters).toEqual(["poison"]);
    expect(deliveriesOf("poison").map((d) => d.receiveCount)).toEqual([1, 2]);
    expect(deliveriesOf("fine")).toHaveLength(1);
    expect(await messagesOn(sqs.client, sqs.queues.toy.url)).toBe(0);
  });

  it("FIFO: one message of a group in flight at a time, in order, while other groups proceed", async () => {
    // prepare
    const spec = toyQueue({ fifo: true, suffix: "toy.fifo", batchSize: 1, maximumConcurrency: 4 });
    const bodies = ["g1-1", "g2-1", "g1-2", "g2-2", "g1-3", "g2-3"];
    const sqs = await toyQueueWithMessages(spec, bodies, (body) => body.slice(0, 2));
    const inFlight = new Map<string, number>();
    let peakPerGroup = 0;
    let peakOverall = 0;
    const order: string[] = [];
    const { handler, deliveries } = recordingHandler(async (record) => {
      const group = record.attributes.MessageGroupId ?? "";
      inFlight.set(group, (inFlight.get(group) ?? 0) + 1);
      peakPerGroup = Math.max(peakPerGroup, inFlight.get(group) ?? 0);
      peakOverall = Math.max(
        peakOverall,
        [...inFlight.values()].reduce((a, b) => a + b, 0),
      );
      order.push(record.body);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight.set(group, (inFlight.get(group) ?? 1) - 1);
      return "ok" as const;
    });

    // act
    poll(sqs, spec, handler);
    await eventually(() => deliveries.length === bodies.length, "every message");

    // assess
    expect(peakPerGroup).toBe(1);
    expect(peakOverall).toBe(2);
    expect(order.filter((b) => b.startsWith("g1"))).toEqual(["g1-1", "g1-2", "g1-3"]);
    expect(order.filter((b) => b.startsWith("g2"))).toEqual(["g2-1", "g2-2", "g2-3"]);
  });

  it("never runs more than maximumConcurrency invocations at once", async () => {
    // prepare
    const spec = toyQueue({ batchSize: 1, maximumConcurrency: 3 });
    const bodies = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const sqs = await toyQueueWithMessages(spec, bodies);
    let inFlight = 0;
    let peak = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { handler, deliveries } = recordingHandler(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await gate;
      inFlight--;
      return "ok" as const;
    });

    // act: hold the first invocations until the cap is reached, give a broken cap time to show, release
    poll(sqs, spec, handler);
    await eventually(() => inFlight === 3, "three invocations in flight");
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await eventually(() => deliveries.length === bodies.length, "every message");

    // assess
    expect(peak).toBe(3);
  });

  it("fills a batch for up to the batching window before invoking", async () => {
    // prepare
    const spec = toyQueue({ batchSize: 5, maximumBatchingWindowSeconds: 1 });
    // As AWS advises, the visibility timeout outlasts the batching window.
    const sqs = await toyQueueWithMessages(spec, ["first"], undefined, 5);
    const { handler, invocations } = recordingHandler();

    // act: the rest arrive while the poller holds the first message, within the window
    poll(sqs, spec, handler);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await sendBodies(sqs.client, sqs.queues.toy.url, ["second", "third"]);
    await eventually(() => invocations.flatMap((i) => i.Records).length === 3, "three deliveries");

    // assess
    expect(invocations.map((i) => i.Records.map((r) => r.body))).toEqual([["first", "second", "third"]]);
  });

  it("takes no batch while told to hold (npm run sync's backpressure), and takes it once the hold ends", async () => {
    // prepare
    const spec = toyQueue({ batchSize: 1 });
    const sqs = await toyQueueWithMessages(spec, ["waiting"]);
    const { handler, deliveries } = recordingHandler();
    let holding = true;

    // act: hold for a while, then let go
    const poller = poll(sqs, spec, handler, recordingLog(), async () => holding);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const deliveredWhileHeld = deliveries.length;
    const idleWhileHeld = poller.idle;
    holding = false;
    await eventually(() => deliveries.length === 1, "the delivery after the hold");

    // assess
    expect(deliveredWhileHeld).toBe(0);
    expect(idleWhileHeld).toBe(true);
    expect(await messagesOn(sqs.client, sqs.queues.toy.url)).toBe(0);
  });

  it("stop() waits for the invocation in flight and its delete, then receives nothing more", async () => {
    // prepare
    const spec = toyQueue({ batchSize: 1 });
    const sqs = await toyQueueWithMessages(spec, ["slow"]);
    let finished = false;
    const { handler, deliveries } = recordingHandler(async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      finished = true;
      return "ok" as const;
    });
    const poller = poll(sqs, spec, handler);
    await eventually(() => deliveries.length === 1, "the delivery");

    // act
    await poller.stop();
    await sendBodies(sqs.client, sqs.queues.toy.url, ["after stop"]);

    // assess
    expect(finished).toBe(true);
    expect(deliveries.map((d) => d.body)).toEqual(["slow"]);
    expect(await messagesOn(sqs.client, sqs.queues.toy.url)).toBe(1); // only "after stop" is left
  });
});
