/**
 * The whole deployed system on one machine (`npm start`), with no Docker and no AWS account:
 *
 *   local scheduler ─┐
 *   API (Hono) ──────┴─► fauxqs sync-requests ─► poller ─► dispatch ─► pages ─► poller ─► extract ─► loads ─► poller ─► load
 *                                                                      (embedded dynalite for runs, ledger, leases, audit)
 *
 * The queues, handlers and API are the deployed ones; only their surroundings are local: the
 * sandboxes stand in for Siesa and the product, the poller for Lambda's event source mapping, the
 * local scheduler for EventBridge Scheduler, the registry's `local` tenants for the tenants table.
 */
import { readFile } from "node:fs/promises";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { createApp } from "../api/app.js";
import { DEFAULT_PARTIAL_ABOVE, NOTIFY_KINDS } from "../core/domain/notification.js";
import {
  DEAD_LETTER_MAPPING,
  QUEUES,
  type QueueName,
  SETTLED_QUEUES,
  SWEEP_EVERY_MINUTES,
  type WorkerName,
} from "../core/domain/pipeline-config.js";
import type { Tenant } from "../core/domain/tenant.js";
import { type Log, logger } from "../core/observability/logger.js";
import type { TokenVerifier } from "../core/ports/api.js";
import { type CallPolicy, defaultPolicy } from "../core/ports/call-policy.js";
import type { QueueHandler, WorkerDependencies } from "../core/ports/dependencies.js";
import type { WebhookTarget } from "../core/ports/notifier.js";
import type { TenantCredentials } from "../core/ports/tenant-clients.js";
import { SqsNotifier } from "../edges/aws/notifications.js";
import { SqsPipelineQueues, SqsRedeliveryControl } from "../edges/aws/sqs.js";
import { createTokenVerifier, loadTokensFromEnv, newToken, tokenEntry } from "../edges/aws/tokens.js";
import { fetchWebhook } from "../edges/http/webhook.js";
import { serveLocally } from "../edges/local/http.js";
import { loggedEmail } from "../edges/local/logged-email.js";
import { loggedMetrics } from "../edges/local/metrics.js";
import { type Poller, startPoller } from "../edges/local/poller.js";
import { processLease } from "../edges/local/process-lease.js";
import { LocalScheduler } from "../edges/local/scheduler.js";
import { type LocalSqs, startLocalSqs } from "../edges/local/sqs.js";
import { localTenantDirectory, withSandboxUrls } from "../edges/local/tenants.js";
import { dynamoPipelineStore } from "../edges/store/dynamo.js";
import { DynamoNotificationMarks } from "../edges/store/notification-marks.js";
import { createApiDependencies } from "../wiring/api-dependencies.js";
import { clientsFor, streamClientsFor } from "../wiring/compose.js";
import { credentialsOf, localWebhook } from "../wiring/local-credentials.js";
import { dynamoDir, sandboxDir } from "../wiring/local-state.js";
import { openStore, type Store } from "../wiring/local-store.js";
import { loggingDenials, roleScope, scopeNotifyToRole } from "../wiring/role-scope.js";
import {
  type SandboxMode,
  startTenantSandboxes,
  type TenantSandboxes,
  type TenantSandboxOptions,
} from "../wiring/sandboxes.js";
import { loadTenants } from "../wiring/tenant-registry.js";
import { createSweeper, createWorkerHandlers } from "../workers/index.js";

export interface LocalStackOptions {
  /** Items in each local tenant's sandbox catalogue. Default: as kept in dataDir by the last command, else 1,000. */
  items?: number;
  /** Catalogue seed. Default: as kept, else 42. */
  seed?: number;
  /** API port; 0 (default) picks a free one. */
  port?: number;
  /** The operator token to accept; default a new random one (returned). */
  operatorToken?: string;
  /** Default "in-process"; see sandboxes.ts. */
  sandboxes?: SandboxMode;
  /** In-process sandboxes only: faults, malformed share, fixed ports. */
  sandboxOverrides?: TenantSandboxOptions["overrides"];
  /** The tenants to run; default the registry's `local` tenants (their URLs are replaced by the sandboxes'). */
  tenants?: Tenant[];
  /** Multiplies queue visibility timeouts (tests: below 1 to see failed messages again sooner). Default 1. */
  timeScale?: number;
  /** Backoff base of failed messages, in seconds. Default 1 (tests: 0). */
  retryBaseSeconds?: number;
  /** Call policy overrides for the outbound clients (tests: tiny delays). */
  policy?: Partial<CallPolicy>;
  /** Whether the local scheduler fires the tenants' schedules. Default true (benchmarks turn it off). */
  scheduler?: boolean;
  /** DynamoDB table prefix. Default `siesa-integration-local`. */
  tablePrefix?: string;
  /**
   * Keeps runs, ledger, leases and audit (dynalite on disk) and the in-process sandboxes' catalogue
   * and product records in this directory, so a restart keeps every tenant's history. In memory when
   * absent (tests).
   */
  dataDir?: string;
  log?: Log;
  /**
   * Wraps each worker's handler (tests: deliver every event twice, crash halfway through a batch…),
   * so the stack's behaviour under SQS's at-least-once delivery can be shown with the real handlers.
   */
  wrapHandlers?: (worker: WorkerName, handler: QueueHandler) => QueueHandler;
  /**
   * A webhook every local tenant notifies (`npm start`: SIESA_INTEGRATION_WEBHOOK_URL and _SECRET),
   * POSTed to for real; without it, only what the tenant files' notify asks (email is logged).
   */
  webhook?: WebhookTarget;
}

