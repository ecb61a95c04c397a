import * as v from "valibot";
import {
  DEAD_LETTER_MAPPING,
  QUEUES,
  type QueueName,
  SETTLED_QUEUES,
} from "../runtime/core/domain/pipeline-config.js";
import type { StackName } from "../runtime/core/domain/resource-names.js";
import type { FunctionName } from "../runtime/core/domain/secret-access.js";
import type { TenantEnvironment } from "../runtime/core/domain/tenant.js";

/**
 * The stack configuration (`Pulumi.<stack>.yaml`), validated before any resource is declared, so a
 * missing or wrong key stops `pulumi up` with the key's name instead of half-deploying.
 */

/** The APES integration account (docs/operations.md): both stacks deploy here and nowhere else. */
export const INTEGRATION_ACCOUNT_ID = "224874703567";
export const REGION = "us-east-1";
/** Namespace of this project's own config keys (`siesa-integration:<key>`). */
export const CONFIG_NAMESPACE = "siesa-integration";

/** Which tenants each known stack deploys (docs/operations.md). */
export const STACK_ENVIRONMENTS: Readonly<Record<string, TenantEnvironment>> = {
  staging: "staging",
  prod: "production",
} satisfies Record<StackName, TenantEnvironment>;

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface AlarmThresholds {
  /** Alarm when more than this percentage of finished runs failed within the window. */
  failureRatePercent: number;
  failureRateWindowMinutes: number;
  /** Alarm when a run took longer than this. */
  runDurationMinutes: number;
  /** Alarm when more than `errorCount` API errors happen within `errorWindowMinutes`. */
  errorCount: number;
  errorWindowMinutes: number;
}

export interface StackSettings {
  stack: string;
  environment: Exclude<TenantEnvironment, "local">;
  region: string;
  accountId: string;
  logRetentionDays: number;
  alarms: AlarmThresholds;
  /** HTTPS endpoints subscribed to the alarm topic (prod: the pager). */
  alertEndpoints: string[];
  /** The stack says explicitly that nobody is paged (production needs this or a real pager endpoint). */
  noPager: boolean;
  /**
   * Lambda reserved concurrency of each function: the API cannot take the workers' concurrency (or
   * the account's) under a flood, and a runaway worker cannot take the API's.
   */
  reservedConcurrency: Record<FunctionName, number>;
  /** Point-in-time recovery and deletion protection on the tables (prod). */
  dataProtection: boolean;
  /** The stage's throttle, and GET /health's own (anonymous callers get their own bucket). */
  apiThrottle: { rateLimit: number; burstLimit: number; healthRateLimit: number; healthBurstLimit: number };
}

const positiveInteger = (max: number) =>
  v.pipe(
    v.number("must be a number"),
    v.integer("must be an integer"),
    v.minValue(1, "must be at least 1"),
    v.maxValue(max, `must be at most ${max}`),
  );

/** Config values arrive as strings; a YAML number (an unquoted account id) is accepted as its digits. */
const accountId = v.pipe(
  v.union([v.string(), v.number()], "must be a 12-digit AWS account id"),
  v.transform(String),
  v.regex(/^\d{12}$/, "must be a 12-digit AWS account id"),
);

const httpsUrl = v.pipe(
  v.string("must be an https:// URL"),
  v.check((text) => URL.canParse(text) && new URL(text).protocol === "https:", "must be an https:// URL"),
);

/** What a committed stand-in for a pager URL looks like (the real one is set as a secret). */
const PLACEHOLDER = /REPLACE|PLACEHOLDER|CHANGE[-_]?ME|<|>|…/i;

/**
 * A worker's reserved concurrency must cover the maximum concurrency of the queue feeding it, or
 * Lambda throttles the event source mapping's own invocations.
 */
const workerConcurrency = (queue: QueueName) => {
  const { maximumConcurrency, consumer } = QUEUES[queue];
  return v.pipe(
    positiveInteger(900),
    v.minValue(
      maximumConcurrency,
      `must be at least ${maximumConcurrency}, the maximum concurrency of the queue feeding ${consumer}`,
    ),
  );
};

/** settle reads every dead-letter queue, each at most DEAD_LETTER_MAPPING.maximumConcurrency at once, and sweeps. */
const DEAD_LETTER_QUEUES = SETTLED_QUEUES.length;
const SETTLE_MINIMUM = DEAD_LETTER_QUEUES * DEAD_LETTER_MAPPING.maximumConcurrency + 1;

