/**
 * What Lambda's SQS event source mapping does, for `npm start` and `npm run sync`: receive batches
 * from a queue of the local SQS through the SDK client (Lambda makes these calls on its side),
 * hand them to the handler as a real-shaped SQSEvent, delete what succeeded.
 *
 * - Up to `batchSize` messages per invocation; when `maximumBatchingWindowSeconds` > 0, keeps receiving
 *   for that long (from the first message) to fill the batch.
 * - At most `maximumConcurrency` invocations in flight; each deletes its successes when it returns.
 * - ReportBatchItemFailures: the messages listed in `batchItemFailures` stay on the queue, the rest
 *   are deleted. A response naming a message that is not in the batch counts as a failure of the
 *   whole batch, as in Lambda.
 * - A handler that throws: nothing is deleted. The messages come back after their visibility timeout
 *   (or sooner if the handler changed it) and SQS's redrive moves them to the dead-letter queue after
 *   `maxReceiveCount` receives.
 */
import {
  type BatchResultErrorEntry,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";
import { chunk } from "../../core/domain/chunk.js";
import type { QueueSpec } from "../../core/domain/pipeline-config.js";
import type { Log } from "../../core/observability/logger.js";
import type { QueueHandler } from "../../core/ports/dependencies.js";

export interface PollerOptions {
  /** A client of the local SQS (LocalSqs.client). */
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  /** The event source mapping's settings (QUEUES[name] in the pipeline). */
  mapping: Pick<QueueSpec, "batchSize" | "maximumBatchingWindowSeconds" | "maximumConcurrency">;
  handler: QueueHandler;
  log: Log;
  /** Long-poll wait on an idle queue, 1-20 s (default 20). Stopping does not wait for it. */
  waitTimeSeconds?: number;
  /** Pause after a failed ReceiveMessage (emulator restarting, socket error) before trying again. */
  receiveErrorDelayMs?: number;
  /**
   * Takes no new batch while this answers true, asking again every `HOLD_RECHECK_MS` (`npm run sync`
   * holds extraction while enough load chunks wait, so its memory stays flat).
   */
  holdWhile?: () => Promise<boolean>;
}

export interface Poller {
  /** No invocation in flight and no batch being filled (a long poll may be waiting). */
  readonly idle: boolean;
  /** Stops receiving, waits for the invocations in flight to finish (and their deletes), then resolves. */
  stop(): Promise<void>;
}

const HOLD_RECHECK_MS = 20;

/** SQS hands out at most 10 messages per ReceiveMessage. */
const RECEIVE_MAX = 10;

export function startPoller(options: PollerOptions): Poller {
  const { mapping } = options;
  if (!(mapping.batchSize >= 1)) throw new Error(`poller ${options.queueArn}: batchSize must be at least 1`);
  if (!(mapping.maximumConcurrency >= 1)) {
    throw new Error(`poller ${options.queueArn}: maximumConcurrency must be at least 1`);
  }
  const abort = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const state = { filling: false };
  const receiving = receiveLoop(options, abort.signal, inFlight, state);
  let stopped: Promise<void> | undefined;
  return {
    get idle() {
      return !state.filling && inFlight.size === 0;
    },
    stop() {
      stopped ??= (async () => {
        abort.abort();
        await receiving;
        await Promise.all(inFlight);
      })();
      return stopped;
    },
  };
}

/**
 * One receiver per queue forms batches while an invocation slot is free. (One long poll per slot would
 * also cap concurrency, but every message arriving on an idle queue would wake all of them at once.)
 * Without a batching window, one ReceiveMessage takes enough messages for every free slot (up to 10),
 * as Lambda's pollers do: a busy queue then costs one round trip per few invocations, not one each,
 * and slots freed together are filled together.
 */
async function receiveLoop(
  options: PollerOptions,
  signal: AbortSignal,
  inFlight: Set<Promise<void>>,
  state: { filling: boolean },
) {
  const { mapping } = options;
  while (!signal.aborted) {
    const free = mapping.maximumConcurrency - inFlight.size;
    if (free <= 0) {
      await Promise.race(inFlight);
      continue;
    }
    let batches: Message[][];
    try {
      if (options.holdWhile && (await options.holdWhile())) {
        await delay(HOLD_RECHECK_MS, signal);
        continue;
      }
      if (mapping.maximumBatchingWindowSeconds > 0) {
        const first = await receive(
          options,
          Math.min(RECEIVE_MAX, mapping.batchSize),
          longPoll(options),
          signal,
        );
        state.filling = first.length > 0;
        batches = [await fillBatch(options, first, signal)];
      } else {
        batches = await receiveBatches(options, free, signal);
      }
    } catch (error) {
      if (signal.aborted) return;
      options.log.warn("local poller: ReceiveMessage failed, retrying", {
        queueArn: options.queueArn,
        error: messageOf(error),
      });
      await delay(options.receiveErrorDelayMs ?? 1_000, signal);
      continue;
    }
    // A batch received just before a stop is still handled: it is in flight and must not be dropped.
    launch(options, batches, inFlight);
    state.filling = false;
  }
}

const longPoll = (options: PollerOptions) => options.waitTimeSeconds ?? 20;

/** Up to `slots` batches of at most batchSize from one ReceiveMessage (long-polling an idle queue). */
async function receiveBatches(
  options: PollerOptions,
  slots: number,
  signal: AbortSignal,
): Promise<Message[][]> {
  const { batchSize } = options.mapping;
  const received = await receive(
    options,
    Math.min(RECEIVE_MAX, slots * batchSize),
    longPoll(options),
    signal,
  );
  return chunk(received, batchSize);
}

/**
 * Invokes each batch. A FIFO message group is handed one batch at a time, in order, as Lambda does:
 * should one ReceiveMessage return several messages of a group (SQS may; fauxqs returns one per
 * group), a later batch waits for the earlier one, and if that one left a message of the group on the
 * queue (it failed), the later batch is not handled now but made visible again behind it.
 */
function launch(options: PollerOptions, batches: Message[][], inFlight: Set<Promise<void>>): void {
  const lastOfGroup = new Map<string, Promise<Set<string>>>();
  for (const batch of batches) {
    if (batch.length === 0) continue;
    const groups = new Set(batch.flatMap((m) => groupOf(m) ?? []));
    const before = [...groups].flatMap((g) => lastOfGroup.get(g) ?? []);
    const run = async (): Promise<Set<string>> => {
      const leftBehind = await Promise.all(before);
      if (leftBehind.some((left) => [...groups].some((g) => left.has(g)))) {
        await makeVisible(options, batch);
        return groups;
      }
      return invoke(options, batch);
    };
    const result = run();
    for (const group of groups) lastOfGroup.set(group, result);
    const invocation: Promise<void> = result.then(
      () => undefined,
      () => undefined,
    );
    const tracked = invocation.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
}

const groupOf = (message: Message): string | undefined => message.Attributes?.MessageGroupId;

/** Fills one batch from its first messages: more for up to the batching window. */
async function fillBatch(options: PollerOptions, first: Message[], signal: AbortSignal): Promise<Message[]> {
  const { batchSize, maximumBatchingWindowSeconds } = options.mapping;
  if (first.length === 0) return first;
  // By message id: should a held message's visibility run out within the window, its new receipt wins.
  const batch = new Map(first.map((m) => [m.MessageId, m]));
  const deadline = Date.now() + maximumBatchingWindowSeconds * 1000;
  while (batch.size < batchSize && !signal.aborted) {
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) break;
    const wanted = Math.min(RECEIVE_MAX, batchSize - batch.size);
    try {
      // Long polls count whole seconds: below one second left, short-poll so the window is not overrun.
      const received = await receive(options, wanted, Math.floor(remainingMs / 1000), signal);
      for (const message of received) batch.set(message.MessageId, message);
      if (received.length === 0 && remainingMs < 1000) await delay(Math.min(remainingMs, 50), signal);
    } catch (error) {
      // Keep what we already hold: it is in flight and must be handled, not dropped.
      if (!signal.aborted) {
        options.log.warn("local poller: ReceiveMessage failed while filling a batch", {
          queueArn: options.queueArn,
          error: messageOf(error),
        });
      }
      break;
    }
  }
  return [...batch.values()];
}

async function receive(
  options: PollerOptions,
  maxMessages: number,
  waitSeconds: number,
  signal: AbortSignal,
): Promise<Message[]> {
  // A stopped poller's call never reaches SQS: a receive would take messages nobody handles.
  signal.throwIfAborted();
  const answer = await options.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: options.queueUrl,
      MaxNumberOfMessages: maxMessages,
      WaitTimeSeconds: Math.min(20, Math.max(0, waitSeconds)),
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    }),
    { abortSignal: signal },
  );
  return answer.Messages ?? [];
}

