import type { SQSEvent } from "aws-lambda";
import type { ProductRecord, SourceRecord } from "../../runtime/core/domain/model.js";
import type { QueueName, WorkerName } from "../../runtime/core/domain/pipeline-config.js";
import { QUEUES } from "../../runtime/core/domain/pipeline-config.js";
import type { FunctionName } from "../../runtime/core/domain/secret-access.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import type { QueueHandler, WorkerDependencies } from "../../runtime/core/ports/dependencies.js";
import type {
  MetricsSink,
  PipelineQueues,
  PipelineStore,
  RedeliveryControl,
} from "../../runtime/core/ports/pipeline.js";
import type { ProductClient } from "../../runtime/core/ports/product.js";
import type { RecordMapper } from "../../runtime/core/ports/records.js";
import type { ExtractOptions, KeyRange, RangeResult } from "../../runtime/core/ports/siesa.js";
import { SiesaUnconfirmedError } from "../../runtime/core/ports/siesa-errors.js";
import type { TenantClients } from "../../runtime/core/ports/tenant-clients.js";
import { createPipelineContext, type PipelineContext } from "../../runtime/core/steps/context.js";
import type { SiesaClient } from "../../runtime/edges/http/siesa/index.js";
import { localTenantDirectory } from "../../runtime/edges/local/tenants.js";
import { memoryPipelineStore } from "../../runtime/edges/store/memory.js";
import { credentialsOf } from "../../runtime/wiring/local-credentials.js";
import { type AccessDeniedError, scopeToRole } from "../../runtime/wiring/role-scope.js";
import { createWorkerHandlers } from "../../runtime/workers/index.js";
import { quietLog } from "../support/log.js";
import { aTenant } from "../tenants/factories.js";
import { type StepQueue, StepQueues, toEvent } from "./step-queues.js";

// Factories for the pipeline steps' unit tests: the real handlers over a store (the in-memory one
// unless the test passes another, e.g. DynamoDB over dynalite) and the step queues (step-queues.ts), a clock the test moves, and stand-ins for Siesa and the product that the test
// scripts (as Powertools' tests build SQS events from factories).

export const T0 = Date.parse("2026-11-30T10:00:00.000Z");

/** A Siesa catalogue of `count` items with f120_id 1..count, served a page (`pageSize`) at a time. */
export class FakeSiesa {
  readonly items: SourceRecord[];
  /** Called before each range is read: throw to make it fail, return "no records" to answer none. */
  onRead: (range: KeyRange) => undefined | "no records" = () => undefined;
  /** Called before absent ids are asked for again: throw to make it fail. */
  onConfirm: (absent: readonly number[]) => void = () => {};
  reads = 0;
  /** The ids each confirming read asked for. */
  readonly confirmed: number[][] = [];

  constructor(
    count: number,
    readonly pageSize = 100,
  ) {
    this.items = Array.from({ length: count }, (_, i) => ({
      key: String(i + 1),
      item: { f120_id: i + 1, name: `item ${i + 1}` },
      barcodes: [],
    }));
  }

  async extractRange(range: KeyRange, options: ExtractOptions = {}): Promise<RangeResult> {
    this.reads++;
    if (this.onRead(range) === "no records") return { kind: "records", records: [] };
    const inRange = this.items.filter((r) => Number(r.key) >= range.from && Number(r.key) < range.to);
    if (inRange.length <= this.pageSize || options.split === false)
      return { kind: "records", records: inRange };
    const ids = inRange.map((r) => Number(r.key));
    const cut = ids[Math.floor(ids.length / 2)] as number;
    return {
      kind: "split",
      ranges: [
        { from: range.from, to: cut },
        { from: cut, to: range.to },
      ],
    };
  }