const ProjectConfig = v.object({
  environment: v.picklist(["staging", "production"], "must be staging or production"),
  logRetentionDays: v.picklist(LOG_RETENTION_DAYS, `must be one of ${LOG_RETENTION_DAYS.join(", ")}`),
  alarms: v.strictObject(
    {
      failureRatePercent: v.pipe(
        v.number("must be a number"),
        v.minValue(0, "must be between 0 and 100"),
        v.maxValue(100, "must be between 0 and 100"),
      ),
      failureRateWindowMinutes: positiveInteger(24 * 60),
      runDurationMinutes: positiveInteger(24 * 60),
      errorCount: v.pipe(v.number("must be a number"), v.integer("must be an integer"), v.minValue(0)),
      errorWindowMinutes: positiveInteger(24 * 60),
    },
    "must be an object",
  ),
  alertEndpoints: v.optional(
    v.array(
      v.pipe(
        httpsUrl,
        v.check(
          (url) => !PLACEHOLDER.test(url),
          "is a placeholder: set the real endpoint as a secret (pulumi config set --secret --path 'siesa-integration:alertEndpoints[0]' …)",
        ),
      ),
      "must be a list of https:// URLs",
    ),
    [],
  ),
  noPager: v.optional(v.boolean("must be true or false"), false),
  reservedConcurrency: v.strictObject(
    {
      api: positiveInteger(900),
      dispatch: workerConcurrency("syncRequests"),
      extract: workerConcurrency("units"),
      load: workerConcurrency("loads"),
      verify: workerConcurrency("verifyRequests"),
      notify: workerConcurrency("notifications"),
      settle: v.pipe(
        positiveInteger(900),
        v.minValue(
          SETTLE_MINIMUM,
          `must be at least ${SETTLE_MINIMUM}: ${DEAD_LETTER_QUEUES} dead-letter queues and the sweeper feed settle`,
        ),
      ),
    },
    "must be an object with api, dispatch, extract, load, settle, verify and notify",
  ),
  dataProtection: v.boolean("must be true or false"),
  apiThrottle: v.strictObject(
    {
      rateLimit: positiveInteger(10_000),
      burstLimit: positiveInteger(5_000),
      healthRateLimit: positiveInteger(10_000),
      healthBurstLimit: positiveInteger(5_000),
    },
    "must be an object",
  ),
});

const AwsConfig = v.object({
  region: v.literal(REGION, `must be ${REGION} (the integration account's region)`),
  allowedAccountIds: v.pipe(
    v.tuple([accountId], `must be [${INTEGRATION_ACCOUNT_ID}]`),
    v.check(
      ([id]) => id === INTEGRATION_ACCOUNT_ID,
      `must be [${INTEGRATION_ACCOUNT_ID}] (the integration account)`,
    ),
  ),
});

export class StackConfigError extends Error {
  override readonly name = "StackConfigError";
  constructor(
    readonly stackName: string,
    readonly problems: string[],
  ) {
    super(
      `Pulumi.${stackName}.yaml: ${problems.length} configuration problem${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((p) => `  ${p}`).join("\n"),
    );
  }
}

/**
 * Validates the stack's flat config map (`namespace:key` → raw string, as Pulumi hands it to the
 * program: objects and lists as JSON). Throws StackConfigError naming every bad key.
 */
export function parseStackSettings(stack: string, raw: Readonly<Record<string, string>>): StackSettings {
  const problems: string[] = [];
  const project = validate(ProjectConfig, section(raw, CONFIG_NAMESPACE), CONFIG_NAMESPACE, problems);
  const aws = validate(AwsConfig, section(raw, "aws"), "aws", problems);
  const expected = STACK_ENVIRONMENTS[stack];
  if (project && expected && project.environment !== expected) {
    problems.push(
      `${CONFIG_NAMESPACE}:environment: the ${stack} stack deploys the ${expected} environment (got ${project.environment})`,
    );
  }
  if (project?.environment === "production") {
    if (project.noPager && project.alertEndpoints.length > 0) {
      problems.push(
        `${CONFIG_NAMESPACE}:noPager: true contradicts the alertEndpoints that are set: keep one of the two`,
      );
    } else if (!project.noPager && project.alertEndpoints.length === 0) {
      problems.push(
        `${CONFIG_NAMESPACE}:alertEndpoints: production pages someone: set the pager's endpoint as a secret, or set ${CONFIG_NAMESPACE}:noPager: true to deploy without one`,
      );
    }
  }
  if (problems.length > 0 || !project || !aws) throw new StackConfigError(stack, problems);
  return {
    stack,
    environment: project.environment,
    region: aws.region,
    accountId: aws.allowedAccountIds[0],
    logRetentionDays: project.logRetentionDays,
    alarms: project.alarms,
    alertEndpoints: project.alertEndpoints,
    noPager: project.noPager,
    reservedConcurrency: project.reservedConcurrency,
    dataProtection: project.dataProtection,
    apiThrottle: project.apiThrottle,
  };
}

/** The keys of one namespace, values decoded from JSON where they are JSON (numbers, lists, objects). */
function section(raw: Readonly<Record<string, string>>, namespace: string): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(raw)) {
    const [space, name] = splitKey(key);
    if (space === namespace && name) values[name] = decode(text);
  }
  return values;
}

/** Pulumi accepts both `ns:key` and the older `ns:config:key`. */
function splitKey(key: string): [string, string | undefined] {
  const parts = key.split(":");
  const namespace = parts[0] ?? "";
  const name = parts.length === 3 && parts[1] === "config" ? parts[2] : parts.slice(1).join(":");
  return [namespace, name];
}

function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Config set as a secret (`pulumi config set --secret`): a problem names its key, never its value. */
const SECRET_KEYS: ReadonlySet<string> = new Set([`${CONFIG_NAMESPACE}:alertEndpoints`]);

function validate<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  namespace: string,
  problems: string[],
): v.InferOutput<S> | undefined {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  for (const issue of result.issues) {
    const path = v.getDotPath(issue);
    const key = path ? `${namespace}:${path}` : namespace;
    const missing = issue.input === undefined && issue.kind === "schema";
    const secret = SECRET_KEYS.has(`${namespace}:${path?.split(".")[0]}`);
    const got = secret ? "" : ` (got ${JSON.stringify(issue.input)})`;
    problems.push(`${key}: ${missing ? "missing" : `${issue.message}${got}`}`);
  }
  return undefined;
}
