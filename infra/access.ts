// Types only: the local stack and the test worlds read FUNCTION_ACCESS without loading Pulumi.
import type * as pulumi from "@pulumi/pulumi";
import { NOTIFIED_PARTITION_SUFFIX } from "../runtime/core/domain/notification.js";
import { QUEUES, type QueueName, SETTLED_QUEUES } from "../runtime/core/domain/pipeline-config.js";
import { notifyTopicName, PROJECT } from "../runtime/core/domain/resource-names.js";
import { type FunctionName, SECRETS_READ, secretSystems } from "../runtime/core/domain/secret-access.js";
import { LEASE_KEY_PREFIX } from "../runtime/edges/store/lease.js";
import { TABLE_DEFINITIONS, type TableNames } from "../runtime/edges/store/tables.js";

/**
 * What each function may touch: the one place to read (and review) the system's permissions.
 * Every function gets its own role built from this; no statement has a "*" action, and resources
 * are ARNs of this stack. The runtime's AWS adapters must stay inside these lists.
 */

export type { FunctionName };

type TableKind = keyof TableNames;

/**
 * read: GetItem, BatchGetItem, Query, Scan. write: read plus PutItem, UpdateItem, DeleteItem,
 * BatchWriteItem, ConditionCheckItem. append: PutItem only (the audit log: entries are added, never
 * changed or removed). mark: GetItem and PutItem (notify's delivery marks in the runs table).
 */
export type TableAccess = "read" | "write" | "append" | "mark";

export interface FunctionAccess {
  tables: Partial<Record<TableKind, TableAccess>>;
  /**
   * Takes or releases tenant leases: PutItem and DeleteItem on the tenants table, only on items whose
   * key starts with `lease#` (runtime/edges/store/lease.ts). Tenant configuration, the other items of that
   * table, stays read-only for every function: only the Pulumi program writes it.
   */
  leases: boolean;
  /** Consumes the dead-letter queues (settle). */
  deadLetters?: boolean;
  /** Queues it sends to (SendMessage, which also covers SendMessageBatch). Consumption follows QUEUES[*].consumer. */
  sendsTo: QueueName[];
  /** The API only: its hashed tokens, pausing and resuming schedules, and GET /health's describe calls. */
  apiTokens?: boolean;
  schedules?: boolean;
  health?: boolean;
  /** settle only: reads whether each tenant's schedule is enabled (GetSchedule), for the late check. */
  readsSchedules?: boolean;
  /** notify only: publishes to the tenants' email topics (`siesa-integration-<stack>-notify-*`). */
  notifyTopics?: boolean;
}

