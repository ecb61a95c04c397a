/**
 * The shape of the pipeline, declared once: the Pulumi program creates these queues and functions
 * from it, and the local stack (`npm start`) creates the same queues in fauxqs and feeds them to the
 * same handlers with the same batch sizes, visibility timeouts and redrive counts.
 *
 *   sync-requests ─► dispatch ─► units (FIFO) ─► extract ─► loads ─► load ─► product API
 *   verify-requests ─► verify ─► product API (read back; with repair, a sync request)
 *   notifications ─► notify ─► a tenant's email topic and webhook (raised where runs end, and by the sweeper)
 */

export type WorkerName = "dispatch" | "extract" | "load" | "settle" | "verify" | "notify";
export type QueueName = "syncRequests" | "units" | "loads" | "verifyRequests" | "notifications";

export interface WorkerSpec {
  /** Lambda entry file, relative to the repository root; it exports `handler`. */
  entry: string;
  timeoutSeconds: number;
  memoryMb: number;
}

export interface QueueSpec {
  /** Name suffix: the full name is `siesa-integration-<stack>-<suffix>` (and `-dlq` for its DLQ). */
  suffix: string;
  /**
   * units is FIFO so that a tenant's units run at most `sync.concurrency` at a time: each unit's
   * MessageGroupId is `<tenantId>#<slot>` with `concurrency` slots, and SQS delivers one message
   * per group at a time. Its deduplication id (`<runId>:<unitId>`) also drops re-sent units.
   */
  fifo: boolean;
  consumer: WorkerName;
  /** Deliveries before SQS moves a message to the queue's dead-letter queue. */
  maxReceiveCount: number;
  /** Event source mapping: messages per invocation, batching window, and concurrent invocations. */
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  maximumConcurrency: number;
  /**
   * Its dead letters stay in the dead-letter queue for an operator (alarmed, redriven by hand) instead
   * of being settled: no run waits on them.
   */
  keepDeadLetters?: true;
}

export const WORKERS: Readonly<Record<WorkerName, WorkerSpec>> = {
  dispatch: { entry: "runtime/lambda/dispatch.ts", timeoutSeconds: 30, memoryMb: 256 },
  extract: { entry: "runtime/lambda/extract.ts", timeoutSeconds: 120, memoryMb: 512 },
  // A chunk of 25 writes against a slow product (or one that asks to wait) needs minutes, not seconds;
  // the worker starts no write in its last 15 s (load-chunk.ts), so none is cut off mid-way.
  load: { entry: "runtime/lambda/load.ts", timeoutSeconds: 300, memoryMb: 256 },
  // The dead-letter queues' consumer and, on its own schedule, the sweeper (runtime/core/steps/settle.ts).
  settle: { entry: "runtime/lambda/settle.ts", timeoutSeconds: 60, memoryMb: 256 },
  // POST /tenants/:id/verify's run: reads every record of the product back, holding the whole ledger
  // of the tenant to compare; Lambda's longest timeout, and it stops reading while it can still end
  // its run and give the lease back (runtime/core/verify/verify-run.ts).
  verify: { entry: "runtime/lambda/verify.ts", timeoutSeconds: 900, memoryMb: 512 },
  // Delivers notifications: one email publish and one webhook POST (its own 10 s timeout) per message.
  notify: { entry: "runtime/lambda/notify.ts", timeoutSeconds: 30, memoryMb: 256 },
};

/** How the dead-letter queues feed `settle`: small batches, few at a time (they are rare). */
export const DEAD_LETTER_MAPPING: Pick<
  QueueSpec,
  "batchSize" | "maximumBatchingWindowSeconds" | "maximumConcurrency"
> = {
  batchSize: 10,
  maximumBatchingWindowSeconds: 0,
  maximumConcurrency: 2,
};

/** How often the sweeper runs (an EventBridge Scheduler schedule in AWS, a timer in `npm start`). */
export const SWEEP_EVERY_MINUTES = 5;

