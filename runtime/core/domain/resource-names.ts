import type { ProductType } from "./model.js";
import type { QueueName } from "./pipeline-config.js";
import { DEFAULT_STREAM, type StreamName } from "./stream.js";

/**
 * Resource names shared by the Pulumi program and the runtime, so both always agree.
 * Every name carries the stack (docs/deploy.md): `siesa-integration-<stack>-…`.
 */
export const PROJECT = "siesa-integration";

export const resourceName = (stack: string, suffix: string): string => `${PROJECT}-${stack}-${suffix}`;

/** The prefix of the stack's DynamoDB tables: `tableNames(tablePrefix(stack))` are their names. */
export const tablePrefix = (stack: string): string => `${PROJECT}-${stack}`;

/** The stack's EventBridge Scheduler group, and one schedule per tenant in it. */
export const scheduleGroupName = (stack: string): string => resourceName(stack, "schedules");
export const scheduleName = (stack: string, tenantId: string, stream: StreamName = DEFAULT_STREAM): string =>
  resourceName(stack, `sync-${tenantId}${stream === DEFAULT_STREAM ? "" : `.${stream}`}`);

/** The stacks deployed (infra/settings.ts says which tenants each deploys): tenant names must fit both. */
export const STACKS = ["staging", "prod"] as const;
export type StackName = (typeof STACKS)[number];

/** EventBridge Scheduler refuses a longer schedule name, and only when the stack is deployed. */
export const SCHEDULE_NAME_MAX_LENGTH = 64;

/** The longest name any of these streams' schedules takes in any stack (what must fit the limit). */
export const longestScheduleName = (tenantId: string, streams: readonly StreamName[]): string =>
  STACKS.flatMap((stack) => streams.map((stream) => scheduleName(stack, tenantId, stream))).reduce(
    (longest, name) => (name.length > longest.length ? name : longest),
    "",
  );

/**
 * Secrets Manager: `siesa-integration/<tenantId>/siesa`, `siesa-integration/<tenantId>/<product>` and,
 * for a tenant with a webhook, `siesa-integration/<tenantId>/notify`.
 */
export const secretName = (tenantId: string, system: "siesa" | ProductType | "notify"): string =>
  `${PROJECT}/${tenantId}/${system}`;
/** The API's hashed bearer tokens. */
export const apiTokensSecretName = (stack: string): string => `${PROJECT}/${stack}/api-tokens`;

/** Environment variables the functions read their wiring from (set by the Pulumi program). */
export const ENV = {
  stack: "SIESA_INTEGRATION_STACK",
  tablePrefix: "SIESA_INTEGRATION_TABLE_PREFIX",
  syncRequestsQueueUrl: "SIESA_INTEGRATION_SYNC_REQUESTS_URL",
  unitsQueueUrl: "SIESA_INTEGRATION_UNITS_URL",
  loadsQueueUrl: "SIESA_INTEGRATION_LOADS_URL",
  verifyRequestsQueueUrl: "SIESA_INTEGRATION_VERIFY_REQUESTS_URL",
  notificationsQueueUrl: "SIESA_INTEGRATION_NOTIFICATIONS_URL",
  /** notify: the API's URL, for the console link of each notification. */
  apiUrl: "SIESA_INTEGRATION_API_URL",
  /** notify: the ARN of every tenant's email topic but the tenant id (notifyTopicName). */
  notifyTopicArnPrefix: "SIESA_INTEGRATION_NOTIFY_TOPIC_ARN_PREFIX",
  /** Which function this is (dispatch, extract, load, api): decides which tenant secrets it reads. */
  function: "SIESA_INTEGRATION_FUNCTION",
  /** Base of the retry backoff of failed messages, in seconds. */
  retryBaseSeconds: "SIESA_INTEGRATION_RETRY_BASE_SECONDS",
} as const;

/** The variable that carries each pipeline queue's URL. */
export const QUEUE_URL_ENV: Readonly<Record<QueueName, string>> = {
  syncRequests: ENV.syncRequestsQueueUrl,
  units: ENV.unitsQueueUrl,
  loads: ENV.loadsQueueUrl,
  verifyRequests: ENV.verifyRequestsQueueUrl,
  notifications: ENV.notificationsQueueUrl,
};

/** A tenant's SNS topic, its notify.emails subscribed to it. */
export const notifyTopicName = (stack: string, tenantId: string): string =>
  resourceName(stack, `notify-${tenantId}`);
