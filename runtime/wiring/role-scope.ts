import { FUNCTION_ACCESS, type FunctionAccess, LEASE_ACTIONS, TABLE_ACTIONS } from "../../infra/access.js";
import { deadLetterSuffix, QUEUES, type QueueName } from "../core/domain/pipeline-config.js";
import { secretName } from "../core/domain/resource-names.js";
import { type FunctionName, SECRETS_READ, type SecretKind } from "../core/domain/secret-access.js";
import type { Tenant } from "../core/domain/tenant.js";
import type { Log } from "../core/observability/logger.js";
import type { RunDependencies, WorkerDependencies } from "../core/ports/dependencies.js";
import { ledgerOfStreams } from "../core/ports/ledger-streams.js";
import type { NotificationMarks, NotifyDependencies } from "../core/ports/notifier.js";
import type {
  AuditTrail,
  LeaseStore,
  Ledger,
  PipelineQueues,
  ProgressStore,
  RunState,
  TenantDirectory,
} from "../core/ports/pipeline.js";
import type { StreamClients, TenantCredentials } from "../core/ports/tenant-clients.js";

/**
 * One function's world as its role makes it: the dependency bag of the local stack or a test, cut
 * down to what infra/access.ts (FUNCTION_ACCESS) and SECRETS_READ grant that function. Everything
 * else is refused as AWS refuses it (AccessDeniedException naming the function, the action and the
 * resource), so a step that needs more than its role fails here as it would in AWS, not only there.
 */

export class AccessDeniedError extends Error {
  override readonly name = "AccessDeniedException";
  constructor(
    readonly fn: FunctionName,
    readonly action: string,
    readonly resource: string,
  ) {
    super(
      `function ${fn} is not authorized to perform ${action} on ${resource} (its role: infra/access.ts, runtime/core/domain/secret-access.ts)`,
    );
  }
}

type TableKind = keyof FunctionAccess["tables"];

/**
 * The DynamoDB action behind each method of the store ports (runtime/edges/store/), and its table: runs
 * and progress live in the runs table, leases in the tenants table (`lease#` keys), the audit is
 * only ever added to. Exhaustive by type: a new port method must say what it does here.
 */
const RUNS: Record<keyof RunState, string> = {
  create: "dynamodb:PutItem",
  get: "dynamodb:GetItem",
  getById: "dynamodb:Query",
  list: "dynamodb:Query",
  putExceptions: "dynamodb:BatchWriteItem",
  addErrors: "dynamodb:UpdateItem",
  exceptions: "dynamodb:Query",
  complete: "dynamodb:UpdateItem",
  requestStop: "dynamodb:UpdateItem",
  addSkipped: "dynamodb:UpdateItem",
  unitOutcome: "dynamodb:UpdateItem",
  pauseSiesa: "dynamodb:UpdateItem",
};
const PROGRESS: Record<keyof ProgressStore, string> = {
  get: "dynamodb:GetItem",
  apply: "dynamodb:UpdateItem",
  read: "dynamodb:BatchGetItem",
  operations: "dynamodb:Query",
  reservePositions: "dynamodb:UpdateItem",
  sum: "dynamodb:Query",
  claim: "dynamodb:PutItem",
};
const LEDGER: Record<keyof Ledger, string> = {
  getMany: "dynamodb:BatchGetItem",
  putMany: "dynamodb:PutItem",
  all: "dynamodb:Query",
};
const AUDIT: Record<keyof AuditTrail, string> = { record: "dynamodb:PutItem" };
const TENANTS: Record<keyof TenantDirectory, string> = { get: "dynamodb:GetItem", list: "dynamodb:Scan" };
/** Taking and giving back a lease writes a `lease#` item; reading one is a read of the tenants table. */
const LEASE: Record<keyof LeaseStore, string> = {
  acquire: "dynamodb:PutItem",
  release: "dynamodb:DeleteItem",
  current: "dynamodb:GetItem",
};
const SENDS: Record<keyof PipelineQueues, QueueName> = {
  requestSync: "syncRequests",
  sendUnits: "units",
  sendLoads: "loads",
  requestVerify: "verifyRequests",
  sendDeactivationPass: "units",
};

/** The API's RunDependencies, or a worker's (with the tenants' clients). */
export type ScopableDependencies = RunDependencies &
  Partial<Pick<WorkerDependencies, "clientsFor" | "streamClientsFor">>;

/** Options: `onDenied` hears of every refusal (a test fails on one even when a retry swallowed it). */
export interface RoleScopeOptions {
  onDenied?: (error: AccessDeniedError) => void;
}

/** What function `fn`'s role grants, and how a call it does not grant is refused. */
function grantsOf(fn: FunctionName, options: RoleScopeOptions) {
  const access = FUNCTION_ACCESS[fn];
  const deny = (action: string, resource: string): never => {
    const error = new AccessDeniedError(fn, action, resource);
    options.onDenied?.(error);
    throw error;
  };
  const tableAllows = (kind: TableKind, action: string) => {
    const level = access.tables[kind];
    return level !== undefined && TABLE_ACTIONS[level].includes(action);
  };
  return { access, deny, tableAllows };
}

