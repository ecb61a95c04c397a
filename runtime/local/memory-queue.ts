/**
 * An SQS queue in this process's memory, for `npm run sync` (and the steps' tests): the semantics
 * the pipeline relies on, without a network hop per message.
 *
 * - A received message is invisible for the visibility timeout, then comes back with its receive
 *   count raised, unless it is deleted or its visibility is changed (ChangeMessageVisibility).
 * - A message received more than `maxReceiveCount` times goes to the dead-letter queue instead.
 * - FIFO: one message of a message group in flight at a time, in order; a deduplication id seen in
 *   the last five minutes drops the send.
 */
import { randomUUID } from "node:crypto";

export interface MemoryQueueOptions {
  name: string;
  fifo: boolean;
  visibilityTimeoutSeconds: number;
  /** Receives before a message moves to `deadLetter` (none: it stays forever). */
  maxReceiveCount?: number;
  deadLetter?: MemoryQueue;
  /** The clock, in ms (tests move it). */
  now?: () => number;
}

export interface QueuedMessage {
  messageId: string;
  body: string;
  groupId?: string;
  deduplicationId?: string;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Set while the message is in flight. */
  receiptHandle?: string;
  visibleAt: number;
}

/** SQS keeps a FIFO deduplication id this long. */
export const DEDUPLICATION_WINDOW_MS = 5 * 60_000;

export class MemoryQueue {
  readonly arn: string;
  /** By message id, in sending order. */
  readonly #messages = new Map<string, QueuedMessage>();
  /** Message id of each receipt handle in flight. */
  readonly #receipts = new Map<string, string>();
  readonly #dedup = new Map<string, number>();
  readonly #listeners = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  readonly #now: () => number;

  constructor(readonly options: MemoryQueueOptions) {
    this.arn = `arn:aws:sqs:us-east-1:000000000000:${options.name}`;
    this.#now = options.now ?? Date.now;
  }

  get name(): string {
    return this.options.name;
  }

  /** Messages on the queue, visible or in flight. */
  get size(): number {
    return this.#messages.size;
  }

  /** Every message's body (tests: what reached a dead-letter queue). */
  bodies(): string[] {
    return [...this.#messages.values()].map((m) => m.body);
  }

  send(
    body: string,
    options: { groupId?: string; deduplicationId?: string; delaySeconds?: number } = {},
  ): void {
    const now = this.#now();
    if (this.options.fifo) {
      if (!options.groupId) throw new Error(`queue ${this.name}: a FIFO message needs a message group id`);
      const dedup = options.deduplicationId;
      if (dedup) {
        for (const [id, at] of this.#dedup) if (now - at >= DEDUPLICATION_WINDOW_MS) this.#dedup.delete(id);
        if (this.#dedup.has(dedup)) return;
        this.#dedup.set(dedup, now);
      }
    }
    const messageId = randomUUID();
    this.#messages.set(messageId, {
      messageId,
      body,
      ...(options.groupId ? { groupId: options.groupId } : {}),
      ...(options.deduplicationId ? { deduplicationId: options.deduplicationId } : {}),
      sentAt: now,
      receiveCount: 0,
      visibleAt: now + (options.delaySeconds ?? 0) * 1000,
    });
    if (options.delaySeconds) this.#wakeAt(now + options.delaySeconds * 1000);
    this.#notify();
  }

  /** Up to `max` visible messages, now in flight; over-received ones go to the dead-letter queue. */
  receive(max: number): QueuedMessage[] {
    const now = this.#now();
    const taken: QueuedMessage[] = [];
    const busyGroups = new Set<string>();
    for (const message of this.#messages.values()) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) {
        // FIFO order within a group: a later message waits behind an earlier invisible one.
        if (message.groupId) busyGroups.add(message.groupId);
        continue;
      }
      if (message.groupId && busyGroups.has(message.groupId)) continue;
      const limit = this.options.maxReceiveCount;
      if (limit !== undefined && message.receiveCount >= limit && this.options.deadLetter) {
        this.#forget(message);
        this.options.deadLetter.#moveIn(message);
        continue;
      }
      if (message.receiptHandle) this.#receipts.delete(message.receiptHandle);
      message.receiveCount++;
      message.firstReceivedAt ??= now;
      message.receiptHandle = randomUUID();
      this.#receipts.set(message.receiptHandle, message.messageId);
      message.visibleAt = now + this.options.visibilityTimeoutSeconds * 1000;
      if (message.groupId) busyGroups.add(message.groupId);
      taken.push({ ...message });
    }
    if (taken.length > 0) this.#wakeAt(now + this.options.visibilityTimeoutSeconds * 1000);
    return taken;
  }

  /** Deletes a message in flight; a stale receipt (the message came back since) is ignored, as SQS does. */
  delete(receiptHandle: string): void {
    const message = this.#inFlight(receiptHandle);
    if (message) {
      this.#forget(message);
      this.#notify(); // a consumer held back by this queue's size may go on
    }
  }

  changeVisibility(receiptHandle: string, seconds: number): void {
    const message = this.#inFlight(receiptHandle);
    if (!message) throw new Error(`queue ${this.name}: receipt handle is not in flight`);
    message.visibleAt = this.#now() + Math.max(0, seconds) * 1000;
    this.#wakeAt(message.visibleAt);
    if (seconds <= 0) this.#notify();
  }

  /** Calls `listener` whenever a message may have become receivable. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the visibility timer (the queue is dropped). */
  close(): void {
    clearTimeout(this.#timer);
    this.#listeners.clear();
  }

  #inFlight(receiptHandle: string): QueuedMessage | undefined {
    const id = this.#receipts.get(receiptHandle);
    return id === undefined ? undefined : this.#messages.get(id);
  }

  #forget(message: QueuedMessage): void {
    this.#messages.delete(message.messageId);
    if (message.receiptHandle) this.#receipts.delete(message.receiptHandle);
  }

  #moveIn(message: QueuedMessage): void {
    const { receiptHandle: _, ...rest } = message;
    this.#messages.set(message.messageId, { ...rest, visibleAt: this.#now() });
    this.#notify();
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Wakes the listeners at `time` (when a message becomes visible again), unless a wake comes sooner. */
  #wakeAt(time: number): void {
    if (time >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = time;
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, time - this.#now()));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#now();
    let next = Number.POSITIVE_INFINITY;
    for (const m of this.#messages.values()) if (m.visibleAt > now && m.visibleAt < next) next = m.visibleAt;
    if (next !== Number.POSITIVE_INFINITY) this.#wakeAt(next);
    this.#notify();
  }
}