/** Runs the handler on a batch and deletes what succeeded; returns the message groups it left messages of. */
async function invoke(options: PollerOptions, messages: Message[]): Promise<Set<string>> {
  const event = toSqsEvent(messages, options.queueArn);
  let failedIds: Set<string>;
  try {
    const response = await options.handler(event);
    failedIds = reportedFailures(response, event);
  } catch (error) {
    options.log.error("local poller: handler threw; the batch will be redelivered", {
      queueArn: options.queueArn,
      messages: messages.length,
      error: messageOf(error),
    });
    failedIds = new Set(event.Records.map((r) => r.messageId));
  }
  const done = event.Records.filter((record) => !failedIds.has(record.messageId));
  if (done.length > 0) await deleteMessages(options, done);
  return new Set(
    messages.flatMap((m) => (m.MessageId && failedIds.has(m.MessageId) ? (groupOf(m) ?? []) : [])),
  );
}

/** Gives received messages back to the queue at once (their receive is not handled). */
async function makeVisible(options: PollerOptions, messages: Message[]): Promise<void> {
  for (const entries of chunk(messages, SQS_BATCH_MAX)) {
    let problem: string | undefined;
    try {
      const answer = await options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: entries.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
      const failed = answer.Failed ?? [];
      if (failed.length > 0) problem = failures(failed).join("; ");
    } catch (error) {
      problem = messageOf(error);
    }
    // They come back after their visibility timeout instead.
    if (problem) {
      options.log.warn(
        "local poller: could not give messages back; they return after their visibility timeout",
        {
          queueArn: options.queueArn,
          error: problem,
        },
      );
    }
  }
}

