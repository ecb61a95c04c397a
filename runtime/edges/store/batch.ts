import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";

/**
 * Helpers for DynamoDB's batch operations: split into the API's maximum batch sizes, run a few batches
 * at a time, and resend what DynamoDB left unprocessed (it does so under throttling, not as an error).
 */

/** DynamoDB's limits: BatchGetItem takes 100 keys, BatchWriteItem 25 requests. */
export const BATCH_GET_MAX = 100;
export const BATCH_WRITE_MAX = 25;
/** Batches in flight at once per call: enough to hide latency without a burst of throttling. */
export const BATCH_PARALLELISM = 8;

export interface ResendOptions {
  /** Sends (including the first one) before giving up. */
  maxAttempts?: number;
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends `request`, then keeps resending whatever `send` reports as left over (UnprocessedKeys or
 * UnprocessedItems) with jittered exponential backoff, as AWS advises. Throws, naming `what`, when
 * something is still left after `maxAttempts` sends.
 */
export async function sendUntilProcessed<R>(
  request: R,
  send: (request: R) => Promise<R | undefined>,
  what: string,
  { maxAttempts = 10, baseDelayMs = 50, sleep = realSleep }: ResendOptions = {},
): Promise<void> {
  let pending: R | undefined = request;
  for (let attempt = 1; pending !== undefined; attempt++) {
    if (attempt > maxAttempts) {
      throw new Error(`${what}: DynamoDB left part of the batch unprocessed after ${maxAttempts} attempts`);
    }
    if (attempt > 1) {
      const ceiling = Math.min(2_000, baseDelayMs * 2 ** (attempt - 2));
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
    pending = await send(pending);
  }
}

/** One BatchWriteItem's requests of `table` (at most BATCH_WRITE_MAX), resent until all are processed. */
export function writeUntilProcessed(
  doc: DynamoDBDocumentClient,
  table: string,
  requests: NonNullable<BatchWriteCommandInput["RequestItems"]>[string],
  what: string,
): Promise<void> {
  return sendUntilProcessed<NonNullable<BatchWriteCommandInput["RequestItems"]>>(
    { [table]: requests },
    async (RequestItems) => {
      const answer = await doc.send(new BatchWriteCommand({ RequestItems }));
      return answer.UnprocessedItems?.[table]?.length ? answer.UnprocessedItems : undefined;
    },
    what,
  );
}
