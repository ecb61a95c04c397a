import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  DEAD_LETTER_MAPPING,
  deadLetterSuffix,
  QUEUES,
  type QueueName,
  type QueueSpec,
  SETTLED_QUEUES,
  visibilityTimeoutSeconds,
  WORKERS,
  type WorkerName,
} from "../runtime/core/domain/pipeline-config.js";
import { ENV, QUEUE_URL_ENV } from "../runtime/core/domain/resource-names.js";
import { METRIC_NAMESPACE } from "../runtime/core/observability/metric-names.js";
import {
  type AccessResources,
  type FunctionName,
  notifyTopicArnPrefix,
  tenantSecretArnPattern,
} from "./access.js";
import { STACK_TAG, type StackContext, TENANT_TAG, tablePrefix } from "./context.js";
import { ServiceFunction } from "./function.js";
import { tenantSchedulesArnPattern } from "./scheduling.js";
import type { Storage } from "./storage.js";

/** Base of the retry backoff of failed messages (runtime/core/domain/pipeline-config.ts retryDelaySeconds). */
export const RETRY_BASE_SECONDS = 30;
const DAY_SECONDS = 24 * 60 * 60;

export interface QueuePair {
  queue: aws.sqs.Queue;
  deadLetter: aws.sqs.Queue;
}

/** Lambda code of a function: its bundle in a real run, a stand-in under mocks. */
export type CodeSource = (fn: FunctionName) => pulumi.asset.Archive;

/**
 * sync-requests → dispatch → pages → extract → loads → load, as runtime/core/domain/pipeline-config.ts declares
 * it: each queue with its dead-letter queue and redrive count, visibility 6× its consumer's timeout,
 * SQS-managed encryption; one function per worker; one event source mapping per queue with the
 * batch size, batching window and maximum concurrency the runtime expects, reporting partial batch
 * failures so one bad message does not redeliver its whole batch.
 */
export class Pipeline extends pulumi.ComponentResource {
  readonly queues: Readonly<Record<QueueName, QueuePair>>;
  readonly workers: Readonly<Record<WorkerName, ServiceFunction>>;
  /** The environment every function (workers and API) reads its wiring from (ENV in runtime/core/domain/resource-names.ts). */
  readonly environment: Readonly<Record<string, pulumi.Input<string>>>;

  constructor(
    name: string,
    args: {
      storage: Storage;
      code: CodeSource;
      /** The API's URL, for the console links of notify's messages (the API is created after the pipeline). */
      apiUrl: pulumi.Input<string>;
    },
    context: StackContext,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("siesa-integration:infra:Pipeline", name, {}, opts);
    const { settings } = context;

    const queues = {} as Record<QueueName, QueuePair>;
    for (const [key, spec] of entries(QUEUES)) queues[key] = this.queuePair(`${name}/${key}`, spec, context);
    this.queues = queues;

    this.environment = {
      [ENV.stack]: settings.stack,
      [ENV.tablePrefix]: tablePrefix(settings.stack),
      ...Object.fromEntries(entries(queues).map(([key, pair]) => [QUEUE_URL_ENV[key], pair.queue.url])),
      [ENV.retryBaseSeconds]: String(RETRY_BASE_SECONDS),
      // Read by runtime/core/observability/logger.ts and Powertools Metrics.
      SIESA_INTEGRATION_ENV: settings.environment,
      POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
    };

    const workers = {} as Record<WorkerName, ServiceFunction>;
    for (const [worker, spec] of entries(WORKERS)) {
      workers[worker] = new ServiceFunction(
        `${name}/${worker}`,
        {
          fn: worker,
          spec,
          code: args.code(worker),
          environment:
            worker === "notify"
              ? {
                  ...this.environment,
                  [ENV.apiUrl]: args.apiUrl,
                  [ENV.notifyTopicArnPrefix]: notifyTopicArnPrefix(
                    settings.region,
                    settings.accountId,
                    settings.stack,
                  ),
                }
              : this.environment,
          access: accessResources(context, args.storage, queues),
        },
        context,
        { parent: this },
      );
    }
    this.workers = workers;

    for (const [key, spec] of entries(QUEUES)) {
      const consumer = workers[spec.consumer];
      new aws.lambda.EventSourceMapping(
        `${name}/${key}-to-${spec.consumer}`,
        {
          eventSourceArn: queues[key].queue.arn,
          functionName: consumer.function.arn,
          batchSize: spec.batchSize,
          // FIFO queues take no batching window.
          ...(spec.maximumBatchingWindowSeconds > 0
            ? { maximumBatchingWindowInSeconds: spec.maximumBatchingWindowSeconds }
            : {}),
          functionResponseTypes: ["ReportBatchItemFailures"],
          scalingConfig: { maximumConcurrency: spec.maximumConcurrency },
          tags: context.tags({ queue: key }),
        },
        { parent: this },
      );
    }

    // What lands in a dead-letter queue is counted by settle, so every run finishes; undeliverable
    // notifications stay in theirs for an operator (alarmed).
    for (const key of SETTLED_QUEUES) {
      new aws.lambda.EventSourceMapping(
        `${name}/${key}-dlq-to-settle`,
        {
          eventSourceArn: queues[key].deadLetter.arn,
          functionName: workers.settle.function.arn,
          batchSize: DEAD_LETTER_MAPPING.batchSize,
          functionResponseTypes: ["ReportBatchItemFailures"],
          scalingConfig: { maximumConcurrency: DEAD_LETTER_MAPPING.maximumConcurrency },
          tags: context.tags({ queue: `${key}-dlq` }),
        },
        { parent: this },
      );
    }

    this.registerOutputs({});
  }

