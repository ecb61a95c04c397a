import { afterEach, describe, expect, it } from "vitest";
import type { LocalSqs } from "../../runtime/local/sqs.js";
import { sendBodies, startToyQueue, toyQueue } from "./support.js";

// The calls the local pollers make for Lambda's event source mapping, straight to the embedded SQS.

const started: LocalSqs<"toy">[] = [];
afterEach(async () => {
  for (const sqs of started.splice(0)) await sqs.close();
});

async function toyQueueWith(bodies: string[]) {
  const sqs = await startToyQueue(toyQueue());
  started.push(sqs);
  await sendBodies(sqs.client, sqs.queues.toy.url, bodies);
  return sqs;
}

describe("the event source's SQS calls", () => {
  it("receive messages with their attributes, and delete them by receipt", async () => {
    // prepare
    const sqs = await toyQueueWith(["a", "b"]);
    const url = sqs.queues.toy.url;

    // act
    const received = await sqs.eventSource.receive(url, 10, 0);
    const failed = await sqs.eventSource.deleteBatch(
      url,
      received.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
    );

    // assess
    expect(received.map((m) => m.Body).sort()).toEqual(["a", "b"]);
    expect(received[0]?.Attributes?.ApproximateReceiveCount).toBe("1");
    expect(failed).toEqual([]);
    expect(await sqs.eventSource.receive(url, 10, 0)).toEqual([]);
  });

  it("name the call and the endpoint when SQS refuses it", async () => {
    const sqs = await toyQueueWith([]);

    const receiving = sqs.eventSource.receive(`${sqs.endpoint}/000000000000/no-such-queue`, 1, 0);

    await expect(receiving).rejects.toThrow(`SQS ReceiveMessage at ${sqs.endpoint} answered 400`);
  });

  it("give up at once on a long poll whose caller stopped before it began", async () => {
    // prepare: an empty queue, which would hold a long poll for its whole wait
    const sqs = await toyQueueWith([]);
    const startedAt = Date.now();

    // act
    const receiving = sqs.eventSource.receive(sqs.queues.toy.url, 1, 20, AbortSignal.abort());

    // assess
    await expect(receiving).rejects.toThrow("aborted");
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});
