/**
 * One run of one tenant in this process (`npm run sync`, `bench:sync`): the deployed pipeline's
 * steps and workers, fed through the same SQS adapter and the same event source (the local poller)
 * as `npm start`, against the local SQS (fauxqs). Only the store and the Lambda runtime differ from
 * AWS; every outcome is decided by the same code.
 */
import { randomUUID } from "node:crypto";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Counts, HeldDeactivations, RecordError, RunStatus, RunTrigger } from "../core/domain/model.js";
import {
  DEAD_LETTER_MAPPING,
  QUEUES,
  type QueueName,
  SETTLED_QUEUES,
  type WorkerName,
} from "../core/domain/pipeline-config.js";
import { countsOf } from "../core/domain/run-status.js";
import type { StreamName } from "../core/domain/stream.js";
import type { Tenant } from "../core/domain/tenant.js";
import type { Log } from "../core/observability/logger.js";
import { type CallPolicy, defaultPolicy } from "../core/ports/call-policy.js";
import type { QueueHandler, WorkerDependencies } from "../core/ports/dependencies.js";
import type {
  MetricsSink,
  PipelineQueues,
  PipelineStore,
  RedeliveryControl,
} from "../core/ports/pipeline.js";
import type { TenantCredentials } from "../core/ports/tenant-clients.js";
import { afterProgress } from "../core/steps/after-progress.js";
import { createPipelineContext, type PipelineContext } from "../core/steps/context.js";
import { expireRun } from "../core/steps/expire-run.js";
import { startRun } from "../core/steps/start-run.js";
import { SqsPipelineQueues, SqsRedeliveryControl } from "../edges/aws/sqs.js";
import { type DryRunChange, dryRunProduct, dryRunWriter } from "../edges/local/dry-run-product.js";
import { loggedMetrics } from "../edges/local/metrics.js";
import { type Poller, startPoller } from "../edges/local/poller.js";
import { processLease } from "../edges/local/process-lease.js";
import { type LocalSqs, startLocalSqs } from "../edges/local/sqs.js";
import { localTenantDirectory } from "../edges/local/tenants.js";
import { LedgerSnapshot } from "../edges/store/ledger-snapshot.js";
import { DryRunLedger, memoryPipelineStore } from "../edges/store/memory.js";
import { clientsFor, connectionsFor, streamClientsFor } from "../wiring/compose.js";
import { credentialsOf } from "../wiring/local-credentials.js";
import { roleScope } from "../wiring/role-scope.js";
import { createWorkerHandlers } from "../workers/index.js";

export interface InProcessRunOptions {
  /** The tenant as it should run (URLs already pointed at sandboxes or overrides). */
  tenant: Tenant;
  credentials: TenantCredentials;
  store: PipelineStore;
  log: Log;
  metrics?: MetricsSink;
  /** Compute every outcome but write nothing: not to the product, the ledger or the run history. */
  dryRun?: boolean;
  policy?: Partial<CallPolicy>;
  /** Backoff base of failed messages, in seconds. Default 1. */
  retryBaseSeconds?: number;
  /** Multiplies visibility timeouts (tests: failed messages come back sooner). Default 1. */
  timeScale?: number;
  /** A local SQS serving apart (benchmarks: sandbox/sqs-process.ts); default: one started here. */
  sqsEndpoint?: string;
  /** Called about twice a second with the run's counts so far. */
  onProgress?: (counts: Readonly<Counts>) => void;
  /**
   * Before starting the run, one quick call to each side (Siesa's smallest query, the product's
   * login): an unreachable host or refused credentials then fail at once, in one line, instead of
   * after every unit's retries. The CLI asks for it.
   */
  preflight?: boolean;
  /** The run whose held deactivations the operator approves for this one (start-run.ts). */
  approveDeactivationsOf?: string;
  /** A run of this one f120_id (and its barcodes): it deactivates nothing (start-run.ts). */
  item?: number;
  /** The stream to sync (default: the catalogue). */
  stream?: StreamName;
  /** What started the run (default `cli`; `npm run verify -- --repair` runs with `repair`). */
  trigger?: Extract<RunTrigger, "cli" | "repair">;
  /** Wraps each worker's handler (tests crash or duplicate deliveries with the real handlers). */
  wrapHandlers?: (worker: WorkerName, handler: QueueHandler) => QueueHandler;
  /** Wraps the queues the steps send to and put messages off through (bench:scale counts SQS requests). */
  wrapQueues?: (queues: PipelineQueues & RedeliveryControl) => PipelineQueues & RedeliveryControl;
}

