/**
 * Lambda's SQS event source mapping over an in-process MemoryQueue: batches of up to `batchSize`
 * (waiting up to the batching window to fill one), at most `maximumConcurrency` invocations at once,
 * ReportBatchItemFailures (the listed messages stay, the rest are deleted; a handler that throws
 * leaves the whole batch to come back). The same contract the fauxqs poller keeps for `npm start`.
 */
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { Log } from "../observability/logger.js";
import type { QueueSpec } from "../pipeline/config.js";
import type { QueueHandler } from "../workers/dependencies.js";
import type { MemoryQueue, QueuedMessage } from "./memory-queue.js";

export interface MemoryEventSourceOptions {
  queue: MemoryQueue;
  mapping: Pick<QueueSpec, "batchSize" | "maximumBatchingWindowSeconds" | "maximumConcurrency">;
  handler: QueueHandler;
  log: Log;
  /** Takes no new batch while this says so (backpressure), re-checked whenever `watch` changes. */
  hold?: { while: () => boolean; watch: MemoryQueue };
}

export interface MemoryEventSource {
  /** No batch being filled and no invocation in flight. */
  readonly idle: boolean;
  /** Stops taking batches and waits for the invocations in flight. */
  stop(): Promise<void>;
}

export function startMemoryEventSource(options: MemoryEventSourceOptions): MemoryEventSource {
  const { queue, mapping } = options;
  const inFlight = new Set<Promise<void>>();
  let filling: { messages: QueuedMessage[]; timer: NodeJS.Timeout } | undefined;
  let stopped = false;

  const launch = (messages: QueuedMessage[]) => {
    const invocation: Promise<void> = invoke(options, messages).finally(() => {
      inFlight.delete(invocation);
      pump();
    });
    inFlight.add(invocation);
  };

  const flushFilling = () => {
    if (!filling) return;
    clearTimeout(filling.timer);
    const { messages } = filling;
    filling = undefined;
    launch(messages);
  };

  function pump(): void {
    while (!stopped && inFlight.size < mapping.maximumConcurrency && !options.hold?.while()) {
      const wanted = mapping.batchSize - (filling?.messages.length ?? 0);
      const received = queue.receive(wanted);
      if (received.length === 0) return;
      if (filling) {
        filling.messages.push(...received);
        if (filling.messages.length >= mapping.batchSize) flushFilling();
        continue;
      }
      if (received.length >= mapping.batchSize || mapping.maximumBatchingWindowSeconds <= 0) {
        launch(received);
        continue;
      }
      // A partial batch waits up to the batching window for more, as Lambda's poller does.
      const timer = setTimeout(flushFilling, mapping.maximumBatchingWindowSeconds * 1000);
      filling = { messages: received, timer };
      return;
    }
  }

  const unsubscribe = queue.onChange(pump);
  const unwatch = options.hold?.watch.onChange(pump);
  queueMicrotask(pump);
  return {
    get idle() {
      return !filling && inFlight.size === 0;
    },
    async stop() {
      stopped = true;
      unsubscribe();
      unwatch?.();
      if (filling) {
        clearTimeout(filling.timer);
        filling = undefined; // held messages come back after their visibility timeout, as in Lambda
      }
      await Promise.all(inFlight);
    },
  };
}

async function invoke(options: MemoryEventSourceOptions, messages: QueuedMessage[]): Promise<void> {
  const event = toEvent(messages, options.queue.arn);
  let failed: Set<string>;
  try {
    const response = await options.handler(event);
    failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  } catch (error) {
    options.log.error("in-process queue: handler threw; the batch will be redelivered", {
      queue: options.queue.name,
      messages: messages.length,
      error: error instanceof Error ? error.message : String(error),
    });
    return;
  }
  for (const message of messages) {
    if (!failed.has(message.messageId) && message.receiptHandle) options.queue.delete(message.receiptHandle);
  }
}

/** The event Lambda builds from received messages. */
export function toEvent(messages: readonly QueuedMessage[], queueArn: string): SQSEvent {
  return {
    Records: messages.map(
      (message): SQSRecord => ({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle ?? "",
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          SenderId: "local",
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
          ...(message.groupId ? { MessageGroupId: message.groupId } : {}),
          ...(message.deduplicationId ? { MessageDeduplicationId: message.deduplicationId } : {}),
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: queueArn,
        awsRegion: "us-east-1",
      }),
    ),
  };
}