export interface LocalStack {
  /** e.g. http://127.0.0.1:8080 */
  apiUrl: string;
  operatorToken: string;
  /** The local tenants, with the sandboxes' URLs. */
  tenants: Tenant[];
  /** Per tenant id. */
  sandboxes: ReadonlyMap<string, TenantSandboxes>;
  sqs: Pick<LocalSqs, "endpoint" | "client" | "queues">;
  store: Pick<Store, "doc" | "names">;
  scheduler: LocalScheduler;
  /** Stops everything: scheduler, API, pollers (after their invocations in flight), queues, store, sandboxes. */
  close(): Promise<void>;
}

/** How long close() lets invocations in flight finish before tearing down what they use. */
const STOP_GRACE_MS = 10_000;

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? logger;
  const closers: { name: string; close: () => Promise<void> }[] = [];
  const closeAll = async () => {
    for (const { name, close } of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        log.warn("local stack: could not stop cleanly", { component: name, error: messageOf(error) });
      }
    }
  };

  try {
    const fileTenants = (options.tenants ?? (await loadTenants()).forEnvironment("local")).map((tenant) =>
      options.webhook ? withWebhook(tenant) : tenant,
    );
    // Checked before anything starts: a bad URL stops `npm start` naming the variable.
    const webhooks = localWebhook(options.webhook);
    if (fileTenants.length === 0)
      throw new Error('local stack: no tenant with environment "local" in tenants/');

    // First: the data directory is claimed with it, before anything else writes there.
    const store = await openStore({
      ...(options.tablePrefix ? { prefix: options.tablePrefix } : {}),
      ...(options.dataDir ? { path: dynamoDir(options.dataDir) } : {}),
    });
    closers.push({ name: "DynamoDB (dynalite)", close: store.close });

    const sandboxes = new Map<string, TenantSandboxes>();
    const credentials = new Map<string, TenantCredentials>();
    const tenants: Tenant[] = [];
    for (const tenant of fileTenants) {
      const started = await startTenantSandboxes(tenant, {
        mode: options.sandboxes ?? "in-process",
        ...(options.items !== undefined ? { items: options.items } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        overrides: {
          ...options.sandboxOverrides,
          ...(options.dataDir ? { stateDir: sandboxDir(options.dataDir, tenant.id) } : {}),
        },
      });
      closers.push({ name: `sandboxes of ${tenant.id}`, close: started.close });
      sandboxes.set(tenant.id, started);
      credentials.set(tenant.id, started.credentials);
      tenants.push(withSandboxUrls(tenant, started));
    }

    const sqs = await startLocalSqs({ timeScale: options.timeScale ?? 1 });
    closers.push({ name: "SQS (fauxqs)", close: sqs.close });
    const urls = {} as Record<QueueName, string>;
    for (const name of Object.keys(QUEUES) as QueueName[]) urls[name] = sqs.queues[name].url;
    const queues = new SqsPipelineQueues(sqs.client, urls);

    // Built now, started once the workers are: the sweeper's late check reads its schedules' states.
    const scheduler = new LocalScheduler({ tenants, queues, log });
    const workerDeps: WorkerDependencies = {
      tenants: localTenantDirectory(tenants),
      credentials: credentialsOf(credentials),
      queues,
      redelivery: new SqsRedeliveryControl(sqs.client, sqs.queueUrlOf),
      ...dynamoPipelineStore(store.doc, store.names),
      clientsFor: (tenant, tenantCredentials, policy) =>
        clientsFor(tenant, tenantCredentials, {
          policy: defaultPolicy({ retryAttempts: tenant.sync.retryAttempts, ...policy, ...options.policy }),
          log,
        }),
      streamClientsFor: (tenant, tenantCredentials, stream, policy) =>
        streamClientsFor(tenant, tenantCredentials, stream, {
          policy: defaultPolicy({ retryAttempts: tenant.sync.retryAttempts, ...policy, ...options.policy }),
          log,
        }),
      log,
      metrics: loggedMetrics(log),
      retryBaseSeconds: options.retryBaseSeconds ?? 1,
      now: () => new Date(),
      processLease: processLease(),
      notifier: new SqsNotifier(sqs.client, urls.notifications),
      schedules: scheduler,
    };
    // Each function gets only what its role grants in AWS, so a step that needs more fails here too.
    const asRole = roleScope(log);
    // Runs left open by a stack or `npm run sync` that was killed end now, not at their next trigger.
    const sweep = createSweeper(asRole("settle", workerDeps));
    await sweep();

    let apiUrl: string | undefined;
    const real = createWorkerHandlers(
      (worker) => asRole(worker, workerDeps),
      scopeNotifyToRole(
        {
          tenants: workerDeps.tenants,
          secrets: webhooks,
          marks: new DynamoNotificationMarks(store.doc, store.names.runs),
          email: loggedEmail(log),
          webhook: fetchWebhook(),
          apiUrl: () => apiUrl,
          log,
          metrics: workerDeps.metrics,
          redelivery: workerDeps.redelivery,
          retryBaseSeconds: workerDeps.retryBaseSeconds,
          now: workerDeps.now,
        },
        loggingDenials(log),
      ),
    );
    const wrap = options.wrapHandlers ?? ((_worker: WorkerName, handler: QueueHandler) => handler);
    const handlers = {} as Record<WorkerName, QueueHandler>;
    for (const worker of Object.keys(real) as WorkerName[]) handlers[worker] = wrap(worker, real[worker]);
    const pollers: Poller[] = (Object.keys(QUEUES) as QueueName[]).map((name) =>
      startPoller({
        sqs: sqs.client,
        queueUrl: sqs.queues[name].url,
        queueArn: sqs.queues[name].arn,
        mapping: QUEUES[name],
        handler: handlers[QUEUES[name].consumer],
        log,
      }),
    );
    // What lands in a dead-letter queue is counted by settle, as in AWS; the notifications' stay.
    pollers.push(
      ...SETTLED_QUEUES.map((name) =>
        startPoller({
          sqs: sqs.client,
          queueUrl: sqs.queues[name].deadLetter.url,
          queueArn: sqs.queues[name].deadLetter.arn,
          mapping: DEAD_LETTER_MAPPING,
          handler: handlers.settle,
          log,
        }),
      ),
    );
    closers.push({
      name: "pollers",
      close: async () => {
        const stopped = Promise.all(pollers.map((p) => p.stop()));
        const timedOut = await Promise.race([
          stopped.then(() => false),
          sleep(STOP_GRACE_MS).then(() => true),
        ]);
        if (timedOut) log.warn("local stack: stopping without waiting longer for invocations in flight");
      },
    });

    if (options.scheduler ?? true) scheduler.start();
    closers.push({ name: "scheduler", close: async () => scheduler.stop() });
    // The sweeper's schedule: ends runs whose lease expired, recounts running ones.
    const sweeping = setInterval(() => {
      sweep().catch((error: unknown) => log.warn("local stack: sweep failed", { error: messageOf(error) }));
    }, SWEEP_EVERY_MINUTES * 60_000);
    sweeping.unref();
    closers.push({ name: "sweeper", close: async () => clearInterval(sweeping) });

    const operatorToken = options.operatorToken ?? newToken();
    const tokens: TokenVerifier = createTokenVerifier([
      tokenEntry(operatorToken, { kind: "operator" }, "local operator"),
      // Further tokens (e.g. a tenant-scoped one to try 403s) from SIESA_INTEGRATION_TOKENS(_FILE).
      ...(await loadTokensFromEnv()),
    ]);
    const api = createApiDependencies(asRole("api", workerDeps), {
      schedules: scheduler,
      tokens,
      version: await packageVersion(),
      probes: reachabilityProbes(store, sqs),
    });
    const server = await serveLocally(createApp(api, { log }).fetch, options.port ?? 0);
    apiUrl = server.url;
    closers.push({ name: "API server", close: server.close });

    return {
      apiUrl: server.url,
      operatorToken,
      tenants,
      sandboxes,
      sqs: { endpoint: sqs.endpoint, client: sqs.client, queues: sqs.queues },
      store: { doc: store.doc, names: store.names },
      scheduler,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** A local tenant that notifies the webhook `npm start` was given, besides what its file says. */
function withWebhook(tenant: Tenant): Tenant {
  const notify = tenant.notify ?? {
    emails: [],
    webhook: true,
    partialAbove: DEFAULT_PARTIAL_ABOVE,
    on: [...NOTIFY_KINDS],
  };
  return { ...tenant, notify: { ...notify, webhook: true } };
}

/** GET /health's checks: every table and queue answers. */
function reachabilityProbes(store: Store, sqs: LocalSqs): Record<string, () => Promise<void>> {
  const probes: Record<string, () => Promise<void>> = {};
  for (const table of Object.values(store.names)) {
    probes[table] = async () => {
      await store.client.send(new DescribeTableCommand({ TableName: table }));
    };
  }
  for (const queue of Object.values(sqs.queues)) {
    probes[queue.name] = async () => {
      await sqs.client.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["QueueArn"] }),
      );
    };
  }
  return probes;
}

async function packageVersion(): Promise<string> {
  const text = await readFile(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version?: string }).version ?? "0.0.0";
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
