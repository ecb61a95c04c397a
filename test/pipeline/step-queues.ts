import { randomUUID } from "node:crypto";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import {
  deadLetterSuffix,
  QUEUES,
  type QueueName,
  type QueueSpec,
  visibilityTimeoutSeconds,
} from "../../runtime/core/domain/pipeline-config.js";
import type {
  DeactivationPass,
  ExtractUnit,
  LoadChunk,
  SyncRequest,
  VerifyRequest,
} from "../../runtime/core/ports/messages.js";
import type { PipelineQueues, RedeliveryControl } from "../../runtime/core/ports/pipeline.js";
import {
  chunkDeduplicationId,
  chunkGroupId,
  passDeduplicationId,
  passGroupId,
  unitDeduplicationId,
  unitGroupId,
} from "../../runtime/edges/aws/sqs.js";

// The queue port of the step tests, which deliver messages one step at a time on a clock they move:
// an array of messages per queue, each visible from a time on that clock. A received message is
// hidden for the queue's visibility timeout, a message received more often than the queue's
// maxReceiveCount moves to its dead-letter queue on the next receive, a FIFO group hands out one
// message at a time, and a FIFO message whose deduplication id was sent within five minutes is
// dropped (the pipeline relies on it: the deactivation pass is asked for by several steps). What
// SQS itself does (and `npm start`, `npm run sync` and the crash harness's DynamoDB scenarios run
// on) is the local SQS, fauxqs (runtime/edges/local/sqs.ts).

export interface StepMessage {
  messageId: string;
  body: string;
  groupId?: string;
  deduplicationId?: string;
  sentAt: number;
  receiveCount: number;
  visibleAt: number;
  /** The last receive's, while the message is in flight. */
  receiptHandle?: string;
}

/** SQS drops a FIFO message whose deduplication id it accepted within this long. */
const DEDUPLICATION_WINDOW_MS = 5 * 60_000;

export class StepQueue {
  readonly arn: string;
  /** By message id, in sending order. */
  readonly #messages = new Map<string, StepMessage>();
  /** The message id of each message's last receipt handle (an earlier one is stale). */
  readonly #receipts = new Map<string, string>();
  /** When each FIFO deduplication id was last accepted. */
  readonly #deduplicated = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly fifo: boolean,
    readonly visibilitySeconds: number,
    private readonly now: () => number,
    readonly redrive?: { maxReceiveCount: number; deadLetter: StepQueue },
  ) {
    this.arn = `arn:aws:sqs:us-east-1:000000000000:${name}`;
  }

  /** Messages on the queue, visible or in flight. */
  get size(): number {
    return this.#messages.size;
  }

  bodies(): string[] {
    return [...this.#messages.values()].map((m) => m.body);
  }

  send(body: string, options: { groupId?: string; deduplicationId?: string } = {}): void {
    if (this.fifo && !options.groupId) throw new Error(`queue ${this.name}: a FIFO message needs a group id`);
    const now = this.now();
    const dedup = this.fifo ? options.deduplicationId : undefined;
    if (dedup !== undefined) {
      const at = this.#deduplicated.get(dedup);
      if (at !== undefined && now - at < DEDUPLICATION_WINDOW_MS) return;
      this.#deduplicated.set(dedup, now);
    }
    const messageId = randomUUID();
    this.#messages.set(messageId, {
      messageId,
      body,
      ...options,
      sentAt: now,
      receiveCount: 0,
      visibleAt: now,
    });
  }

  /** Up to `max` visible messages, now in flight; over-received ones move to the dead-letter queue. */
  receive(max: number): StepMessage[] {
    const now = this.now();
    const taken: StepMessage[] = [];
    const busyGroups = new Set<string>();
    for (const message of this.#messages.values()) {
      if (taken.length >= max) break;
      const group = message.groupId;
      if (message.visibleAt > now) {
        // FIFO order within a group: a later message waits behind an earlier one in flight.
        if (group !== undefined) busyGroups.add(group);
        continue;
      }
      if (group !== undefined && busyGroups.has(group)) continue;
      if (this.redrive && message.receiveCount >= this.redrive.maxReceiveCount) {
        this.#remove(message);
        const { receiptHandle: _, ...rest } = message;
        this.redrive.deadLetter.#messages.set(message.messageId, { ...rest, visibleAt: now });
        continue;
      }
      if (message.receiptHandle) this.#receipts.delete(message.receiptHandle);
      message.receiveCount++;
      message.receiptHandle = randomUUID();
      this.#receipts.set(message.receiptHandle, message.messageId);
      message.visibleAt = now + this.visibilitySeconds * 1000;
      if (group !== undefined) busyGroups.add(group);
      taken.push({ ...message });
    }
    return taken;
  }

  /** A stale receipt (the message came back since) is ignored, as SQS does. */
  delete(receiptHandle: string): void {
    const message = this.#inFlight(receiptHandle);
    if (message) this.#remove(message);
  }

  changeVisibility(receiptHandle: string, seconds: number): void {
    const message = this.#inFlight(receiptHandle);
    if (!message) throw new Error(`queue ${this.name}: receipt handle is not in flight`);
    message.visibleAt = this.now() + Math.max(0, seconds) * 1000;
  }

  #inFlight(receiptHandle: string): StepMessage | undefined {
    const id = this.#receipts.get(receiptHandle);
    const message = id === undefined ? undefined : this.#messages.get(id);
    return message?.receiptHandle === receiptHandle ? message : undefined;
  }

  #remove(message: StepMessage): void {
    this.#messages.delete(message.messageId);
    if (message.receiptHandle) this.#receipts.delete(message.receiptHandle);
  }
}