// Which tenant secrets each function reads is SECRETS_READ (runtime/core/domain/secret-access.ts), shared
// with the runtime's credential loader.
export const FUNCTION_ACCESS: Readonly<Record<FunctionName, FunctionAccess>> = {
  // Opens the schedule's runs (the tenant's lease, the run record) and fans the first units out; ends a
  // run whose lease it takes over (releases nothing else).
  dispatch: {
    tables: { tenants: "read", runs: "write", audit: "append" },
    leases: true,
    sendsTo: ["units", "notifications"],
  },
  // Reads Siesa, splits units (sending the pieces back to units), compares records with the ledger
  // and sends the changed ones to load (loads); may end the run, which releases the lease.
  extract: {
    tables: { tenants: "read", runs: "write", ledger: "read", streamLedger: "read", audit: "append" },
    leases: true,
    sendsTo: ["units", "loads", "notifications"],
  },
  // Writes to the product, stores record hashes (ledger); may end the run, or ask extract for the run's
  // deactivation pass (units), which confirms absences with Siesa.
  load: {
    tables: { tenants: "read", runs: "write", ledger: "write", streamLedger: "write", audit: "append" },
    leases: true,
    sendsTo: ["units", "notifications"],
  },
  // The dead-letter queues' consumer and the sweeper: counts what died with a worker, ends expired
  // runs (releases their lease), recounts progress; reads the ledger to keep what was written; asks
  // extract for a run's deactivation pass (units) when it finds the run's other work done; raises a
  // tenant's late notification, which needs its schedule's state.
  settle: {
    tables: { tenants: "read", runs: "write", ledger: "read", streamLedger: "read", audit: "append" },
    leases: true,
    sendsTo: ["units", "notifications"],
    deadLetters: true,
    readsSchedules: true,
  },
  // POST /tenants/:id/verify's run: reads the tenant's (or a stream's) ledger and product, marks the entries to repair,
  // ends the run (releases the lease) and, to repair, starts a run (lease + sync request).
  verify: {
    tables: { tenants: "read", runs: "write", ledger: "write", streamLedger: "write", audit: "append" },
    leases: true,
    sendsTo: ["syncRequests", "notifications"],
  },
  // Status and history, manual runs (lease + sync request), verify runs (lease + verify request),
  // pause/resume, connectivity checks, health, and the stock snapshot (it reads the stock stream's
  // ledger). It never touches the catalogue's ledger: the verify worker does.
  api: {
    tables: { tenants: "read", runs: "write", streamLedger: "read", audit: "append" },
    leases: true,
    sendsTo: ["syncRequests", "verifyRequests", "notifications"],
    apiTokens: true,
    schedules: true,
    health: true,
  },
  // Delivers what the others raise on the notifications queue (each function that can end a run sends
  // to it): reads the tenant's file and webhook secret, marks each event's channels delivered (runs
  // table, `<tenant>#notified` items) and publishes to the tenant's email topic.
  notify: {
    tables: { tenants: "read", runs: "mark" },
    leases: false,
    sendsTo: [],
    notifyTopics: true,
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
export const TABLE_ACTIONS: Readonly<Record<TableAccess, string[]>> = {
  read: READ,
  write: WRITE,
  append: ["dynamodb:PutItem"],
  mark: ["dynamodb:GetItem", "dynamodb:PutItem"],
};
/** What TenantLease does to a lease item besides reading it. */
export const LEASE_ACTIONS = ["dynamodb:PutItem", "dynamodb:DeleteItem"];
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
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** The ARNs a function's statements point at (outputs of this stack's resources, or patterns in its account). */
export interface AccessResources {
  stack: string;
  tableArn(kind: TableKind): pulumi.Input<string>;
  /** `<table arn>/index/*` when the table has indexes, else nothing. */
  indexArns(kind: TableKind): pulumi.Input<string>[];
  queueArn(queue: QueueName): pulumi.Input<string>;
  deadLetterArn(queue: QueueName): pulumi.Input<string>;
  /** The function's own log streams: `<log group arn>:*`. */
  logStreamsArn: pulumi.Input<string>;
  /** ARN pattern of one system's secret of every tenant: `…:secret:siesa-integration/<any>/<system>-??????`. */
  tenantSecretArnPattern(system: string): string;
  /** The tag key every secret of this stack carries with the stack's name. */
  stackTagKey: string;
  /** The tag key each tenant secret carries with its tenant id. */
  tenantTagKey: string;
  apiTokensSecretArn?: pulumi.Input<string>;
  /** `arn:aws:scheduler:<region>:<account>:schedule/<this stack's group>/<stack>-sync-*`: the tenants' schedules, not the sweeper's. */
  schedulesArnPattern?: string;
  schedulerRoleArn?: pulumi.Input<string>;
  /** `arn:aws:sns:<region>:<account>:siesa-integration-<stack>-notify-*`: every tenant's email topic. */
  notifyTopicArnPattern?: string;
}

/** The statements of one function's role policy. */
export function statementsFor(fn: FunctionName, resources: AccessResources): PolicyStatement[] {
  const access = FUNCTION_ACCESS[fn];
  const statements: PolicyStatement[] = [
    {
      Sid: "OwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [resources.logStreamsArn],
    },
  ];

  for (const [kind, level] of Object.entries(access.tables) as [TableKind, TableAccess][]) {
    statements.push({
      Sid: `${capitalise(level)}${capitalise(kind)}Table`,
      Effect: "Allow",
      Action: TABLE_ACTIONS[level],
      Resource: [resources.tableArn(kind)],
      // Marks live in partitions of their own: a run record can be neither read nor written.
      ...(level === "mark"
        ? {
            Condition: {
              "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [`*${NOTIFIED_PARTITION_SUFFIX}`] },
            },
          }
        : {}),
    });
    const indexes = resources.indexArns(kind);
    if ((level === "read" || level === "write") && indexes.length > 0) {
      // Indexes are only queried (runs by id); writes go to the table.
      statements.push({
        Sid: `Query${capitalise(kind)}Indexes`,
        Effect: "Allow",
        Action: ["dynamodb:Query"],
        Resource: indexes,
      });
    }
  }
  if (access.leases) {
    statements.push({
      Sid: "TakeAndReleaseLeases",
      Effect: "Allow",
      Action: LEASE_ACTIONS,
      Resource: [resources.tableArn("tenants")],
      // Every key the request touches must be a lease's: a tenant's configuration item cannot be written.
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [`${LEASE_KEY_PREFIX}*`] } },
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
  if (access.deadLetters) {
    statements.push({
      Sid: "ConsumeDeadLetterQueues",
      Effect: "Allow",
      Action: CONSUME,
      Resource: SETTLED_QUEUES.map((queue) => resources.deadLetterArn(queue)),
    });
  }
  if (access.sendsTo.length > 0) {
    statements.push({
      Sid: "SendToQueues",
      Effect: "Allow",
      Action: ["sqs:SendMessage"],
      Resource: access.sendsTo.map((queue) => resources.queueArn(queue)),
    });
  }

  for (const kind of SECRETS_READ[fn]) {
    // Tenants come and go without touching this policy: names match every tenant's secret of the
    // kind (`siesa-integration/<tenant>/<system>-` and the six characters AWS appends), and the stack
    // tag, set on each tenant's secrets, keeps staging functions away from production secrets in the
    // same account.
    statements.push({
      Sid: `Read${capitalise(kind)}Secrets`,
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: secretSystems(kind).map((system) => resources.tenantSecretArnPattern(system)),
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
  if (access.readsSchedules) {
    statements.push({
      Sid: "ReadSchedules",
      Effect: "Allow",
      Action: ["scheduler:GetSchedule"],
      Resource: [required(resources.schedulesArnPattern, fn, "schedulesArnPattern")],
    });
  }
  if (access.notifyTopics) {
    statements.push({
      Sid: "PublishToNotifyTopics",
      Effect: "Allow",
      Action: ["sns:Publish"],
      Resource: [required(resources.notifyTopicArnPattern, fn, "notifyTopicArnPattern")],
    });
  }
  if (access.health) {
    // GET /health describes every table and queue of the stack.
    const tables = Object.keys(TABLE_DEFINITIONS) as TableKind[];
    statements.push(
      {
        Sid: "DescribeTables",
        Effect: "Allow",
        Action: ["dynamodb:DescribeTable"],
        Resource: tables.map((kind) => resources.tableArn(kind)),
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

/** Secrets Manager ARN pattern of one system's secret of every tenant (`siesa-integration/<tenant>/<system>`). */
export const tenantSecretArnPattern = (region: string, accountId: string, system: string): string =>
  `arn:aws:secretsmanager:${region}:${accountId}:secret:${PROJECT}/*/${system}-??????`;

/** The ARN of every tenant's email topic but the tenant id. */
export const notifyTopicArnPrefix = (region: string, accountId: string, stack: string): string =>
  `arn:aws:sns:${region}:${accountId}:${notifyTopicName(stack, "")}`;

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function required<T>(value: T | undefined, fn: FunctionName, what: string): T {
  if (value === undefined) throw new Error(`function ${fn} needs ${what}, which was not given`);
  return value;
}