  private queuePair(name: string, spec: QueueSpec, context: StackContext): QueuePair {
    const fifo = spec.fifo ? { fifoQueue: true, contentBasedDeduplication: false } : {};
    const deadLetter = new aws.sqs.Queue(
      `${name}/dlq`,
      {
        name: context.name(deadLetterSuffix(spec)),
        ...fifo,
        // settle consumes it (it counts what its messages left uncounted): 6× settle's timeout, as for the
        // others (the notifications' is read by an operator).
        visibilityTimeoutSeconds: 6 * WORKERS.settle.timeoutSeconds,
        // The longest SQS allows: time to look at what failed and redrive it.
        messageRetentionSeconds: 14 * DAY_SECONDS,
        sqsManagedSseEnabled: true,
        tags: context.tags({ queue: spec.suffix, role: "dead-letter" }),
      },
      { parent: this },
    );
    const queue = new aws.sqs.Queue(
      name,
      {
        name: context.name(spec.suffix),
        ...fifo,
        visibilityTimeoutSeconds: visibilityTimeoutSeconds(spec),
        messageRetentionSeconds: 4 * DAY_SECONDS,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: deadLetter.arn,
          maxReceiveCount: spec.maxReceiveCount,
        }),
        sqsManagedSseEnabled: true,
        tags: context.tags({ queue: spec.suffix }),
      },
      { parent: this },
    );
    return { queue, deadLetter };
  }
}

/** The ARNs a function's role may name, except its log group (ServiceFunction adds it) and the API's extras. */
export function accessResources(
  context: StackContext,
  storage: Storage,
  queues: Readonly<Record<QueueName, QueuePair>>,
): Omit<AccessResources, "logStreamsArn"> {
  const { settings } = context;
  return {
    stack: settings.stack,
    tableArn: (kind) => storage.tables[kind].arn,
    indexArns: (kind) => storage.indexArnsOf(kind),
    queueArn: (queue) => queues[queue].queue.arn,
    deadLetterArn: (queue) => queues[queue].deadLetter.arn,
    tenantSecretArnPattern: (system) => tenantSecretArnPattern(settings.region, settings.accountId, system),
    notifyTopicArnPattern: `${notifyTopicArnPrefix(settings.region, settings.accountId, settings.stack)}*`,
    schedulesArnPattern: tenantSchedulesArnPattern(context),
    stackTagKey: STACK_TAG,
    tenantTagKey: TENANT_TAG,
  };
}

const entries = <K extends string, V>(record: Readonly<Record<K, V>>) => Object.entries(record) as [K, V][];