/**
 * The ids to keep on the queue. Lambda treats a malformed response (an unknown or empty
 * itemIdentifier) as a failure of the whole batch.
 */
function reportedFailures(response: unknown, event: SQSEvent): Set<string> {
  const all = new Set(event.Records.map((r) => r.messageId));
  if (response === undefined || response === null) return new Set();
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const ids = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || !all.has(id)) return all;
    ids.add(id);
  }
  return ids;
}

/** SQS's batch calls (DeleteMessageBatch, ChangeMessageVisibilityBatch) take at most 10 entries. */
const SQS_BATCH_MAX = 10;

/** A batch of 100 is deleted in chunks of 10. */
async function deleteMessages(options: PollerOptions, records: SQSRecord[]): Promise<void> {
  await Promise.all(chunk(records, SQS_BATCH_MAX).map((part) => deleteChunk(options, part)));
}

async function deleteChunk(options: PollerOptions, records: SQSRecord[]): Promise<void> {
  try {
    const answer = await options.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: records.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })),
      }),
    );
    const failed = answer.Failed ?? [];
    if (failed.length > 0) {
      options.log.warn("local poller: some handled messages could not be deleted and will be redelivered", {
        queueArn: options.queueArn,
        failed: failures(failed),
      });
    }
  } catch (error) {
    // As in Lambda: the messages come back and the (idempotent) handler sees them again.
    options.log.warn("local poller: DeleteMessageBatch failed; the messages will be redelivered", {
      queueArn: options.queueArn,
      error: messageOf(error),
    });
  }
}

/** The event Lambda builds from received messages (field names and casing as Lambda sends them). */
export function toSqsEvent(messages: Message[], queueArn: string): SQSEvent {
  const region = queueArn.split(":")[3] ?? "us-east-1";
  return {
    Records: messages.map((message): SQSRecord => {
      const attributes = message.Attributes ?? {};
      return {
        messageId: message.MessageId ?? "",
        receiptHandle: message.ReceiptHandle ?? "",
        body: message.Body ?? "",
        attributes: {
          ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
          SentTimestamp: attributes.SentTimestamp ?? "",
          SenderId: attributes.SenderId ?? "",
          ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? "",
          ...optional("SequenceNumber", attributes.SequenceNumber),
          ...optional("MessageGroupId", attributes.MessageGroupId),
          ...optional("MessageDeduplicationId", attributes.MessageDeduplicationId),
        },
        messageAttributes: toLambdaAttributes(message.MessageAttributes),
        md5OfBody: message.MD5OfBody ?? "",
        ...optional("md5OfMessageAttributes", message.MD5OfMessageAttributes),
        eventSource: "aws:sqs",
        eventSourceARN: queueArn,
        awsRegion: region,
      };
    }),
  };
}

/** SQS's PascalCase attributes become Lambda's camelCase, binary values base64 as Lambda sends them. */
function toLambdaAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    result[name] = {
      dataType: value.DataType ?? "String",
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString("base64")),
      ...optional("stringValue", value.StringValue),
      ...optional(
        "binaryValue",
        value.BinaryValue ? Buffer.from(value.BinaryValue).toString("base64") : undefined,
      ),
    };
  }
  return result;
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

const failures = (failed: BatchResultErrorEntry[]) =>
  failed.map((f) => `${f.Code ?? "error"} ${f.Message ?? ""}`.trim());

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
