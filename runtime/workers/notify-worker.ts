import type { QueueHandler } from "../core/ports/dependencies.js";
import { NotificationEventSchema, type NotifyDependencies } from "../core/ports/notifier.js";
import { deliverNotification } from "../core/steps/deliver-notification.js";
import { sqsWorker } from "./sqs-worker.js";

/**
 * The notify worker: delivers each event of the notifications queue to its tenant's email topic and
 * webhook. A failed delivery comes back with sqsWorker's doubling backoff until the queue's
 * maxReceiveCount, then stays in the dead-letter queue for an operator (alarmed).
 */
export function createNotifyHandler(deps: NotifyDependencies): QueueHandler {
  return sqsWorker(deps, {
    queue: "notifications",
    schema: NotificationEventSchema,
    handle: (event, delivery) => deliverNotification(deps, event, delivery),
  });
}

/** The notify handler where nothing can deliver: every message fails (and so is kept by SQS). */
export const undeliverable: QueueHandler = async (event) => ({
  batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
});
