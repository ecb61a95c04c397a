import { fileURLToPath } from "node:url";
import { type Plan, type PlannedResource, planStack } from "../../infra/plan/run.js";
import { readStackConfig, SECRET_PLACEHOLDER } from "../../infra/plan/stack-config.js";

/**
 * A tenants directory that stays put when tenants/ changes: one staging, one production and one
 * local tenant, named `zz-fixture-*`. Tests that count or name a stack's tenants plan over it, so a
 * tenant pull request (which changes tenants/) does not break them.
 */
export const FIXTURE_TENANTS_DIR = fileURLToPath(new URL("../fixtures/tenants/", import.meta.url));
export const FIXTURE_TENANT = { staging: "zz-fixture-staging", prod: "zz-fixture-prod" } as const;

/**
 * Plans of the real program under mocks, run once per test file (Pulumi's runtime is global to the
 * process, so plans run one after another) and shared by its tests.
 */
const cache = new Map<string, Promise<Plan>>();
let queue: Promise<unknown> = Promise.resolve();

export function planOf(
  stack: string,
  options: { tenantsDir?: string; config?: Record<string, string> } = {},
): Promise<Plan> {
  const key = JSON.stringify({ stack, ...options });
  let plan = cache.get(key);
  if (!plan) {
    plan = queue.then(() => withoutStackTraces(() => planStack({ stack, ...options })));
    queue = plan.catch(() => undefined);
    cache.set(key, plan);
  }
  return plan;
}

/**
 * Pulumi keeps a stack trace on each of its promises (runtime/debuggable.js), shown only when a
 * program leaks one; capturing them took most of a plan's time. Errors keep their messages.
 */
async function withoutStackTraces<T>(act: () => Promise<T>): Promise<T> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await act();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The stack's plan over the fixture tenants (see FIXTURE_TENANTS_DIR). */
export const fixturePlanOf = (stack: string): Promise<Plan> =>
  planOf(stack, { tenantsDir: FIXTURE_TENANTS_DIR });

export const ofType = (plan: Plan, type: string): PlannedResource[] =>
  plan.resources.filter((r) => r.type === type);

export const named = (plan: Plan, name: string): PlannedResource => {
  const found = plan.resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource named ${name} in the ${plan.stack} plan`);
  return found;
};

/** Short type tokens used by the tests. */
export const T = {
  table: "aws:dynamodb/table:Table",
  tableItem: "aws:dynamodb/tableItem:TableItem",
  queue: "aws:sqs/queue:Queue",
  function: "aws:lambda/function:Function",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  eventSourceMapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
  schedule: "aws:scheduler/schedule:Schedule",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
} as const;

/** A committed stack config with some keys replaced (undefined removes a key). */
export async function configWith(
  stack: string,
  changes: Record<string, string | undefined>,
): Promise<Record<string, string>> {
  const config: Record<string, string> = { ...(await readStackConfig(stack)), ...changes } as Record<
    string,
    string
  >;
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete config[key];
  return config;
}

/** The prod config once on-call's pager URL is set as a secret (the plan sees a stand-in URL). */
export const prodWithPager = () =>
  configWith("prod", {
    "siesa-integration:noPager": undefined,
    "siesa-integration:alertEndpoints": JSON.stringify([SECRET_PLACEHOLDER]),
  });
