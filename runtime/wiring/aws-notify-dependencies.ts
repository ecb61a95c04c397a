import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENV } from "../core/domain/resource-names.js";
import { SECRETS_READ } from "../core/domain/secret-access.js";
import { logger } from "../core/observability/logger.js";
import { withoutSdkLogger } from "../core/observability/sdk-logger.js";
import type { NotifyDependencies } from "../core/ports/notifier.js";
import { powertoolsMetrics } from "../edges/aws/metrics.js";
import { SnsEmailChannel } from "../edges/aws/notifications.js";
import { SecretsManagerCredentials } from "../edges/aws/secrets.js";
import { SqsRedeliveryControl } from "../edges/aws/sqs.js";
import { DynamoTenantDirectory } from "../edges/aws/tenants-table.js";
import { fetchWebhook } from "../edges/http/webhook.js";
import { DynamoNotificationMarks } from "../edges/store/notification-marks.js";
import { tableNames } from "../edges/store/tables.js";
import { requiredEnv } from "./aws-run-dependencies.js";

/**
 * The notify function's dependencies in AWS, from the environment the Pulumi program gives it: the
 * tenants table, its delivery marks (runs table), the tenants' notify secrets, their email topics.
 */
export function awsNotifyDependencies(env: NodeJS.ProcessEnv = process.env): NotifyDependencies {
  const names = tableNames(requiredEnv(ENV.tablePrefix, env));
  const doc = DynamoDBDocumentClient.from(withoutSdkLogger(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const apiUrl = requiredEnv(ENV.apiUrl, env);
  return {
    tenants: new DynamoTenantDirectory(doc, names.tenants),
    secrets: new SecretsManagerCredentials(new SecretsManagerClient({}), { reads: SECRETS_READ.notify }),
    marks: new DynamoNotificationMarks(doc, names.runs),
    email: new SnsEmailChannel(
      withoutSdkLogger(new SNSClient({})),
      requiredEnv(ENV.notifyTopicArnPrefix, env),
    ),
    webhook: fetchWebhook(),
    apiUrl: () => apiUrl,
    log: logger,
    metrics: powertoolsMetrics(requiredEnv(ENV.stack, env)),
    redelivery: new SqsRedeliveryControl(withoutSdkLogger(new SQSClient({}))),
    retryBaseSeconds: Number(env[ENV.retryBaseSeconds] ?? 2),
    now: () => new Date(),
  };
}
