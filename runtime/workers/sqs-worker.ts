import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSRecord } from "aws-lambda";
import type { GenericSchema, InferOutput } from "valibot";
import {
  comeBackDelaySeconds,
  QUEUES,
  type QueueName,
  retryDelaySeconds,
} from "../core/domain/pipeline-config.js";
import { retryAfterOf } from "../core/ports/call-errors.js";
import { withDeadline } from "../core/ports/deadline.js";
import type { QueueHandler, WorkerDependencies } from "../core/ports/dependencies.js";
import { MessageFormatError, parseMessage } from "../core/ports/messages.js";

/** tenantId and runId of a parsed message, for its log lines. */
function idsOf(message: unknown): { tenantId?: string; runId?: string } {
  const { tenantId, runId } = message as { tenantId?: unknown; runId?: unknown };
  return {
    ...(typeof tenantId === "string" ? { tenantId } : {}),
    ...(typeof runId === "string" ? { runId } : {}),
  };
}

export interface MessageDelivery {
  messageId: string;
  sentAt: Date;
  receiveCount: number;
  /** The queue moves the message to its DLQ after this delivery if it fails again. */
  final: boolean;
  /** When the invocation will be stopped (epoch ms), if it will: no new work is started close to it. */
  deadline?: number;
}

export interface WorkerDefinition<S extends GenericSchema> {
  queue: QueueName;
  schema: S;
  handle(message: InferOutput<S>, delivery: MessageDelivery): Promise<void>;
  /** The latest (epoch ms) a failed message may come back, if its run sets one (pipeline/run-end.ts). */
  returnBy?(message: InferOutput<S>): Promise<number | undefined>;
}

/**
 * An SQS-fed Lambda handler: parses every message with its schema, handles each (Powertools batch
 * reports the failed ones as `batchItemFailures`, so only those come back), and asks SQS to deliver a
 * failed message again after a doubling backoff (or the delay a throttling API asked for) instead of
 * the whole visibility timeout. Never later than the message's run allows (`returnBy`): a message put
 * off past its run's end would hold back its FIFO group, the next run's messages too.
 */
export function sqsWorker<S extends GenericSchema>(
  deps: Pick<WorkerDependencies, "log" | "metrics" | "redelivery" | "retryBaseSeconds" | "now">,
  definition: WorkerDefinition<S>,
): QueueHandler {
  const spec = QUEUES[definition.queue];
  return async (event, context) => {
    const deadline = context ? Date.now() + context.getRemainingTimeInMillis() : undefined;
    const parsed = new Map<string, InferOutput<S> | MessageFormatError>();
    for (const record of event.Records) {
      try {
        parsed.set(record.messageId, parseMessage(definition.schema, record.body, spec.suffix));
      } catch (error) {
        parsed.set(record.messageId, error as MessageFormatError);
      }
    }

    const handleRecord = async (record: SQSRecord) => {
      const message = parsed.get(record.messageId);
      const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? 1);
      const delivery: MessageDelivery = {
        messageId: record.messageId,
        sentAt: new Date(Number(record.attributes.SentTimestamp ?? Date.now())),
        receiveCount,
        final: receiveCount >= spec.maxReceiveCount,
        ...(deadline !== undefined ? { deadline } : {}),
      };
      try {
        // A malformed message never gets better: it fails each delivery and ends in the DLQ.
        if (message instanceof MessageFormatError || message === undefined) throw message;
        // The policy reads the deadline too: it never waits for a Retry-After past it.
        await withDeadline(deadline, () => definition.handle(message, delivery));
      } catch (error) {
        const valid = message instanceof MessageFormatError || message === undefined ? undefined : message;
        const ids = valid === undefined ? {} : idsOf(valid);
        deps.log.error("message failed", {
          ...ids,
          queue: spec.suffix,
          messageId: record.messageId,
          receiveCount,
          error: error instanceof Error ? error.message : String(error),
        });
        if (!delivery.final) {
          // An API that asked to be left alone for a while (a 429 longer than this invocation could
          // wait) gets that while; anything else the doubling backoff.
          const comeBackMs = retryAfterOf(error);
          const wanted =
            comeBackMs !== undefined
              ? comeBackDelaySeconds(comeBackMs)
              : retryDelaySeconds(receiveCount, deps.retryBaseSeconds);
          // Never after its run allows: the step already gave up a wait that would not fit, and our
          // own backoff is shortened to fit.
          const by =
            valid === undefined ? undefined : await definition.returnBy?.(valid).catch(() => undefined);
          const delay =
            by === undefined
              ? wanted
              : Math.min(wanted, Math.max(0, Math.floor((by - deps.now().getTime()) / 1000)));
          await deps.redelivery
            .retryLater(record.eventSourceARN, record.receiptHandle, delay)
            .catch(() => {});
        }
        throw error;
      }
    };

    const response = await processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
      throwOnFullBatchFailure: false,
    });
    deps.metrics.flush();
    return response;
  };
}