  /** As strict as SiesaClient.stillAbsent: without a record read to witness the answer, it refuses. */
  async stillAbsent(absent: readonly string[], seen: readonly string[]): Promise<string[]> {
    if (seen.length === 0) throw new SiesaUnconfirmedError("no record read to witness a confirming read");
    this.confirmed.push(absent.map(Number));
    this.onConfirm(absent.map(Number));
    const present = new Set(this.items.map((r) => r.key));
    return absent.filter((key) => !present.has(key));
  }
}

/** A product that records every write; `failWith(key)` scripts an answer per record. */
export class FakeProduct {
  readonly type = "kong-rfid" as const;
  readonly writes: { record: ProductRecord; knownProductId?: string }[] = [];
  readonly held = new Map<string, Record<string, unknown>>();
  /** Creates per external id: exactly once means never 2. */
  readonly creates = new Map<string, number>();
  failWith: (record: ProductRecord) => Error | "rejected" | undefined = () => undefined;
  /** A write this answers true for never returns (the function stopped while the request was out). */
  hangOn: (record: ProductRecord) => boolean = () => false;
  /** Patches (deactivations) per product id. */
  readonly patches = new Map<string, number>();

  async login(): Promise<void> {}

  async patch(productId: string, record: ProductRecord) {
    const externalId = productId.replace(/^p-/, "");
    this.patches.set(productId, (this.patches.get(productId) ?? 0) + 1);
    const failure = this.failWith(record);
    if (failure === "rejected") return { outcome: "rejected" as const, reason: `refused (${record.key})` };
    if (failure) throw failure;
    const held = this.held.get(externalId);
    if (!held) return { outcome: "gone" as const };
    this.held.set(externalId, { ...held, ...record.payload });
    return { outcome: "updated" as const };
  }

  async write(record: ProductRecord, knownProductId?: string) {
    this.writes.push({ record, ...(knownProductId ? { knownProductId } : {}) });
    if (this.hangOn(record)) await new Promise(() => {});
    const failure = this.failWith(record);
    if (failure === "rejected")
      return { outcome: "rejected" as const, reason: `name: refused (${record.key})` };
    if (failure) throw failure;
    const existed = this.held.has(record.externalId);
    this.held.set(record.externalId, record.payload);
    if (!existed) this.creates.set(record.externalId, (this.creates.get(record.externalId) ?? 0) + 1);
    return {
      outcome: existed ? ("updated" as const) : ("created" as const),
      productId: `p-${record.externalId}`,
    };
  }
}

export const identityMapper: RecordMapper = {
  map: (source) => ({
    ok: true,
    record: {
      key: source.key,
      externalId: `SKU-${source.key}`,
      payload: { ...source.item, active: true },
    },
  }),
  inactive: { active: false },
};

/** Siesa items as Kong SKUs (the fields its sandbox requires), for worlds over Kong's real client. */
export const kongMapper: RecordMapper = {
  map: (source) => ({
    ok: true,
    record: {
      key: source.key,
      externalId: `SKU-${source.key}`,
      payload: {
        external_id: `SKU-${source.key}`,
        name: String(source.item.name),
        type_id: 1,
        group_id: 2,
        customer_id: 7,
      },
    },
  }),
};

export interface RecordedMetric {
  name: string;
  value: number;
  dimensions: Record<string, string>;
}

/** What the workers need of the queues: sending, and changing a received message's visibility. */
export type QueuePort = PipelineQueues & RedeliveryControl;

export interface StepWorld<Q extends QueuePort = StepQueues> {
  tenant: Tenant;
  store: PipelineStore;
  /** The step queues unless the world was given others (the crash harness: the local SQS). */
  queues: Q;
  siesa: FakeSiesa;
  product: FakeProduct;
  metrics: RecordedMetric[];
  /** Each worker over what its role grants; a call that uses more throws the refusal. */
  handlers: Record<WorkerName, QueueHandler>;
  /** Everything, for a test's own setup and checks (not what any function has). */
  ctx: PipelineContext;
  deps: WorkerDependencies;
  /** `deps` (or the given bag) as function `fn`'s role sees it; refusals are kept in `denied`. */
  scoped(fn: FunctionName, deps?: WorkerDependencies): WorkerDependencies;
  /** The workers over another bag (a test's wrapped ports), each scoped to its role like `handlers`. */
  handlersOver(deps: WorkerDependencies): Record<WorkerName, QueueHandler>;
  /** Every refusal so far: a step that needed more than its role grants. */
  denied: AccessDeniedError[];
  clock: { now: number; advance(ms: number): void };
}