export interface RunSummary {
  tenantId: string;
  runId: string;
  status: Exclude<RunStatus, "running">;
  counts: Counts;
  durationMs: number;
  /** The first 50 rejected or failed records with their reasons. */
  errors: RecordError[];
  /** Why the run ended failed or partial, when it says. */
  reason?: string;
  /** Deactivations found but held for approval (more than the tenant's limit). */
  heldDeactivations?: HeldDeactivations;
  /** Dry runs only: what would be written. */
  changes?: DryRunChange[];
}

export class RunNotStartedError extends Error {
  override readonly name = "RunNotStartedError";
}

const WATCH_MS = 50;
/** Load chunks waiting before extraction pauses: far more than any tenant's concurrency can write at once. */
const MAX_WAITING_CHUNKS = 200;
const PROGRESS_EVERY_MS = 500;
/** Queues empty and workers idle this long with the run still open: nothing can finish it any more. */
const STALLED_AFTER_MS = 2_000;

export async function runInProcess(options: InProcessRunOptions): Promise<RunSummary> {
  if (options.preflight) await preflight(options.tenant, options.credentials, options.log);
  const sqs = await startLocalSqs({
    timeScale: options.timeScale ?? 1,
    // Queues of their own on a local SQS serving apart: nothing an earlier run left is waited for.
    ...(options.sqsEndpoint
      ? { endpoint: options.sqsEndpoint, stack: `sync-${randomUUID().slice(0, 8)}` }
      : { stack: "sync" }),
  });
  try {
    return await runOn(sqs, options);
  } finally {
    await sqs.close();
  }
}

async function runOn(sqs: LocalSqs, options: InProcessRunOptions): Promise<RunSummary> {
  const { tenant, log } = options;
  const urls = {} as Record<QueueName, string>;
  for (const name of Object.keys(QUEUES) as QueueName[]) urls[name] = sqs.queues[name].url;
  const changes: DryRunChange[] = [];
  // The run's ledger is read once (this process holds the tenant's lease, so it is the only writer).
  const ledger = new LedgerSnapshot(options.store.ledger, tenant.id);
  const store: PipelineStore = options.dryRun
    ? memoryPipelineStore(new DryRunLedger(ledger))
    : { ...options.store, ledger };
  // The workers send, and put messages off, through the same adapter as in AWS.
  const redelivery = new SqsRedeliveryControl(sqs.client, sqs.queueUrlOf);
  const queues: PipelineQueues & RedeliveryControl = Object.assign(new SqsPipelineQueues(sqs.client, urls), {
    retryLater: redelivery.retryLater.bind(redelivery),
  });
  const sent = options.wrapQueues ? options.wrapQueues(queues) : queues;
  const deps: WorkerDependencies = {
    ...store,
    tenants: localTenantDirectory([tenant]),
    credentials: credentialsOf(new Map([[tenant.id, options.credentials]])),
    queues: sent,
    redelivery: sent,
    clientsFor: (t, credentials, policy) => {
      const clients = clientsFor(t, credentials, {
        policy: defaultPolicy({ retryAttempts: t.sync.retryAttempts, ...policy, ...options.policy }),
        log,
      });
      return options.dryRun ? { ...clients, product: dryRunProduct(clients.product, changes) } : clients;
    },
    streamClientsFor: (t, credentials, stream, policy) => {
      const clients = streamClientsFor(t, credentials, stream, {
        policy: defaultPolicy({ retryAttempts: t.sync.retryAttempts, ...policy, ...options.policy }),
        log,
      });
      return options.dryRun ? { ...clients, product: dryRunWriter(changes) } : clients;
    },
    log,
    metrics: options.metrics ?? loggedMetrics(log),
    retryBaseSeconds: options.retryBaseSeconds ?? 1,
    now: () => new Date(),
    processLease: processLease(),
  };

  // Each function gets only what its role grants in AWS, so a step that needs more fails here too.
  const asRole = roleScope(log);
  const handlers = createWorkerHandlers((worker) => asRole(worker, deps));
  const wrap = options.wrapHandlers ?? ((_worker: WorkerName, handler: QueueHandler) => handler);
  const settle = wrap("settle", handlers.settle);
  // SQS would hold any backlog of chunks; the local SQS holds them in this process's memory, so
  // extraction waits while enough are waiting to keep the product busy (memory stays flat at any
  // catalogue size).
  const holdWhile = async () => (await messagesOn(sqs.client, urls.loads)) > MAX_WAITING_CHUNKS;
  // No notifier here, so nothing reaches the notifications queue: only the run's own queues are polled.
  const pollers: Poller[] = SETTLED_QUEUES.flatMap((name) => [
    startPoller({
      sqs: sqs.client,
      queueUrl: sqs.queues[name].url,
      queueArn: sqs.queues[name].arn,
      mapping: QUEUES[name],
      handler: wrap(QUEUES[name].consumer, handlers[QUEUES[name].consumer]),
      log,
      ...(name === "units" ? { holdWhile } : {}),
    }),
    // What lands in a dead-letter queue is counted by settle, as in AWS.
    startPoller({
      sqs: sqs.client,
      queueUrl: sqs.queues[name].deadLetter.url,
      queueArn: sqs.queues[name].deadLetter.arn,
      mapping: DEAD_LETTER_MAPPING,
      handler: settle,
      log,
    }),
  ]);
  const pending = () => pendingOn(sqs);
  try {
    // Started as the API starts a manual run; watched as the sweeper watches one.
    const started = await startRun(asRole("api", deps), tenant, options.trigger ?? "cli", {
      ...(options.approveDeactivationsOf !== undefined
        ? { approveDeactivationsOf: options.approveDeactivationsOf }
        : {}),
      ...(options.item !== undefined ? { item: options.item } : {}),
      ...(options.stream !== undefined ? { stream: options.stream } : {}),
    });
    if (!started.started) {
      throw new RunNotStartedError(
        `tenant ${tenant.id} has a run in progress (${started.activeRunId}); it ends by itself, or when its process is gone`,
      );
    }
    const { runId } = started;
    const ctx = createPipelineContext(asRole("settle", deps));
    await watch(ctx, store, tenant.id, runId, pending, pollers, options.onProgress);
    const run = await store.runs.get(tenant.id, runId);
    if (!run || run.status === "running") throw new Error(`run ${runId} of ${tenant.id} vanished`);
    return {
      tenantId: tenant.id,
      runId,
      status: run.status,
      counts: run.counts,
      durationMs: run.durationMs ?? 0,
      errors: run.errors,
      ...(run.reason ? { reason: run.reason } : {}),
      ...(run.heldDeactivations ? { heldDeactivations: run.heldDeactivations } : {}),
      ...(options.dryRun ? { changes } : {}),
    };
  } finally {
    await Promise.all(pollers.map((p) => p.stop()));
  }
}