/** `deps` as function `fn`'s role sees it (the API's RunDependencies, or a worker's). */
export function scopeToRole<D extends ScopableDependencies>(
  fn: FunctionName,
  deps: D,
  options: RoleScopeOptions = {},
): D {
  const { access, deny, tableAllows } = grantsOf(fn, options);
  const table =
    <T extends object>(kind: TableKind, actions: Record<keyof T, string>) =>
    (target: T): T =>
      guarded(target, actions, (action) => {
        if (!tableAllows(kind, action)) deny(action, `table ${kind}`);
      });
  const lease = guarded(deps.lease, LEASE, (action) => {
    const allowed = LEASE_ACTIONS.includes(action) ? access.leases : tableAllows("tenants", action);
    if (!allowed) deny(action, "table tenants, lease# items");
  });
  const sending = (method: keyof PipelineQueues, send: () => Promise<void>) => {
    const queue = SENDS[method];
    if (!access.sendsTo.includes(queue)) deny("sqs:SendMessage", `queue ${QUEUES[queue].suffix}`);
    return send();
  };
  const queues: PipelineQueues = {
    requestSync: (request) => sending("requestSync", () => deps.queues.requestSync(request)),
    sendUnits: (units, concurrency) => sending("sendUnits", () => deps.queues.sendUnits(units, concurrency)),
    sendLoads: (chunks, concurrency) =>
      sending("sendLoads", () => deps.queues.sendLoads(chunks, concurrency)),
    requestVerify: (request) => sending("requestVerify", () => deps.queues.requestVerify(request)),
    sendDeactivationPass: (pass, concurrency) =>
      sending("sendDeactivationPass", () => deps.queues.sendDeactivationPass(pass, concurrency)),
  };
  const notifier = deps.notifier;
  const schedules = deps.schedules;
  const secrets = SECRETS_READ[fn];

  const scoped: D = {
    ...deps,
    runs: table<RunState>("runs", RUNS)(deps.runs),
    progress: table<ProgressStore>("runs", PROGRESS)(deps.progress),
    ledger: ledgerOfStreams(
      table<Ledger>("ledger", LEDGER)(deps.ledger),
      table<Ledger>("streamLedger", LEDGER)(deps.ledger),
    ),
    audit: table<AuditTrail>("audit", AUDIT)(deps.audit),
    tenants: table<TenantDirectory>("tenants", TENANTS)(deps.tenants),
    lease,
    queues,
    ...(notifier
      ? {
          notifier: {
            notify: (events) => {
              if (!access.sendsTo.includes("notifications"))
                deny("sqs:SendMessage", `queue ${QUEUES.notifications.suffix}`);
              return notifier.notify(events);
            },
          },
        }
      : {}),
    ...(schedules
      ? {
          schedules: {
            describe: (tenantId: string) => {
              if (!access.readsSchedules && !access.schedules)
                deny("scheduler:GetSchedule", `schedule of tenant ${tenantId}`);
              return schedules.describe(tenantId);
            },
          },
        }
      : {}),
    redelivery: {
      retryLater: (queueArn, receiptHandle, delaySeconds) => {
        if (!consumes(fn, access, queueArn)) deny("sqs:ChangeMessageVisibility", `queue ${queueArn}`);
        return deps.redelivery.retryLater(queueArn, receiptHandle, delaySeconds);
      },
    },
    credentials: {
      forTenant: async (tenant) => {
        // A function that reads no secret asks for none (as runtime/edges/aws/secrets.ts).
        const credentials = secrets.length > 0 ? await deps.credentials.forTenant(tenant) : undefined;
        return {
          siesa: credentials && secrets.includes("siesa") ? credentials.siesa : unread(tenant, "siesa", deny),
          product:
            credentials && secrets.includes("product")
              ? credentials.product
              : unread(tenant, "product", deny),
        } as TenantCredentials;
      },
    },
  };
  // A stand-in client (tests) never reads its credentials: calling it is what needs the secret.
  const withSecrets = <C extends StreamClients>(clients: C, tenant: Tenant): C => ({
    ...clients,
    siesa: secrets.includes("siesa") ? clients.siesa : refusing(clients.siesa, tenant, "siesa", deny),
    product: secrets.includes("product")
      ? clients.product
      : refusing(clients.product, tenant, "product", deny),
    ...(clients.reader && !secrets.includes("product")
      ? { reader: refusing(clients.reader, tenant, "product", deny) }
      : {}),
  });
  const { clientsFor, streamClientsFor } = deps;
  if (clientsFor)
    (scoped as ScopableDependencies).clientsFor = (tenant, credentials, policy) =>
      withSecrets(clientsFor(tenant, credentials, policy), tenant);
  if (streamClientsFor)
    (scoped as ScopableDependencies).streamClientsFor = (tenant, credentials, stream, policy) =>
      withSecrets(streamClientsFor(tenant, credentials, stream, policy), tenant);
  return scoped;
}