export function stepWorld<Q extends QueuePort = StepQueues>(
  options: {
    items?: number;
    /** Rows per Siesa page (default 100): smaller means more units and splits for fewer items. */
    pageSize?: number;
    tenant?: Tenant;
    /** A real client instead of the fake (with a mapper that makes payloads it accepts). */
    productClient?: ProductClient;
    mapper?: RecordMapper;
    /** The run state: a fresh in-memory store unless given (one shared store needs a tenant per world). */
    store?: PipelineStore;
    /** Other queues than the step queues, given the world's clock. */
    queues?: (now: () => number) => Q;
  } = {},
): StepWorld<Q> {
  const tenant =
    options.tenant ??
    aTenant((t) => {
      t.sync = { ...t.sync, concurrency: 4 };
    });
  const clock = {
    now: T0,
    advance(ms: number) {
      clock.now += ms;
    },
  };
  const store = options.store ?? memoryPipelineStore();
  const queues = (options.queues?.(() => clock.now) ?? new StepQueues(() => clock.now)) as Q;
  const siesa = new FakeSiesa(options.items ?? 250, options.pageSize);
  const product = new FakeProduct();
  const metrics: RecordedMetric[] = [];
  const sink: MetricsSink = {
    count: (name, value, dimensions) => metrics.push({ name, value, dimensions }),
    seconds: (name, value, dimensions) => metrics.push({ name, value, dimensions }),
    flush: () => {},
  };
  const clients: TenantClients = {
    siesa: siesa as unknown as SiesaClient,
    product: (options.productClient ?? product) as unknown as TenantClients["product"],
    mapper: options.mapper ?? identityMapper,
  };
  const deps: WorkerDependencies = {
    ...store,
    tenants: localTenantDirectory([tenant]),
    credentials: credentialsOf(
      new Map([
        [
          tenant.id,
          {
            siesa: { conniKey: "fake", conniToken: "fake" },
            product: { username: "fake", password: "fake" },
          },
        ],
      ]),
    ),
    queues,
    redelivery: queues,
    clientsFor: () => clients,
    streamClientsFor: (_tenant, _credentials, stream) => {
      throw new Error(`the step world syncs the catalogue only (asked for ${stream})`);
    },
    log: quietLog,
    metrics: sink,
    retryBaseSeconds: 2,
    now: () => new Date(clock.now),
  };
  const denied: AccessDeniedError[] = [];
  const scoped = (fn: FunctionName, bag: WorkerDependencies = deps) =>
    scopeToRole(fn, bag, { onDenied: (error) => denied.push(error) });
  const handlersOver = (bag: WorkerDependencies) =>
    failingOnDenial(
      createWorkerHandlers((fn) => scoped(fn, bag)),
      denied,
    );
  return {
    tenant,
    store,
    queues,
    siesa,
    product,
    metrics,
    handlers: handlersOver(deps),
    ctx: createPipelineContext(deps),
    deps,
    scoped,
    handlersOver,
    denied,
    clock,
  };
}

/**
 * A refusal inside a handler is caught there like any error (the message is retried): the test sees
 * it anyway, as the error of the handler's call.
 */
