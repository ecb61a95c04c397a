import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { QueueSpec } from "../../runtime/core/domain/pipeline-config.js";
import type { LocalSqs } from "../../runtime/edges/local/sqs.js";
import { startLocalSqs } from "../../runtime/edges/local/sqs.js";

/** A toy event source mapping: tests vary one setting at a time. */
export const toyQueue = (overrides: Partial<QueueSpec> = {}): QueueSpec => ({
  suffix: "toy",
  fifo: false,
  consumer: "load",
  maxReceiveCount: 3,
  batchSize: 10,
  maximumBatchingWindowSeconds: 0,
  maximumConcurrency: 1,
  ...overrides,
});

/** fauxqs with one toy queue and its DLQ; a 1 s visibility timeout (SQS's smallest) so failures come back fast. */
export async function startToyQueue(spec: QueueSpec, visibilityTimeoutSeconds = 1): Promise<LocalSqs<"toy">> {
  return startLocalSqs({
    queues: { toy: spec },
    visibilityTimeoutSeconds: () => visibilityTimeoutSeconds,
    stack: `test-${Math.random().toString(36).slice(2, 8)}`,
  });
}

/** Sends bodies in order (FIFO: to `groupOf(body)`), in batches of 10. */
export async function sendBodies(
  client: SQSClient,
  queueUrl: string,
  bodies: string[],
  groupOf?: (body: string) => string,
): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    const entries = bodies.slice(start, start + 10).map((body, i) => ({
      Id: String(i),
      MessageBody: body,
      ...(groupOf ? { MessageGroupId: groupOf(body), MessageDeduplicationId: body } : {}),
    }));
    await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
}

/** Receives and deletes everything currently visible on a queue; returns the bodies. */
export async function drain(client: SQSClient, queueUrl: string): Promise<string[]> {
  return (await drainMessages(client, queueUrl)).map((m) => m.Body ?? "");
}

/** Receives (with system attributes) and deletes everything currently visible on a queue. */
export async function drainMessages(client: SQSClient, queueUrl: string): Promise<Message[]> {
  const received: Message[] = [];
  for (;;) {
    const answer = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const messages = answer.Messages ?? [];
    if (messages.length === 0) return received;
    received.push(...messages);
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

/** Messages on a queue, visible or in flight: 0 once every message was deleted (or moved to the DLQ). */
export async function messagesOn(client: SQSClient, queueUrl: string): Promise<number> {
  const answer = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const attributes = answer.Attributes ?? {};
  return (
    Number(attributes.ApproximateNumberOfMessages ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Resolves once `condition` holds (checked every 10 ms); rejects after `ms` naming what it waited for. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface Delivery {
  body: string;
  receiveCount: number;
  record: SQSRecord;
}

/**
 * A toy handler that records every delivery; `decide` says per record whether it succeeds, and may
 * throw to fail the whole invocation.
 */
export function recordingHandler(
  decide: (record: SQSRecord, deliveries: Delivery[]) => "ok" | "fail" | Promise<"ok" | "fail"> = () => "ok",
) {
  const deliveries: Delivery[] = [];
  const invocations: SQSEvent[] = [];
  const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    invocations.push(event);
    const failures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      deliveries.push({
        body: record.body,
        receiveCount: Number(record.attributes.ApproximateReceiveCount),
        record,
      });
      if ((await decide(record, deliveries)) === "fail") failures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures: failures };
  };
  const deliveriesOf = (body: string) => deliveries.filter((d) => d.body === body);
  return { handler, deliveries, invocations, deliveriesOf };
}

export { type LogEntry, recordingLog } from "../support/log.js";
