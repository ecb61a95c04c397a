/**
 * The local SQS: fauxqs (an SQS emulator) serving on a loopback port, reached by the ordinary SDK
 * client as AWS's SQS is, with the pipeline's queues created exactly as the infrastructure declares
 * them (runtime/core/domain/pipeline-config.ts): same names, FIFO-ness, visibility timeouts, dead-letter queues
 * and redrive counts. `npm start`, `npm run sync` and the tests that need a queue all use it.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { buildApp } from "fauxqs";
import {
  deadLetterSuffix,
  QUEUES,
  type QueueName,
  type QueueSpec,
  visibilityTimeoutSeconds,
} from "../../core/domain/pipeline-config.js";
import { resourceName } from "../../core/domain/resource-names.js";
import { withoutSdkLogger } from "../../core/observability/sdk-logger.js";

export interface LocalQueue {
  name: string;
  url: string;
  arn: string;
  /** As created: after `timeScale`. */
  visibilityTimeoutSeconds: number;
  deadLetter: { name: string; url: string; arn: string };
}

export interface LocalSqs<Q extends string = QueueName> {
  /** e.g. http://127.0.0.1:40123 */
  endpoint: string;
  region: string;
  client: SQSClient;
  queues: Record<Q, LocalQueue>;
  /** The URL of a queue (or dead-letter queue) by its ARN, for ChangeMessageVisibility. */
  queueUrlOf(queueArn: string): string;
  close(): Promise<void>;
}

export interface LocalSqsOptions<Q extends string> {
  /** Default: the pipeline's QUEUES. Tests pass toy specs. */
  queues?: Readonly<Record<Q, QueueSpec>>;
  /** Visibility timeouts: the worker-derived value unless given per queue (tests). */
  visibilityTimeoutSeconds?: (spec: QueueSpec) => number;
  /**
   * Multiplies visibility timeouts (1 for `npm start`): a test below 1 sees a failed message again
   * sooner. SQS counts whole seconds, so the result is rounded, and never below 1 s.
   */
  timeScale?: number;
  /** Name prefix stack: `siesa-integration-<stack>-<suffix>`. Default `local`. */
  stack?: string;
  /**
   * A fauxqs already serving here (the benchmarks run it in a child process, as AWS runs SQS apart
   * from the workers): the queues are created on it, and `close` leaves it serving.
   */
  endpoint?: string;
}

const REGION = "us-east-1";
/** Placeholders: fauxqs accepts any signature, and the SDK must not look for real credentials. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/** An SDK client of the local SQS, as the workers' client of SQS in AWS. */
export function localSqsClient(endpoint: string): SQSClient {
  return withoutSdkLogger(new SQSClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS }));
}

/** Starts fauxqs on a free loopback port and creates every queue with its dead-letter queue. */
export async function startLocalSqs<Q extends string = QueueName>(
  options: LocalSqsOptions<Q> = {},
): Promise<LocalSqs<Q>> {
  const specs = (options.queues ?? QUEUES) as Readonly<Record<Q, QueueSpec>>;
  const stack = options.stack ?? "local";
  const scale = options.timeScale ?? 1;
  if (!(scale > 0)) throw new Error(`local SQS: timeScale must be above 0 (got ${scale})`);
  const baseTimeout = options.visibilityTimeoutSeconds ?? visibilityTimeoutSeconds;

  let endpoint = options.endpoint;
  let app: ReturnType<typeof buildApp> | undefined;
  if (endpoint === undefined) {
    app = buildApp({ logger: false, host: "localhost", defaultRegion: REGION });
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    endpoint = `http://127.0.0.1:${new URL(address).port}`;
  }
  const client = localSqsClient(endpoint);
  const close = async () => {
    client.destroy();
    await app?.close();
  };
  try {
    const queues = {} as Record<Q, LocalQueue>;
    for (const key of Object.keys(specs) as Q[]) {
      const spec = specs[key];
      const timeout = Math.max(1, Math.round(baseTimeout(spec) * scale));
      queues[key] = await createQueueWithDeadLetter(client, stack, spec, timeout);
    }
    const byArn = new Map<string, string>();
    for (const queue of Object.values<LocalQueue>(queues)) {
      byArn.set(queue.arn, queue.url);
      byArn.set(queue.deadLetter.arn, queue.deadLetter.url);
    }
    const queueUrlOf = (queueArn: string) => {
      const url = byArn.get(queueArn);
      if (!url) throw new Error(`local SQS: no queue with ARN ${queueArn}`);
      return url;
    };
    return { endpoint, region: REGION, client, queues, queueUrlOf, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function createQueueWithDeadLetter(
  client: SQSClient,
  stack: string,
  spec: QueueSpec,
  visibilityTimeout: number,
): Promise<LocalQueue> {
  const fifo: Record<string, string> = spec.fifo ? { FifoQueue: "true" } : {};
  const deadLetter = await createQueue(client, resourceName(stack, deadLetterSuffix(spec)), { ...fifo });
  const name = resourceName(stack, spec.suffix);
  const queue = await createQueue(client, name, {
    ...fifo,
    VisibilityTimeout: String(visibilityTimeout),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetter.arn,
      maxReceiveCount: spec.maxReceiveCount,
    }),
  });
  return { ...queue, visibilityTimeoutSeconds: visibilityTimeout, deadLetter };
}

async function createQueue(
  client: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ name: string; url: string; arn: string }> {
  const created = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = created.QueueUrl;
  if (!url) throw new Error(`local SQS: CreateQueue ${name} returned no URL`);
  const described = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  const arn = described.Attributes?.QueueArn;
  if (!arn) throw new Error(`local SQS: queue ${name} has no ARN`);
  return { name, url, arn };
}