function failingOnDenial(
  handlers: Record<WorkerName, QueueHandler>,
  denied: readonly AccessDeniedError[],
): Record<WorkerName, QueueHandler> {
  const failing = (handler: QueueHandler): QueueHandler => {
    return async (event, context) => {
      const before = denied.length;
      const answer = await handler(event, context);
      const refused = denied[before];
      if (refused) throw refused;
      return answer;
    };
  };
  return {
    dispatch: failing(handlers.dispatch),
    extract: failing(handlers.extract),
    load: failing(handlers.load),
    settle: failing(handlers.settle),
    verify: failing(handlers.verify),
    notify: failing(handlers.notify),
  };
}

/** Receives up to `max` messages from `queue` and builds the event Lambda would pass. */
export function receiveEvent(queue: StepQueue, max = 10): SQSEvent {
  return toEvent(queue.receive(max), queue.arn);
}

/** An event for a message that was never on a queue (a factory for a given body and receive count). */
export function eventOf(queue: StepQueue, body: unknown, receiveCount = 1): SQSEvent {
  queue.send(typeof body === "string" ? body : JSON.stringify(body), fifoOptions(queue, body));
  const [message] = queue.receive(1);
  if (!message) throw new Error(`queue ${queue.name}: the message was not received`);
  return toEvent([{ ...message, receiveCount }], queue.arn);
}

const fifoOptions = (queue: StepQueue, body: unknown) =>
  queue.fifo ? { groupId: "test", deduplicationId: JSON.stringify(body) } : {};

/**
 * What Lambda's event source mapping does, one step at a time: receives a batch, invokes the
 * queue's worker, deletes what succeeded. Returns how many messages were handled.
 */
export async function deliver(
  world: StepWorld,
  queue: QueueName,
  max = 10,
  /** Lambda's context: the time left of the invocation (none by default: no deadline). */
  context?: { getRemainingTimeInMillis(): number },
): Promise<number> {
  const pair = world.queues.queues[queue];
  const event = receiveEvent(pair.queue, max);
  if (event.Records.length === 0) return 0;
  const response = await world.handlers[QUEUES[queue].consumer](event, context);
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const record of event.Records)
    if (!failed.has(record.messageId)) pair.queue.delete(record.receiptHandle);
  return event.Records.length;
}

/** Delivers every visible message of every queue until none is left (each retry after its backoff). */
export async function drain(
  world: StepWorld,
  options: { batch?: number; maxRounds?: number } = {},
): Promise<void> {
  const maxRounds = options.maxRounds ?? 1_000;
  for (let round = 0; round < maxRounds; round++) {
    let handled = 0;
    for (const queue of ["syncRequests", "units", "loads", "verifyRequests"] as const)
      handled += await deliver(world, queue, options.batch);
    if (handled === 0) {
      if (world.queues.pending === 0) return;
      world.clock.advance(60_000); // let failed messages come back
    }
  }
  throw new Error(`queues not drained after ${maxRounds} rounds`);
}

/** A scheduled request a minute later, dispatched; returns the new run's id. */
export async function startScheduledRun(world: StepWorld): Promise<string> {
  world.clock.advance(60_000);
  const before = new Set((await world.store.runs.list(world.tenant.id)).runs.map((r) => r.runId));
  await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
  await deliver(world, "syncRequests");
  const run = (await world.store.runs.list(world.tenant.id)).runs.find((r) => !before.has(r.runId));
  if (!run) throw new Error("dispatch created no run (skipped: an earlier run still holds the lease?)");
  return run.runId;
}

/** Delivers a run's messages until its deactivation pass waits on the units queue (not delivered). */
export async function untilDeactivationPass(world: StepWorld): Promise<void> {
  const units = world.queues.queues.units.queue;
  const waiting = () =>
    units.bodies().some((body) => (JSON.parse(body) as { pass?: string }).pass === "deactivation");
  for (let round = 0; round < 100 && !waiting(); round++)
    for (const queue of ["syncRequests", "units", "loads"] as const) await deliver(world, queue);
  if (!waiting()) throw new Error("the run never asked for its deactivation pass");
}
