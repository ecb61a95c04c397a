import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { QUEUES, type QueueName, WORKERS } from "../../runtime/core/domain/pipeline-config.js";
import type { ExtractUnit, LoadChunk } from "../../runtime/core/ports/messages.js";
import { SqsPipelineQueues, SqsRedeliveryControl, unitSlot } from "../../runtime/edges/aws/sqs.js";
import { type LocalSqs, startLocalSqs } from "../../runtime/edges/local/sqs.js";
import { spawnLocalSqs } from "../../sandbox/sqs-process.js";
import { drain, drainMessages, messagesOn } from "./support.js";

let sqs: LocalSqs;

beforeAll(async () => {
  sqs = await startLocalSqs();
});
afterAll(async () => {
  await sqs.close();
});
beforeEach(async () => {
  for (const queue of Object.values(sqs.queues)) {
    await drain(sqs.client, queue.url);
    await drain(sqs.client, queue.deadLetter.url);
  }
});

const attributesOf = async (url: string) =>
  (await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] })))
    .Attributes ?? {};

const unit = (unitId: string, overrides: Partial<ExtractUnit> = {}): ExtractUnit => ({
  tenantId: "demo",
  runId: "run-1",
  unitId,
  range: { from: 0, to: 100 },
  ...overrides,
});

const loadChunk = (chunkId: string): LoadChunk => ({
  tenantId: "demo",
  runId: "run-1",
  chunkId,
  records: [{ key: chunkId, externalId: chunkId, payload: { name: `item ${chunkId}` }, hash: "h" }],
});

const queues = () =>
  new SqsPipelineQueues(sqs.client, {
    syncRequests: sqs.queues.syncRequests.url,
    units: sqs.queues.units.url,
    loads: sqs.queues.loads.url,
    verifyRequests: sqs.queues.verifyRequests.url,
    notifications: sqs.queues.notifications.url,
  });

async function receiveOne(url: string) {
  const answer = await sqs.client.send(
    new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ["All"] }),
  );
  return answer.Messages?.[0];
}

describe("startLocalSqs: the queues the infrastructure declares", () => {
  it.each(Object.keys(QUEUES) as QueueName[])(
    "%s: name, visibility timeout, FIFO and redrive",
    async (name) => {
      // prepare
      const spec = QUEUES[name];
      const queue = sqs.queues[name];

      // act
      const attributes = await attributesOf(queue.url);
      const deadLetter = await attributesOf(queue.deadLetter.url);

      // assess
      expect(queue.name).toBe(`siesa-integration-local-${spec.suffix}`);
      expect(attributes.VisibilityTimeout).toBe(String(6 * WORKERS[spec.consumer].timeoutSeconds));
      expect(JSON.parse(attributes.RedrivePolicy ?? "{}")).toEqual({
        deadLetterTargetArn: queue.deadLetter.arn,
        maxReceiveCount: spec.maxReceiveCount,
      });
      expect(attributes.FifoQueue === "true").toBe(spec.fifo);
      expect(deadLetter.FifoQueue === "true").toBe(spec.fifo);
    },
  );

  it.each([
    [0.5, "900"],
    [0.0001, "1"],
  ])(
    "scales visibility timeouts by timeScale %s, in whole seconds, never below one",
    async (timeScale, expected) => {
      // act
      const scaled = await startLocalSqs({ timeScale, stack: "scaled" });
      try {
        // assess: loads' worker times out after 300 s, so 1800 s unscaled
        const answer = await scaled.client.send(
          new GetQueueAttributesCommand({
            QueueUrl: scaled.queues.loads.url,
            AttributeNames: ["VisibilityTimeout"],
          }),
        );
        expect(answer.Attributes?.VisibilityTimeout).toBe(expected);
        expect(scaled.queues.loads.visibilityTimeoutSeconds).toBe(Number(expected));
      } finally {
        await scaled.close();
      }
    },
  );
});

