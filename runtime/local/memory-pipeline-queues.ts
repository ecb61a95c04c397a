import {
  chunkDeduplicationId,
  chunkGroupId,
  passDeduplicationId,
  passGroupId,
  unitDeduplicationId,
  unitGroupId,
} from "../aws/sqs.js";
import {
  deadLetterSuffix,
  QUEUES,
  type QueueName,
  type QueueSpec,
  visibilityTimeoutSeconds,
} from "../pipeline/config.js";
import type {
  DeactivationPass,
  ExtractUnit,
  LoadChunk,
  SyncRequest,
  VerifyRequest,
} from "../pipeline/messages.js";
import type { PipelineQueues, RedeliveryControl } from "../pipeline/ports.js";
import { MemoryQueue } from "./memory-queue.js";

export interface MemoryQueuePair {
  queue: MemoryQueue;
  deadLetter: MemoryQueue;
}

/**
 * The pipeline's queues and their dead-letter queues in this process, created as the
 * infrastructure declares them (runtime/pipeline/config.ts): FIFO-ness, visibility, redrive count.
 */
export class MemoryPipelineQueues implements PipelineQueues, RedeliveryControl {
  readonly queues: Record<QueueName, MemoryQueuePair>;
  readonly #byArn = new Map<string, MemoryQueue>();

  constructor(
    options: { timeScale?: number; specs?: Readonly<Record<QueueName, QueueSpec>>; now?: () => number } = {},
  ) {
    const specs = options.specs ?? QUEUES;
    const scale = options.timeScale ?? 1;
    const clock = options.now ? { now: options.now } : {};
    const pair = (spec: QueueSpec): MemoryQueuePair => {
      const deadLetter = new MemoryQueue({
        name: `local-${deadLetterSuffix(spec)}`,
        fifo: spec.fifo,
        visibilityTimeoutSeconds: visibilityTimeoutSeconds(spec) * scale,
        ...clock,
      });
      const queue = new MemoryQueue({
        name: `local-${spec.suffix}`,
        fifo: spec.fifo,
        visibilityTimeoutSeconds: visibilityTimeoutSeconds(spec) * scale,
        maxReceiveCount: spec.maxReceiveCount,
        deadLetter,
        ...clock,
      });
      this.#byArn.set(queue.arn, queue);
      this.#byArn.set(deadLetter.arn, deadLetter);
      return { queue, deadLetter };
    };
    const queues = {} as Record<QueueName, MemoryQueuePair>;
    for (const name of Object.keys(specs) as QueueName[]) queues[name] = pair(specs[name]);
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
      this.queues.pages.queue.send(JSON.stringify(unit), {
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
    this.queues.pages.queue.send(JSON.stringify(pass), {
      groupId: passGroupId(pass, concurrency),
      deduplicationId: passDeduplicationId(pass),
    });
  }

  async retryLater(queueArn: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    const queue = this.#byArn.get(queueArn);
    if (!queue) throw new Error(`in-process queues: no queue with ARN ${queueArn}`);
    queue.changeVisibility(receiptHandle, delaySeconds);
  }

  /** Messages waiting or in flight on the queues (not their dead-letter queues). */
  get pending(): number {
    return Object.values(this.queues).reduce((sum, { queue }) => sum + queue.size, 0);
  }

  close(): void {
    for (const queue of this.#byArn.values()) queue.close();
  }
}