const MARKS: Record<keyof NotificationMarks, string> = {
  claim: "dynamodb:PutItem",
  markDelivered: "dynamodb:PutItem",
  release: "dynamodb:PutItem",
};

/** The notify worker's dependencies as its role sees them (as `scopeToRole` for the others). */
export function scopeNotifyToRole(
  deps: NotifyDependencies,
  options: RoleScopeOptions = {},
): NotifyDependencies {
  const fn: FunctionName = "notify";
  const { access, deny, tableAllows } = grantsOf(fn, options);
  return {
    ...deps,
    tenants: guarded(deps.tenants, TENANTS, (action) => {
      if (!tableAllows("tenants", action)) deny(action, "table tenants");
    }),
    marks: guarded(deps.marks, MARKS, (action) => {
      if (!tableAllows("runs", action)) deny(action, "table runs");
    }),
    secrets: {
      webhookOf: (tenant) => {
        if (!SECRETS_READ[fn].includes("notify"))
          deny("secretsmanager:GetSecretValue", secretOf(tenant, "notify"));
        return deps.secrets.webhookOf(tenant);
      },
    },
    email: {
      send: (tenantId, subject, text) => {
        if (!access.notifyTopics) deny("sns:Publish", `topic of tenant ${tenantId}`);
        return deps.email.send(tenantId, subject, text);
      },
    },
    redelivery: {
      retryLater: (queueArn, receiptHandle, delaySeconds) => {
        if (!consumes(fn, access, queueArn)) deny("sqs:ChangeMessageVisibility", `queue ${queueArn}`);
        return deps.redelivery.retryLater(queueArn, receiptHandle, delaySeconds);
      },
    },
  };
}

/** The local stack's scoping options: each refusal is also logged, naming what the role lacks. */
export function loggingDenials(log: Log): RoleScopeOptions {
  return {
    onDenied: (error) =>
      log.error("refused: the function's role does not grant this", {
        function: error.fn,
        action: error.action,
        resource: error.resource,
      }),
  };
}

/** `scopeToRole` for the local stack, refusals logged. */
export function roleScope(log: Log) {
  const options = loggingDenials(log);
  return <D extends ScopableDependencies>(fn: FunctionName, deps: D): D => scopeToRole(fn, deps, options);
}

/** Calls of `actions`' methods pass `check` first; any other method of the port is refused outright. */
function guarded<T extends object>(
  target: T,
  actions: Record<keyof T, string>,
  check: (action: string) => void,
): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (typeof value !== "function" || typeof key !== "string") return value;
      const action = (actions as Record<string, string | undefined>)[key];
      if (action === undefined) {
        return () => {
          throw new Error(`role scope: ${String(key)} is not a port method (runtime/wiring/role-scope.ts)`);
        };
      }
      return (...args: unknown[]) => {
        check(action);
        return value.apply(object, args);
      };
    },
  });
}

/** Whether `fn` consumes the queue of `queueArn` (its own queue, or the dead-letter queues for settle). */
function consumes(fn: FunctionName, access: FunctionAccess, queueArn: string): boolean {
  const name = queueArn.slice(queueArn.lastIndexOf(":") + 1);
  return (Object.keys(QUEUES) as QueueName[]).some((queue) => {
    const spec = QUEUES[queue];
    if (name.endsWith(deadLetterSuffix(spec))) return access.deadLetters === true && !spec.keepDeadLetters;
    return name.endsWith(spec.suffix) && spec.consumer === fn;
  });
}

type Deny = (action: string, resource: string) => never;

const secretOf = (tenant: Tenant, kind: SecretKind) =>
  `secret ${secretName(tenant.id, kind === "product" ? tenant.product.type : kind)}`;

/** Credentials the role does not read: any field read is refused (as runtime/edges/aws/secrets.ts does). */
function unread(tenant: Tenant, kind: SecretKind, deny: Deny): Record<string, string> {
  const fields = kind === "siesa" ? ["conniKey", "conniToken"] : ["username", "password"];
  const credentials: Record<string, string> = {};
  for (const field of fields) {
    Object.defineProperty(credentials, field, {
      enumerable: true,
      get: () => deny("secretsmanager:GetSecretValue", secretOf(tenant, kind)),
    });
  }
  return credentials;
}

/** A client whose every call is refused: talking to that side needs the secret the role lacks. */
function refusing<T extends object>(client: T, tenant: Tenant, kind: SecretKind, deny: Deny): T {
  return new Proxy(client, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (typeof value !== "function") return value;
      return () => deny("secretsmanager:GetSecretValue", secretOf(tenant, kind));
    },
  });
}
