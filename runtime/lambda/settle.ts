import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { awsSettleDependencies } from "../wiring/aws-worker-dependencies.js";
import { createSweeper, createWorkerHandlers } from "../workers/index.js";

const deps = awsSettleDependencies();
const settle = createWorkerHandlers(deps).settle;
const sweep = createSweeper(deps);

/**
 * Lambda entry of the settle function: the dead-letter queues' event source mappings call it with
 * their messages; its EventBridge Scheduler schedule calls it with `{"sweep":true}`.
 */
export const handler = async (
  event: SQSEvent | { sweep: true },
): Promise<SQSBatchResponse | { expired: number; finalised: number }> =>
  "Records" in event ? settle(event) : sweep();