/** Messages on a queue: waiting, delayed or in flight. */
async function messagesOn(client: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes: counts = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return Object.values(counts).reduce((sum, count) => sum + Number(count), 0);
}

/** Messages on the run's queues (not their dead-letter queues, which settle empties as they come). */
async function pendingOn(sqs: LocalSqs): Promise<number> {
  const counts = await Promise.all(
    Object.values(sqs.queues).map((queue) => messagesOn(sqs.client, queue.url)),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}

/** One quick attempt at each side; throws the first side's error (it names the API and host). */
async function preflight(tenant: Tenant, credentials: TenantCredentials, log: Log): Promise<void> {
  const quick = defaultPolicy({
    retryAttempts: 1,
    timeoutMs: 10_000,
    maxDelayMs: 1_000,
    rateLimitRetries: 1,
  });
  const clients = connectionsFor(tenant, credentials, { policy: quick, log });
  const [siesa, product] = await Promise.allSettled([clients.siesa.ping(), clients.product.login()]);
  if (siesa.status === "rejected") throw new RunNotStartedError(messageOf(siesa.reason));
  if (product.status === "rejected") throw new RunNotStartedError(messageOf(product.reason));
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Waits until the run ends; reports progress; ends a run nothing can finish any more. */
async function watch(
  ctx: PipelineContext,
  store: PipelineStore,
  tenantId: string,
  runId: string,
  pending: () => Promise<number>,
  pollers: readonly Poller[],
  onProgress: InProcessRunOptions["onProgress"],
): Promise<void> {
  let lastProgress = 0;
  let idleSince: number | undefined;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
    const run = await store.runs.get(tenantId, runId);
    if (run?.status !== "running") return;
    const now = Date.now();
    if (onProgress && now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      onProgress(countsOf(await store.progress.read(tenantId, runId)));
    }
    const idle = pollers.every((p) => p.idle) && (await pending()) === 0;
    idleSince = idle ? (idleSince ?? now) : undefined;
    if (idleSince !== undefined && now - idleSince >= STALLED_AFTER_MS) {
      // First what the sweeper does: the totals summed again from the operations may complete it.
      const progress = await store.progress.sum(tenantId, runId);
      if (await afterProgress(ctx, tenantId, runId, progress)) return;
      // It sent more work (the deactivation pass's chunks): not stalled after all.
      if ((await pending()) > 0) {
        idleSince = undefined;
        continue;
      }
      await expireRun(ctx, tenantId, runId, "the run's queues emptied before every record had an outcome");
      return;
    }
  }
}
