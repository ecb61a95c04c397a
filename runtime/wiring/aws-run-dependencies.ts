import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { QUEUES, type QueueName } from "../core/domain/pipeline-config.js";
import { ENV, QUEUE_URL_ENV } from "../core/domain/resource-names.js";
import { type FunctionName, SECRETS_READ } from "../core/domain/secret-access.js";
import { logger } from "../core/observability/logger.js";
import { withoutSdkLogger } from "../core/observability/sdk-logger.js";
import type { RunDependencies } from "../core/ports/dependencies.js";
import { powertoolsMetrics } from "../edges/aws/metrics.js";
import { SqsNotifier } from "../edges/aws/notifications.js";
import { SecretsManagerCredentials } from "../edges/aws/secrets.js";
import { type PipelineQueueUrls, SqsPipelineQueues, SqsRedeliveryControl } from "../edges/aws/sqs.js";
import { DynamoTenantDirectory } from "../edges/aws/tenants-table.js";
import { dynamoPipelineStore } from "../edges/store/dynamo.js";
import { tableNames } from "../edges/store/tables.js";

/** A variable the Pulumi program sets on every function; its absence is a deployment bug. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (the Pulumi program sets it)`);
  return value;
}

/** Every pipeline queue's URL, from the variables the Pulumi program sets. */
export function queueUrls(env: NodeJS.ProcessEnv = process.env): PipelineQueueUrls {
  const urls = {} as Record<QueueName, string>;
  for (const queue of Object.keys(QUEUES) as QueueName[])
    urls[queue] = requiredEnv(QUEUE_URL_ENV[queue], env);
  return urls;
}

/** The function the Pulumi program says this is; its role can read only that function's secrets. */
function functionName(env: NodeJS.ProcessEnv): FunctionName {
  const name = requiredEnv(ENV.function, env);
  if (!Object.hasOwn(SECRETS_READ, name)) {
    throw new Error(
      `environment variable ${ENV.function} is ${name}: expected one of ${Object.keys(SECRETS_READ).join(", ")}`,
    );
  }
  return name as FunctionName;
}

/**
 * What every function needs to start, count and end runs in AWS (the API's part of the workers'
 * dependencies), from the environment the Pulumi program gives each function. Built once per
 * container (module scope of the Lambda entry), so clients and caches are reused.
 */
export function awsRunDependencies(env: NodeJS.ProcessEnv = process.env): RunDependencies {
  const stack = requiredEnv(ENV.stack, env);
  const names = tableNames(requiredEnv(ENV.tablePrefix, env));
  const doc = DynamoDBDocumentClient.from(withoutSdkLogger(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const sqs = withoutSdkLogger(new SQSClient({}));
  const urls = queueUrls(env);
  return {
    tenants: new DynamoTenantDirectory(doc, names.tenants),
    credentials: new SecretsManagerCredentials(new SecretsManagerClient({}), {
      reads: SECRETS_READ[functionName(env)],
    }),
    queues: new SqsPipelineQueues(sqs, urls),
    redelivery: new SqsRedeliveryControl(sqs),
    notifier: new SqsNotifier(sqs, urls.notifications),
    ...dynamoPipelineStore(doc, names),
    log: logger,
    metrics: powertoolsMetrics(stack),
    retryBaseSeconds: Number(env[ENV.retryBaseSeconds] ?? 2),
    now: () => new Date(),
  };
}