export interface StepQueuePair {
  queue: StepQueue;
  deadLetter: StepQueue;
}

/** The pipeline's queues and dead-letter queues as runtime/core/domain/pipeline-config.ts declares them. */
export class StepQueues implements PipelineQueues, RedeliveryControl {
  readonly queues: Record<QueueName, StepQueuePair>;

  constructor(now: () => number) {
    const pair = (spec: QueueSpec): StepQueuePair => {
      const timeout = visibilityTimeoutSeconds(spec);
      const deadLetter = new StepQueue(`local-${deadLetterSuffix(spec)}`, spec.fifo, timeout, now);
      const redrive = { maxReceiveCount: spec.maxReceiveCount, deadLetter };
      return { queue: new StepQueue(`local-${spec.suffix}`, spec.fifo, timeout, now, redrive), deadLetter };
    };
    const queues = {} as Record<QueueName, StepQueuePair>;
    for (const name of Object.keys(QUEUES) as QueueName[]) queues[name] = pair(QUEUES[name]);
    this.queues = queues;
  }

  async requestSync(request: SyncRequest): Promise<void> {
    this.queues.syncRequests.queue.send(JSON.stringify(request));
  }

  async requestVerify(request: VerifyRequest): Promise<void> {
    this.queues.verifyRequests.queue.send(JSON.stringify(request));
  }

  async sendUnits(units: ExtractUnit[], concurrency: number): Promise<void> {
    for (const unit of units) {
      this.queues.units.queue.send(JSON.stringify(unit), {
        groupId: unitGroupId(unit, concurrency),
        deduplicationId: unitDeduplicationId(unit),
      });
    }
  }

  async sendLoads(chunks: LoadChunk[], concurrency: number): Promise<void> {
    for (const chunk of chunks) {
      this.queues.loads.queue.send(JSON.stringify(chunk), {
        groupId: chunkGroupId(chunk, concurrency),
        deduplicationId: chunkDeduplicationId(chunk),
      });
    }
  }

  async sendDeactivationPass(pass: DeactivationPass, concurrency: number): Promise<void> {
    this.queues.units.queue.send(JSON.stringify(pass), {
      groupId: passGroupId(pass, concurrency),
      deduplicationId: passDeduplicationId(pass),
    });
  }

  async retryLater(queueArn: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    const all = Object.values(this.queues).flatMap(({ queue, deadLetter }) => [queue, deadLetter]);
    const queue = all.find((q) => q.arn === queueArn);
    if (!queue) throw new Error(`step queues: no queue with ARN ${queueArn}`);
    queue.changeVisibility(receiptHandle, delaySeconds);
  }

  /** Messages waiting or in flight on the queues (not their dead-letter queues). */
  get pending(): number {
    return Object.values(this.queues).reduce((sum, { queue }) => sum + queue.size, 0);
  }
}

/** The event Lambda builds from received messages. */
export function toEvent(messages: readonly StepMessage[], queueArn: string): SQSEvent {
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
          ApproximateFirstReceiveTimestamp: String(message.sentAt),
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
