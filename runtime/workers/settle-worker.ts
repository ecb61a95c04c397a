import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSRecord } from "aws-lambda";
import { deadLetterSuffix, QUEUES, type QueueName } from "../core/domain/pipeline-config.js";
import { DIMENSIONS, METRICS } from "../core/observability/metric-names.js";
import type { QueueHandler } from "../core/ports/dependencies.js";
import {
  ExtractMessageSchema,
  LoadChunkSchema,
  parseMessage,
  SyncRequestSchema,
  VerifyRequestSchema,
} from "../core/ports/messages.js";
import type { PipelineContext } from "../core/steps/context.js";
import { settleDeactivationPass } from "../core/steps/deactivate.js";
import { settleChunk, settleRequest, settleUnit } from "../core/steps/settle.js";
import { settleVerify } from "../core/verify/verify-run.js";

/** Which pipeline queue a dead-letter queue's ARN belongs to. */
export function queueOfDeadLetter(queueArn: string): QueueName | undefined {
  const name = queueArn.slice(queueArn.lastIndexOf(":") + 1);
  return (Object.keys(QUEUES) as QueueName[]).find((queue) => name.endsWith(deadLetterSuffix(QUEUES[queue])));
}

/**
 * The consumer of the dead-letter queues: counts what a message's last delivery left
 * uncounted (see settle.ts), so every run finishes. A message it cannot read is logged and dropped:
 * it could never be counted, and keeping it would only deliver it again.
 */
export function settleWorker(ctx: PipelineContext): QueueHandler {
  const handleRecord = async (record: SQSRecord) => {
    const queue = queueOfDeadLetter(record.eventSourceARN);
    const where = { queueArn: record.eventSourceARN, messageId: record.messageId };
    try {
      if (queue === "units") {
        const message = parseMessage(ExtractMessageSchema, record.body, "units DLQ");
        return await ("pass" in message ? settleDeactivationPass(ctx, message) : settleUnit(ctx, message));
      }
      if (queue === "loads")
        return await settleChunk(ctx, parseMessage(LoadChunkSchema, record.body, "loads DLQ"));
      if (queue === "syncRequests") {
        const request = parseMessage(SyncRequestSchema, record.body, "sync-requests DLQ");
        const sentAt = new Date(Number(record.attributes.SentTimestamp ?? Date.now()));
        return await settleRequest(ctx, request, { messageId: record.messageId, sentAt });
      }
      if (queue === "verifyRequests")
        return await settleVerify(ctx, parseMessage(VerifyRequestSchema, record.body, "verify-requests DLQ"));
      ctx.log.error("dead-lettered message from an unknown queue dropped", where);
    } catch (error) {
      if (error instanceof Error && error.name === "MessageFormatError") {
        ctx.log.error("unreadable dead-lettered message dropped", { ...where, error: error.message });
        return;
      }
      throw error;
    } finally {
      ctx.metrics.count(METRICS.deadLettered, 1, { [DIMENSIONS.queue]: queue ?? "unknown" });
    }
  };
  return async (event) => {
    // One message at a time (dead letters are few): two dead copies of one chunk (a re-send after
    // FIFO's deduplication window) are settled one after the other, and the second finds it counted.
    const response = await processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
      throwOnFullBatchFailure: false,
      processInParallel: false,
    });
    ctx.metrics.flush();
    return response;
  };
}
