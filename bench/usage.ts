import type { SendMessageBatchRequestEntry } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { WORKERS, type WorkerName } from "../runtime/core/domain/pipeline-config.js";
import type { QueueHandler } from "../runtime/core/ports/dependencies.js";
import type { PipelineQueues, RedeliveryControl } from "../runtime/core/ports/pipeline.js";
import { batchesWithinLimits } from "../runtime/edges/aws/sqs.js";
import { HOURS_A_MONTH, PRICES, SQS_BILLED_CHUNK_BYTES } from "./prices.js";

/** What one run used of what AWS bills, as counted at the handlers and the queue port. */
export interface RunUsage {
  /** Per worker: invocations, and their wall time in ms, each rounded up to the ms as Lambda bills. */
  lambda: Record<WorkerName, { invocations: number; ms: number }>;
  /** SQS requests as billed: one per API call per started 64 KiB of its payload. */
  sqs: { standard: number; fifo: number };
  /** EventBridge Scheduler invocations: the schedule that starts the run. */
  schedulerInvocations: number;
  /** DynamoDB request units (bench/capacity.ts). */
  dynamodb: { read: number; write: number };
}

export interface UsageCounter {
  wrapHandler(worker: WorkerName, handler: QueueHandler): QueueHandler;
  wrapQueues(queues: PipelineQueues & RedeliveryControl): PipelineQueues & RedeliveryControl;
  /** What was counted since the last take, with the run's DynamoDB units; starts the next count. */
  take(dynamodb: RunUsage["dynamodb"]): RunUsage;
}

const billedChunks = (bytes: number) => Math.max(1, Math.ceil(bytes / SQS_BILLED_CHUNK_BYTES));
const fifoArn = (arn: string) => arn.endsWith(".fifo");

/**
 * Counts a run's Lambda invocations and durations, and its SQS requests, at seams that are the same in
 * AWS and locally: each worker's handler (Lambda's event source receives a batch, invokes, deletes
 * what succeeded) and the queue port the steps send through (sends as the SQS adapter batches them,
 * `retryLater` as one ChangeMessageVisibility). A handler's wall time in this process stands for its
 * Lambda duration: it includes waiting for Siesa, the product and DynamoDB, as in Lambda, and waiting
 * for the other handlers sharing this process's CPU, which Lambda would not bill.
 */
export function usageCounter(): UsageCounter {
  const fresh = () => ({
    lambda: Object.fromEntries(
      (Object.keys(WORKERS) as WorkerName[]).map((w) => [w, { invocations: 0, ms: 0 }]),
    ) as RunUsage["lambda"],
    sqs: { standard: 0, fifo: 0 },
  });
  let count = fresh();
  const sqs = (fifo: boolean, requests: number) => {
    count.sqs[fifo ? "fifo" : "standard"] += requests;
  };
  const sent = (fifo: boolean, bodies: unknown[]) => {
    const entries: SendMessageBatchRequestEntry[] = bodies.map((body, i) => ({
      Id: String(i),
      MessageBody: JSON.stringify(body),
    }));
    for (const batch of batchesWithinLimits(entries)) {
      sqs(fifo, billedChunks(batch.reduce((sum, e) => sum + Buffer.byteLength(e.MessageBody ?? ""), 0)));
    }
  };
  return {
    wrapHandler: (worker, handler) => async (event: SQSEvent, context) => {
      const started = performance.now();
      let response: SQSBatchResponse | undefined;
      try {
        response = await handler(event, context);
        return response;
      } finally {
        const usage = count.lambda[worker];
        usage.invocations += 1;
        usage.ms += Math.ceil(performance.now() - started);
        const fifo = fifoArn(event.Records[0]?.eventSourceARN ?? "");
        // The event source's ReceiveMessage that returned the batch, and its delete of what succeeded.
        sqs(fifo, billedChunks(event.Records.reduce((sum, r) => sum + Buffer.byteLength(r.body), 0)));
        const failed = response ? response.batchItemFailures.length : event.Records.length;
        if (failed < event.Records.length) sqs(fifo, 1);
      }
    },
    wrapQueues: (queues) => ({
      requestSync: async (request) => {
        sent(false, [request]);
        await queues.requestSync(request);
      },
      requestVerify: async (request) => {
        sent(false, [request]);
        await queues.requestVerify(request);
      },
      sendUnits: async (units, concurrency) => {
        sent(true, units);
        await queues.sendUnits(units, concurrency);
      },
      sendLoads: async (chunks, concurrency) => {
        sent(true, chunks);
        await queues.sendLoads(chunks, concurrency);
      },
      sendDeactivationPass: async (pass, concurrency) => {
        sent(true, [pass]);
        await queues.sendDeactivationPass(pass, concurrency);
      },
      retryLater: async (queueArn, receiptHandle, delaySeconds) => {
        sqs(fifoArn(queueArn), 1);
        await queues.retryLater(queueArn, receiptHandle, delaySeconds);
      },
    }),
    take: (dynamodb) => {
      // A scheduled run starts with one Scheduler invocation, which sends the sync request counted above.
      const usage: RunUsage = { ...count, schedulerInvocations: 1, dynamodb };
      count = fresh();
      return usage;
    },
  };
}

export interface RunCost {
  lambda: number;
  sqs: number;
  dynamodb: number;
  scheduler: number;
  total: number;
  /** Lambda GB-seconds at each function's declared memory (runtime/core/domain/pipeline-config.ts). */
  gbSeconds: number;
  lambdaRequests: number;
  sqsRequests: number;
}

/** Dollars of one run at PRICES. */
export function costOf(usage: RunUsage): RunCost {
  const perMillion = (n: number, price: number) => (n / 1e6) * price;
  let gbSeconds = 0;
  let lambdaRequests = 0;
  for (const [worker, { invocations, ms }] of Object.entries(usage.lambda)) {
    gbSeconds += (WORKERS[worker as WorkerName].memoryMb / 1024) * (ms / 1000);
    lambdaRequests += invocations;
  }
  const lambda =
    gbSeconds * PRICES.lambda.perGbSecond + perMillion(lambdaRequests, PRICES.lambda.perMillionRequests);
  const sqs =
    perMillion(usage.sqs.standard, PRICES.sqs.perMillionStandardRequests) +
    perMillion(usage.sqs.fifo, PRICES.sqs.perMillionFifoRequests);
  const dynamodb =
    perMillion(usage.dynamodb.read, PRICES.dynamodb.perMillionReadUnits) +
    perMillion(usage.dynamodb.write, PRICES.dynamodb.perMillionWriteUnits);
  const scheduler = perMillion(usage.schedulerInvocations, PRICES.scheduler.perMillionInvocations);
  return {
    lambda,
    sqs,
    dynamodb,
    scheduler,
    total: lambda + sqs + dynamodb + scheduler,
    gbSeconds,
    lambdaRequests,
    sqsRequests: usage.sqs.standard + usage.sqs.fifo,
  };
}

/** A tenant's month of runs like this one, one an hour. */
export const perTenantMonth = (cost: RunCost): number => cost.total * HOURS_A_MONTH;
