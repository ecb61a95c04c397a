import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { apiTokensSecretName, ENV } from "../core/domain/resource-names.js";
import { withoutSdkLogger } from "../core/observability/sdk-logger.js";
import type { ApiDependencies } from "../core/ports/api.js";
import { summarisedProbe } from "../edges/aws/probe-summary.js";
import { EventBridgeScheduleControl } from "../edges/aws/scheduler.js";
import { secretsManagerTokenVerifier } from "../edges/aws/tokens.js";
import { tableNames } from "../edges/store/tables.js";
import { createApiDependencies } from "./api-dependencies.js";
import { awsRunDependencies, queueUrls, requiredEnv } from "./aws-run-dependencies.js";

/** Set by the build (esbuild `define`); "dev" when running unbundled. */
declare const __VERSION__: string | undefined;

/** The API function's dependencies in AWS: the workers' state and queues, plus Scheduler and the token secret. */
export function awsApiDependencies(env: NodeJS.ProcessEnv = process.env): ApiDependencies {
  const workers = awsRunDependencies(env);
  const stack = requiredEnv(ENV.stack, env);
  const dynamo = withoutSdkLogger(new DynamoDBClient({}));
  const sqs = withoutSdkLogger(new SQSClient({}));
  const probes: Record<string, () => Promise<void>> = {};
  for (const table of Object.values(tableNames(requiredEnv(ENV.tablePrefix, env)))) {
    probes[table] = summarisedProbe(
      async () => void (await dynamo.send(new DescribeTableCommand({ TableName: table }))),
    );
  }
  for (const url of Object.values(queueUrls(env))) {
    probes[url.split("/").at(-1) ?? url] = summarisedProbe(
      async () =>
        void (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))),
    );
  }
  return createApiDependencies(workers, {
    schedules: new EventBridgeScheduleControl(new SchedulerClient({}), stack),
    tokens: secretsManagerTokenVerifier(new SecretsManagerClient({}), apiTokensSecretName(stack), {
      log: workers.log,
      metrics: workers.metrics,
    }),
    version: typeof __VERSION__ === "string" ? __VERSION__ : "dev",
    probes,
  });
}
