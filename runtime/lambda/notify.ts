import { awsNotifyDependencies } from "../wiring/aws-notify-dependencies.js";
import { createNotifyHandler } from "../workers/notify-worker.js";

/** Lambda entry of the notify worker (the notifications queue's event source mapping, ReportBatchItemFailures). */
export const handler = createNotifyHandler(awsNotifyDependencies());