export const API_FUNCTION: WorkerSpec = { entry: "runtime/lambda/api.ts", timeoutSeconds: 15, memoryMb: 256 };

export const QUEUES: Readonly<Record<QueueName, QueueSpec>> = {
  syncRequests: {
    suffix: "sync-requests",
    fifo: false,
    consumer: "dispatch",
    maxReceiveCount: 5,
    batchSize: 1,
    maximumBatchingWindowSeconds: 0,
    maximumConcurrency: 2,
  },
  units: {
    suffix: "units.fifo",
    fifo: true,
    consumer: "extract",
    maxReceiveCount: 3,
    batchSize: 1,
    maximumBatchingWindowSeconds: 0,
    maximumConcurrency: 20,
  },
  loads: {
    suffix: "loads.fifo",
    // FIFO for the same reason as units: `<tenantId>#<slot>` groups cap a tenant's chunks in flight at
    // `sync.concurrency` across every container, and one tenant's backlog cannot hold back another's.
    fifo: true,
    consumer: "load",
    maxReceiveCount: 3,
    // One chunk (up to LOAD_CHUNK_RECORDS records of one unit) per invocation: its outcomes are one operation.
    batchSize: 1,
    maximumBatchingWindowSeconds: 0,
    maximumConcurrency: 20,
  },
  verifyRequests: {
    suffix: "verify-requests",
    fifo: false,
    consumer: "verify",
    // A verify that failed on its own is ended by its worker; one whose worker died is read once more,
    // then ended by settle from the dead-letter queue.
    maxReceiveCount: 2,
    batchSize: 1,
    maximumBatchingWindowSeconds: 0,
    maximumConcurrency: 2,
  },
  notifications: {
    suffix: "notifications",
    // Once per event is kept by the notify worker's delivery marks (weeks), not by FIFO deduplication
    // (five minutes): a standard queue, so one tenant's failing webhook holds back nobody else's.
    fifo: false,
    consumer: "notify",
    // A webhook that keeps failing is tried again with a doubling backoff (retryDelaySeconds) for
    // about three quarters of an hour in AWS before its message is dead-lettered.
    maxReceiveCount: 8,
    batchSize: 5,
    maximumBatchingWindowSeconds: 0,
    maximumConcurrency: 2,
    keepDeadLetters: true,
  },
};

/**
 * The most a tenant's `sync.concurrency` may ask for: its units and chunks run in that many FIFO
 * groups, but the units and loads mappings invoke at most this many workers at once for all tenants.
 */
export const MAX_TENANT_CONCURRENCY = Math.min(
  QUEUES.units.maximumConcurrency,
  QUEUES.loads.maximumConcurrency,
);

/** The queues whose dead letters settle consumes (every one but those that keep them). */
export const SETTLED_QUEUES: readonly QueueName[] = (Object.keys(QUEUES) as QueueName[]).filter(
  (queue) => !QUEUES[queue].keepDeadLetters,
);

/** AWS's advice for a queue feeding Lambda: visibility at least 6× the function's timeout. */
export const visibilityTimeoutSeconds = (queue: QueueSpec): number =>
  6 * WORKERS[queue.consumer].timeoutSeconds;

/** The DLQ of a FIFO queue must be FIFO too. */
export const deadLetterSuffix = (queue: QueueSpec): string =>
  queue.fifo ? `${queue.suffix.replace(/\.fifo$/, "")}-dlq.fifo` : `${queue.suffix}-dlq`;

/** How long a failed message waits before its next delivery: doubling per receive, capped. */
export const retryDelaySeconds = (receiveCount: number, baseSeconds: number): number =>
  Math.min(900, baseSeconds * 2 ** Math.max(0, receiveCount - 1));

/** SQS's longest visibility timeout (12 h): the furthest a received message can be put off. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** How long a message waits when an API asked to be left alone `retryAfterMs`: that, up to 12 h. */
export const comeBackDelaySeconds = (retryAfterMs: number): number =>
  Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(retryAfterMs / 1000)));
