/**
 * The pipeline's queues over SQS: the real implementation of PipelineQueues and RedeliveryControl.
 * The same code runs in AWS and in the local stack (pointed at the embedded fauxqs).
 */
import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { MAX_VISIBILITY_SECONDS, type QueueName } from "../../core/domain/pipeline-config.js";
import type {
  DeactivationPass,
  ExtractUnit,
  LoadChunk,
  SyncRequest,
  VerifyRequest,
} from "../../core/ports/messages.js";
import type { PipelineQueues, RedeliveryControl } from "../../core/ports/pipeline.js";

export type PipelineQueueUrls = Readonly<Record<QueueName, string>>;

/** SendMessageBatch takes at most 10 entries. */
export const SEND_BATCH_MAX_ENTRIES = 10;
/**
 * Payload bytes per SendMessageBatch. SQS allows 1 MiB today (256 KiB until 2025); we stay at the older
 * limit so a batch never fails on an account or emulator that still enforces it.
 */
export const SEND_BATCH_MAX_BYTES = 256 * 1024;
/** Sends of the entries SQS reports as failed for a reason on its side, before giving up. */
const SEND_ATTEMPTS = 3;
/** ChangeMessageVisibility's ceiling: 12 hours. */

/**
 * A unit's FIFO slot: a stable hash of its id, so a re-sent unit lands in the same message group.
 * FNV-1a: tiny, stable across processes, and spreads "0.1", "0.2"… evenly.
 */
export function unitSlot(unitId: string, concurrency: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < unitId.length; i++) {
    hash ^= unitId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % Math.max(1, concurrency);
}

/** `<tenantId>#<slot>`: SQS delivers one message per group at a time, so `concurrency` groups cap a tenant's units. */
export const unitGroupId = (unit: ExtractUnit, concurrency: number): string =>
  `${unit.tenantId}#${unitSlot(unit.unitId, concurrency)}`;

/** `<runId>:<unitId>`: a unit sent twice within SQS's 5-minute window is delivered once. */
export const unitDeduplicationId = (unit: ExtractUnit): string => `${unit.runId}:${unit.unitId}`;

/** The deactivation pass's group: a slot of the tenant's units, by the pass's name. */
export const passGroupId = (pass: DeactivationPass, concurrency: number): string =>
  `${pass.tenantId}#${unitSlot(pass.pass, concurrency)}`;

/** `<runId>:deactivation`: the pass asked for by several steps within 5 minutes is delivered once. */
export const passDeduplicationId = (pass: DeactivationPass): string => `${pass.runId}:${pass.pass}`;

/**
 * `<tenantId>#<slot>` for a load chunk: with `concurrency` slots, at most that many chunks of a tenant
 * are written at once across every Lambda container (each chunk writes one record at a time), and a
 * tenant's big first sync holds only its own groups, so other tenants' chunks keep flowing.
 */
export function chunkGroupId(chunk: LoadChunk, concurrency: number): string {
  // The run's chunks take the slots in turn by position (chunks are of about one size), so every slot
  // gets about as many records to write, and the run's last writes end together.
  const slot = chunk.position ?? unitSlot(chunk.chunkId, concurrency);
  return `${chunk.tenantId}#${slot % Math.max(1, concurrency)}`;
}

/** `<runId>:<chunkId>`: a chunk re-sent by a retried unit within 5 minutes is delivered once. */
export const chunkDeduplicationId = (chunk: LoadChunk): string => `${chunk.runId}:${chunk.chunkId}`;

export class SqsPipelineQueues implements PipelineQueues {
  constructor(
    private readonly client: SQSClient,
    private readonly urls: PipelineQueueUrls,
  ) {}

