import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../runtime/aws/names.js";
import { QUEUES, type QueueName, type WorkerName } from "../runtime/pipeline/config.js";
import { TABLE_DEFINITIONS, type TableNames } from "../runtime/store/tables.js";

/**
 * What each function may touch: the one place to read (and review) the system's permissions.
 * Every function gets its own role built from this; no statement has a "*" action, and resources
 * are ARNs of this stack. The runtime's AWS adapters must stay inside these lists.
 */

export type FunctionName = WorkerName | "api";
type TableKind = keyof TableNames;

export interface FunctionAccess {
  /** read: GetItem, BatchGetItem, Query, Scan. write: read plus PutItem, UpdateItem, DeleteItem, BatchWriteItem, ConditionCheckItem. */
  tables: Partial<Record<TableKind, "read" | "write">>;
  /** Queues it sends to (SendMessage, which also covers SendMessageBatch). Consumption follows QUEUES[*].consumer. */
  sendsTo: QueueName[];
  /** GetSecretValue on the secrets tagged with this stack (`siesa-integration/<tenantId>/…`). */
  tenantSecrets: boolean;
  /** The API only: its hashed tokens, pausing and resuming schedules, and GET /health's describe calls. */
  apiTokens?: boolean;
  schedules?: boolean;
  health?: boolean;
}

export const FUNCTION_ACCESS: Readonly<Record<FunctionName, FunctionAccess>> = {
  // Takes the tenant's lease (an item of the tenants table), records the run, fans the first units out.
  dispatch: {
    tables: { tenants: "write", runs: "write", audit: "write" },
    sendsTo: ["pages"],
    tenantSecrets: false,
  },
  // Reads Siesa (its secret), splits units (pages), sends records to load (loads); may finalise the
  // run, which releases the lease.
  extract: {
    tables: { tenants: "write", runs: "write", audit: "write" },
    sendsTo: ["pages", "loads"],
    tenantSecrets: true,
  },
  // Compares and stores record hashes (ledger), writes to the product (its secret); may finalise.
  load: {
    tables: { tenants: "write", runs: "write", ledger: "write", audit: "write" },
    sendsTo: [],
    tenantSecrets: true,
  },
  // Status and history, manual runs (lease + sync request), pause/resume, connectivity checks, health.
  api: {
    tables: { tenants: "write", runs: "write", audit: "write" },
    sendsTo: ["syncRequests"],
    tenantSecrets: true,
    apiTokens: true,
    schedules: true,
    health: true,
  },
};

const READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan"];
const WRITE = [
  ...READ,
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
];
/** What Lambda's SQS event source mapping does with the function's role, plus ChangeMessageVisibility for retry backoff. */
const CONSUME = [
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:GetQueueAttributes",
  "sqs:ChangeMessageVisibility",
];

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: pulumi.Input<string>[];
  Condition?: Record<string, Record<string, string>>;
}

/** The ARNs a function's statements point at (outputs of this stack's resources, or patterns in its account). */
export interface AccessResources {
  stack: string;
  /** The table's ARN and, when it has indexes, `<arn>/index/*`. */
  tableArns(kind: TableKind): pulumi.Input<string>[];
  queueArn(queue: QueueName): pulumi.Input<string>;
  logGroupArn: pulumi.Input<string>;
  /** `arn:aws:secretsmanager:<region>:<account>:secret:siesa-integration/*` */
  secretsArnPattern: string;
  /** The tag key every secret of this stack carries with the stack's name. */
  stackTagKey: string;
  /** The tag key each tenant secret carries with its tenant id. */
  tenantTagKey: string;
  apiTokensSecretArn?: pulumi.Input<string>;
  /** `arn:aws:scheduler:<region>:<account>:schedule/<this stack's group>/*` */
  schedulesArnPattern?: string;
  schedulerRoleArn?: pulumi.Input<string>;
}

/** The statements of one function's role policy. */
export function statementsFor(fn: FunctionName, resources: AccessResources): PolicyStatement[] {
  const access = FUNCTION_ACCESS[fn];
  const statements: PolicyStatement[] = [
    {
      Sid: "OwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [pulumi.interpolate`${resources.logGroupArn}:*`],
    },
  ];

  for (const [kind, level] of Object.entries(access.tables) as [TableKind, "read" | "write"][]) {
    statements.push({
      Sid: `${level === "write" ? "Write" : "Read"}${capitalise(kind)}Table`,
      Effect: "Allow",
      Action: level === "write" ? WRITE : READ,
      Resource: resources.tableArns(kind),
    });
  }

  for (const [queue, spec] of Object.entries(QUEUES) as [QueueName, (typeof QUEUES)[QueueName]][]) {
    if (spec.consumer === fn) {
      statements.push({
        Sid: `Consume${capitalise(queue)}`,
        Effect: "Allow",
        Action: CONSUME,
        Resource: [resources.queueArn(queue)],
      });
    }
  }
  if (access.sendsTo.length > 0) {
    statements.push({
      Sid: "SendToQueues",
      Effect: "Allow",
      Action: ["sqs:SendMessage"],
      Resource: access.sendsTo.map((queue) => resources.queueArn(queue)),
    });
  }

  if (access.tenantSecrets) {
    // Tenants come and go without touching this policy: the stack tag, set on each tenant's secrets,
    // keeps staging functions away from production secrets in the same account.
    statements.push({
      Sid: "ReadStackSecrets",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: [resources.secretsArnPattern],
      Condition: {
        StringEquals: { [`secretsmanager:ResourceTag/${resources.stackTagKey}`]: resources.stack },
        // Only tenant credentials (they carry the tenant tag), not the API's token list.
        Null: { [`secretsmanager:ResourceTag/${resources.tenantTagKey}`]: "false" },
      },
    });
  }
  if (access.apiTokens) {
    statements.push({
      Sid: "ReadApiTokens",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: [required(resources.apiTokensSecretArn, fn, "apiTokensSecretArn")],
    });
  }
  if (access.schedules) {
    statements.push(
      {
        Sid: "PauseResumeSchedules",
        Effect: "Allow",
        Action: ["scheduler:GetSchedule", "scheduler:UpdateSchedule"],
        Resource: [required(resources.schedulesArnPattern, fn, "schedulesArnPattern")],
      },
      {
        // UpdateSchedule re-states the target, and with it the scheduler's role.
        Sid: "PassSchedulerRole",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: [required(resources.schedulerRoleArn, fn, "schedulerRoleArn")],
        Condition: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
      },
    );
  }
  if (access.health) {
    // GET /health describes every table and queue of the stack.
    const tables = Object.keys(TABLE_DEFINITIONS) as TableKind[];
    statements.push(
      {
        Sid: "DescribeTables",
        Effect: "Allow",
        Action: ["dynamodb:DescribeTable"],
        Resource: tables.map((kind) => resources.tableArns(kind)[0] as pulumi.Input<string>),
      },
      {
        Sid: "DescribeQueues",
        Effect: "Allow",
        Action: ["sqs:GetQueueAttributes"],
        Resource: (Object.keys(QUEUES) as QueueName[]).map((queue) => resources.queueArn(queue)),
      },
    );
  }
  return statements;
}

/** Secrets Manager ARN pattern covering every `siesa-integration/…` secret of the account and region. */
export const secretsArnPattern = (region: string, accountId: string): string =>
  `arn:aws:secretsmanager:${region}:${accountId}:secret:${PROJECT}/*`;

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function required<T>(value: T | undefined, fn: FunctionName, what: string): T {
  if (value === undefined) throw new Error(`function ${fn} needs ${what}, which was not given`);
  return value;
}