describe("startLocalSqs: one SQS for this process and for others", () => {
  it("serves the same queues on its port: what a client over HTTP sends, the stack's own client receives", async () => {
    // prepare: a client as a tool outside the process would make it (plain SDK, real HTTP, signed)
    const outside = new SQSClient({
      endpoint: sqs.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "tool", secretAccessKey: "tool" },
    });

    // act
    try {
      await outside.send(
        new SendMessageCommand({ QueueUrl: sqs.queues.syncRequests.url, MessageBody: "from outside" }),
      );
    } finally {
      outside.destroy();
    }

    // assess
    const [message] = await drainMessages(sqs.client, sqs.queues.syncRequests.url);
    expect(message?.Body).toBe("from outside");
  });

  it("creates its queues on a local SQS serving in another process, and leaves it serving when closed (benchmarks)", async () => {
    // prepare: fauxqs in a child process, and two stacks' queues on it
    const server = await spawnLocalSqs();
    try {
      const first = await startLocalSqs({ endpoint: server.endpoint, stack: "apart-1" });
      const second = await startLocalSqs({ endpoint: server.endpoint, stack: "apart-2" });

      // act
      await first.client.send(
        new SendMessageCommand({ QueueUrl: first.queues.syncRequests.url, MessageBody: "one" }),
      );
      await first.close();
      await second.client.send(
        new SendMessageCommand({ QueueUrl: second.queues.syncRequests.url, MessageBody: "two" }),
      );

      // assess: the server outlived the first stack's close; each stack has queues of its own
      expect(first.endpoint).toBe(server.endpoint);
      expect((await drainMessages(second.client, second.queues.syncRequests.url)).map((m) => m.Body)).toEqual(
        ["two"],
      );
      await second.close();
    } finally {
      await server.close();
    }
  });

  it("gives up a long poll at once when its caller aborts it (a poller stopping)", async () => {
    // prepare: an SQS of its own (the emulator keeps the abandoned poll until a message comes), a 20 s long poll
    const own = await startLocalSqs({ stack: "abort" });
    try {
      const abort = new AbortController();
      const started = Date.now();
      const receiving = own.client.send(
        new ReceiveMessageCommand({ QueueUrl: own.queues.units.url, WaitTimeSeconds: 20 }),
        { abortSignal: abort.signal },
      );

      // act
      setTimeout(() => abort.abort(), 50);

      // assess
      await expect(receiving).rejects.toThrow(/abort/i);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await own.close();
    }
  });
});

describe("SqsPipelineQueues", () => {
  it("sends a sync request as the scheduler and the API do", async () => {
    // act
    await queues().requestSync({ tenantId: "demo", trigger: "manual", runId: "run-1" });

    // assess
    const [message] = await drainMessages(sqs.client, sqs.queues.syncRequests.url);
    expect(JSON.parse(message?.Body ?? "")).toEqual({ tenantId: "demo", trigger: "manual", runId: "run-1" });
  });

  it("sends units in batches with one message group per concurrency slot and the unit as dedup id", async () => {
    // prepare
    const units = Array.from({ length: 25 }, (_, i) => unit(`0.${i}`));

    // act
    await queues().sendUnits(units, 4);

    // assess
    expect(await messagesOn(sqs.client, sqs.queues.units.url)).toBe(25);
    const received = await drainMessages(sqs.client, sqs.queues.units.url);
    const groups = new Set(received.map((m) => m.Attributes?.MessageGroupId));
    expect([...groups].every((g) => /^demo#[0-3]$/.test(g ?? ""))).toBe(true);
    for (const message of received) {
      const sent = JSON.parse(message.Body ?? "") as ExtractUnit;
      expect(message.Attributes?.MessageGroupId).toBe(`demo#${unitSlot(sent.unitId, 4)}`);
      expect(message.Attributes?.MessageDeduplicationId).toBe(`run-1:${sent.unitId}`);
    }
  });

  it("does not deliver a unit twice when it is sent twice", async () => {
    // act
    const run = { runId: "run-sent-twice" };
    await queues().sendUnits([unit("0.1", run), unit("0.2", run)], 4);
    await queues().sendUnits([unit("0.1", run)], 4);

    // assess
    expect(await messagesOn(sqs.client, sqs.queues.units.url)).toBe(2);
  });

  it("sends any number of load chunks, ten per batch", async () => {
    // prepare
    const chunks = Array.from({ length: 23 }, (_, i) => loadChunk(`0.${i}/0`));

    // act
    await queues().sendLoads(chunks, 4);

    // assess
    const bodies = (await drainMessages(sqs.client, sqs.queues.loads.url)).map(
      (m) => (JSON.parse(m.Body ?? "") as LoadChunk).chunkId,
    );
    expect(bodies.sort()).toEqual(chunks.map((c) => c.chunkId).sort());
  });
});

describe("unitSlot", () => {
  it("is stable and within the tenant's concurrency", () => {
    const slots = Array.from({ length: 200 }, (_, i) => unitSlot(`0.${i}`, 4));
    expect(slots.every((s) => s >= 0 && s < 4)).toBe(true);
    expect(new Set(slots).size).toBe(4);
    expect(unitSlot("0.17", 4)).toBe(unitSlot("0.17", 4));
  });
});

describe("SqsRedeliveryControl", () => {
  it("makes a received message visible again after the given delay (0: at once)", async () => {
    // prepare
    await queues().sendLoads([loadChunk("0/0")], 4);
    const message = await receiveOne(sqs.queues.loads.url);
    const control = new SqsRedeliveryControl(sqs.client, sqs.queueUrlOf);

    // act
    await control.retryLater(sqs.queues.loads.arn, message?.ReceiptHandle ?? "", 0);

    // assess
    const again = await receiveOne(sqs.queues.loads.url);
    expect(again?.MessageId).toBe(message?.MessageId);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe("2");
  });
});