  async requestSync(request: SyncRequest): Promise<void> {
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.urls.syncRequests, MessageBody: JSON.stringify(request) }),
    );
  }

  async requestVerify(request: VerifyRequest): Promise<void> {
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.urls.verifyRequests, MessageBody: JSON.stringify(request) }),
    );
  }

  async sendUnits(units: ExtractUnit[], concurrency: number): Promise<void> {
    const entries = units.map((unit, i) => ({
      Id: String(i),
      MessageBody: JSON.stringify(unit),
      MessageGroupId: unitGroupId(unit, concurrency),
      MessageDeduplicationId: unitDeduplicationId(unit),
    }));
    await sendInBatches(this.client, this.urls.units, entries);
  }

  async sendLoads(chunks: LoadChunk[], concurrency: number): Promise<void> {
    const entries = chunks.map((chunk, i) => ({
      Id: String(i),
      MessageBody: JSON.stringify(chunk),
      MessageGroupId: chunkGroupId(chunk, concurrency),
      MessageDeduplicationId: chunkDeduplicationId(chunk),
    }));
    await sendInBatches(this.client, this.urls.loads, entries);
  }

  async sendDeactivationPass(pass: DeactivationPass, concurrency: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.urls.units,
        MessageBody: JSON.stringify(pass),
        MessageGroupId: passGroupId(pass, concurrency),
        MessageDeduplicationId: passDeduplicationId(pass),
      }),
    );
  }
}

/** Splits entries into batches within SQS's count and size limits and sends them one after another. */
export async function sendInBatches(
  client: SQSClient,
  queueUrl: string,
  entries: SendMessageBatchRequestEntry[],
): Promise<void> {
  for (const batch of batchesWithinLimits(entries)) await sendBatch(client, queueUrl, batch);
}

export function batchesWithinLimits(
  entries: SendMessageBatchRequestEntry[],
): SendMessageBatchRequestEntry[][] {
  const batches: SendMessageBatchRequestEntry[][] = [];
  let current: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.MessageBody ?? "");
    if (
      current.length === SEND_BATCH_MAX_ENTRIES ||
      (current.length > 0 && bytes + size > SEND_BATCH_MAX_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * SendMessageBatch answers 200 even when some entries failed. Entries that failed on SQS's side are
 * sent again; a sender fault (our message is wrong) cannot succeed on retry and is thrown at once.
 */
async function sendBatch(
  client: SQSClient,
  queueUrl: string,
  batch: SendMessageBatchRequestEntry[],
): Promise<void> {
  let pending = batch;
  for (let attempt = 1; ; attempt++) {
    const answer = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
    const failed = answer.Failed ?? [];
    if (failed.length === 0) return;
    const reasons = failed.map((f) => `${f.Id}: ${f.Code ?? "error"} ${f.Message ?? ""}`.trim()).join("; ");
    if (failed.some((f) => f.SenderFault) || attempt >= SEND_ATTEMPTS) {
      throw new Error(`SQS ${queueNameOf(queueUrl)}: ${failed.length} message(s) not sent (${reasons})`);
    }
    const failedIds = new Set(failed.map((f) => f.Id));
    pending = pending.filter((entry) => failedIds.has(entry.Id));
  }
}

/** Changes the visibility of a received message on the queue its event source ARN names. */
export class SqsRedeliveryControl implements RedeliveryControl {
  constructor(
    private readonly client: SQSClient,
    /** Queue URL of an ARN; defaults to AWS's URL scheme. The local stack passes its own. */
    private readonly queueUrlOf: (queueArn: string) => string = queueUrlFromArn,
  ) {}

  async retryLater(queueArn: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.round(delaySeconds)));
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrlOf(queueArn),
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }
}

/** `arn:aws:sqs:us-east-1:123456789012:name` → `https://sqs.us-east-1.amazonaws.com/123456789012/name`. */
export function queueUrlFromArn(queueArn: string): string {
  const match = /^arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]+)$/.exec(queueArn);
  if (!match) throw new Error(`not an SQS queue ARN: "${queueArn}"`);
  const [, region, account, name] = match;
  return `https://sqs.${region}.amazonaws.com/${account}/${name}`;
}

const queueNameOf = (queueUrl: string): string => queueUrl.slice(queueUrl.lastIndexOf("/") + 1);
