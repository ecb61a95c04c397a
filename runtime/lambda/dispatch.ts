import { awsWorkerDependencies } from "../wiring/aws-worker-dependencies.js";
import { createWorkerHandlers } from "../workers/index.js";

/** Lambda entry of the dispatch worker (SQS event source mapping, ReportBatchItemFailures). */
export const handler = createWorkerHandlers(awsWorkerDependencies()).dispatch;
