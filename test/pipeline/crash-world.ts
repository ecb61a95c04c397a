import { AsyncLocalStorage } from "node:async_hooks";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import {
  DEAD_LETTER_MAPPING,
  QUEUES,
  type QueueName,
  type WorkerName,
} from "../../runtime/core/domain/pipeline-config.js";
import type { WorkerDependencies } from "../../runtime/core/ports/dependencies.js";
import type { Ledger, RedeliveryControl, RunState } from "../../runtime/core/ports/pipeline.js";
import { SqsPipelineQueues, SqsRedeliveryControl } from "../../runtime/edges/aws/sqs.js";
import { toSqsEvent } from "../../runtime/edges/local/poller.js";
import type { LocalSqs } from "../../runtime/edges/local/sqs.js";
import { type StepQueue, StepQueues, toEvent } from "./step-queues.js";
import type { QueuePort, StepWorld } from "./step-world.js";

// A process that dies: every call a step makes to the store, the queues or the product passes a
// crash point before and after it. When the plan says so, that invocation stops dead there (its
// promise never settles, nothing after it runs, nothing is deleted from the queue), exactly as
// when Lambda times out or runs out of memory. The message comes back after its visibility timeout.
// The messages live on the step queues (step-queues.ts) or on the local SQS (fauxqs): there, what
// comes back when, in which order and with which receive count, and when a message goes to its
// dead-letter queue, is the emulator's; the scenario's clock is the process's Date, which the test
// moves (\`onLocalSqs\`).

export interface CrashPlan {
  /** Die at these crash points, counted over the whole scenario from 0. */
  at: ReadonlySet<number>;
  /**
   * Die at these occurrences of a crash point (`CrashController.occurrences`): unlike a count over the scenario, not
   * moved by calls running beside each other (a chunk's ledger writes beside its product writes) that
   * land in another order on another day.
   */
  atOccurrences?: ReadonlySet<string>;
  /** Deliver every n-th message to two invocations at once (0: never). */
  duplicateEvery: number;
  /** How a crashed message comes back: at once, later, or after FIFO's deduplication window. */
  redelivery: "at-once" | "after-visibility" | "after-dedup-window";
  /** Called after each invocation that died, before its message comes back (Siesa changing meanwhile). */
  onDeath?: (world: StepWorld<QueuePort>, deaths: number) => void;
  /** Loads of different message groups run at the same time, as Lambda runs them (default: one by one). */
  parallelLoads?: boolean;
}

/** One invocation of a handler: how to kill it, and when it read each record's ledger entry. */
interface Invocation {
  die(): void;
  /** Died at a crash point: none of its calls goes out any more, whichever of its promises made it. */
  dead: boolean;
  ledgerReadAt: Map<string, number>;
}

/**
 * One for every controller: each AsyncLocalStorage that ran stays enabled while any of its
 * invocations is pending, and a crashed one is pending for ever, so one per scenario would make
 * every promise of the later scenarios pay for all the earlier ones.
 */
const invocations = new AsyncLocalStorage<Invocation>();

export class CrashController {
  hits = 0;
  crashed: string[] = [];
  /** Every crash point passed, in order (a crash point's number is its index). */
  passed: string[] = [];
  /** The same, each as `CrashPlan.atOccurrences` names it: `<point>#<how many passed it before>`. */
  occurrences: string[] = [];
  /** Records written to the product again although the ledger already had this run's write. */
  rewrites: string[] = [];
  /** Records written to the product after their chunk was counted with them failed or rejected. */
  writesAfterCount: string[] = [];
  readonly #counted = new Set<string>();
  /** The invocation a crash point belongs to (two may run at once). */
  readonly #invocation = invocations;
  /** Orders ledger reads and writes across invocations. */
  #tick = 0;
  readonly #ledgerWrittenAt = new Map<string, number>();
  /** How often each crash point was passed so far. */
  readonly #occurrences = new Map<string, number>();

  constructor(private readonly plan: CrashPlan) {}

  /** Resolves at once, or never (and reports its invocation dead) when the plan crashes here. */
  point(where: string): Promise<void> {
    const invocation = this.#invocation.getStore();
    // A dead process makes no call, also from work it had running beside the call it died in.
    if (invocation?.dead) return this.unlessDead();
    const hit = this.hits++;
    const occurrence = `${where}#${this.#occurrences.get(where) ?? 0}`;
    this.#occurrences.set(where, (this.#occurrences.get(where) ?? 0) + 1);
    this.passed.push(where);
    this.occurrences.push(occurrence);
    const planned = this.plan.at.has(hit) || this.plan.atOccurrences?.has(occurrence) === true;
    if (!planned || !invocation) return Promise.resolve();
    this.crashed.push(`${hit} ${where}`);
    invocation.dead = true;
    invocation.die();
    return new Promise<void>(() => {});
  }

  /** Resolves at once, or never in an invocation that died: what it still had running stops there. */
  unlessDead(): Promise<void> {
    return this.#invocation.getStore()?.dead ? new Promise<void>(() => {}) : Promise.resolve();
  }

  /** Runs one invocation; resolves "died" if it hit a crash point on the way. */
  invoke<T>(run: () => Promise<T>): Promise<T | "died"> {
    let die!: () => void;
    const death = new Promise<"died">((resolve) => {
      die = () => resolve("died");
    });
    return Promise.race([this.#invocation.run({ die, dead: false, ledgerReadAt: new Map() }, run), death]);
  }

  /** The current invocation is about to read these records' ledger entries. */
  ledgerRead(keys: string[]): void {
    const at = ++this.#tick;
    for (const key of keys) this.#invocation.getStore()?.ledgerReadAt.set(key, at);
  }

  /** These records' ledger entries are stored (each scenario is one run: they are this run's). */
  ledgerWritten(keys: string[]): void {
    const at = ++this.#tick;
    for (const key of keys) if (!this.#ledgerWrittenAt.has(key)) this.#ledgerWrittenAt.set(key, at);
  }

  /** These records' outcomes were counted failed or rejected (their chunk's errors were added). */
  outcomesCounted(keys: string[]): void {
    for (const key of keys) this.#counted.add(key);
  }

  /**
   * The current invocation writes `key` to the product: a rewrite if the ledger held this run's
   * write of it before the invocation read the ledger (an invocation running beside the one that
   * wrote it, which read the ledger before that write landed, could not have known).
   */
  productWrite(key: string): void {
    if (this.#invocation.getStore()?.dead) return; // it never goes out
    if (this.#counted.has(key)) this.writesAfterCount.push(key);
    const written = this.#ledgerWrittenAt.get(key);
    if (written === undefined) return;
    const read = this.#invocation.getStore()?.ledgerReadAt.get(key);
    if (read === undefined || written < read) this.rewrites.push(key);
  }
}

/** Wraps every method of `target` with crash points before and after it. */
function crashing<T extends object>(target: T, name: string, crash: CrashController): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (typeof value !== "function") return value;
      // A listing (ledger.all, progress.operations) is read page by page: it can die before or after.
      if (value.constructor?.name === "AsyncGeneratorFunction") {
        return async function* (...args: unknown[]) {
          await crash.point(`before ${name}.${String(key)}`);
          yield* value.apply(object, args);
          await crash.point(`after ${name}.${String(key)}`);
        };
      }
      return async (...args: unknown[]) => {
        await crash.point(`before ${name}.${String(key)}`);
        // A call over the wire takes a turn of the event loop: work running beside it goes on meanwhile.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const result = await value.apply(object, args);
        await crash.point(`after ${name}.${String(key)}`);
        return result;
      };
    },
  });
}

/** The ledger, telling the controller when each invocation read an entry and when one was stored. */
function observedLedger(ledger: Ledger, crash: CrashController): Ledger {
  return {
    getMany: (tenantId, keys) => {
      crash.ledgerRead(keys);
      return ledger.getMany(tenantId, keys);
    },
    putMany: async (tenantId, entries) => {
      const result = await ledger.putMany(tenantId, entries);
      const refused = new Set(result.refused);
      crash.ledgerWritten(entries.flatMap((e) => (refused.has(e.key) ? [] : [e.key])));
      return result;
    },
    all: async function* (tenantId) {
      yield* ledger.all(tenantId);
    },
  };
}

/** The run state, telling the controller which records a counted chunk reported failed or rejected. */
function observedRuns(runs: RunState, crash: CrashController): RunState {
  return new Proxy(runs, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      // Called on the store itself: its methods use its private fields.
      if (key !== "addErrors") return typeof value === "function" ? value.bind(object) : value;
      return async (...args: Parameters<RunState["addErrors"]>) => {
        await object.addErrors(...args);
        crash.outcomesCounted(args[2].map((e) => e.key));
      };
    },
  });
}

/** The world's handlers again, over ports that crash where the plan says. */
export function crashingHandlers(world: StepWorld<QueuePort>, crash: CrashController) {
  const deps: WorkerDependencies = {
    ...world.deps,
    runs: crashing(observedRuns(world.store.runs, crash), "runs", crash),
    progress: crashing(world.store.progress, "progress", crash),
    lease: crashing(world.store.lease, "lease", crash),
    ledger: crashing(observedLedger(world.store.ledger, crash), "ledger", crash),
    audit: crashing(world.store.audit, "audit", crash),
    queues: crashing(world.queues, "queues", crash),
    clientsFor: (tenant, credentials, policy) => {
      const clients = world.deps.clientsFor(tenant, credentials, policy);
      const product = crashing(clients.product, "product", crash);
      return {
        ...clients,
        product: {
          ...product,
          type: clients.product.type,
          login: () => product.login(),
          write: async (record, knownProductId) => {
            crash.productWrite(record.key);
            return product.write(record, knownProductId);
          },
          // A deactivation is a write like any other: once per record.
          patch: async (productId, record) => {
            crash.productWrite(record.key);
            return product.patch(productId, record);
          },
        },
      };
    },
  };
  return world.handlersOver(deps);
}

/** One queue as the harness's event source sees it. */
interface HarnessQueue {
  readonly arn: string;
  /** Up to `max` messages, now in flight, as the records of the event Lambda builds. */
  receive(max: number): Promise<SQSRecord[]>;
  delete(receiptHandle: string): Promise<void>;
  /** Visible again at once; throws when the message is no longer in flight. */
  makeVisible(receiptHandle: string): Promise<void>;
}

interface HarnessQueues {
  queue(name: QueueName): HarnessQueue;
  deadLetter(name: QueueName): HarnessQueue;
  /** Nothing waiting or in flight on any queue or dead-letter queue. */
  empty(): Promise<boolean>;
}

function stepHarness(queues: StepQueues): HarnessQueues {
  const of = (queue: StepQueue): HarnessQueue => ({
    arn: queue.arn,
    receive: async (max) => toEvent(queue.receive(max), queue.arn).Records,
    delete: async (handle) => queue.delete(handle),
    makeVisible: async (handle) => queue.changeVisibility(handle, 0),
  });
  return {
    queue: (name) => of(queues.queues[name].queue),
    deadLetter: (name) => of(queues.queues[name].deadLetter),
    empty: async () => Object.values(queues.queues).every((q) => q.queue.size + q.deadLetter.size === 0),
  };
}

/**
 * The pipeline's queues on the local SQS, through the same adapter as in AWS (SqsPipelineQueues,
 * SqsRedeliveryControl), and the calls Lambda's event source makes, for the harness.
 */
export class LocalSqsQueues extends SqsPipelineQueues implements RedeliveryControl, HarnessQueues {
  readonly #redelivery: SqsRedeliveryControl;

  constructor(private readonly sqs: LocalSqs) {
    const urls = {} as Record<QueueName, string>;
    for (const name of Object.keys(QUEUES) as QueueName[]) urls[name] = sqs.queues[name].url;
    super(sqs.client, urls);
    this.#redelivery = new SqsRedeliveryControl(sqs.client, sqs.queueUrlOf);
  }

  retryLater(queueArn: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    return this.#redelivery.retryLater(queueArn, receiptHandle, delaySeconds);
  }

  queue(name: QueueName): HarnessQueue {
    return this.#of(this.sqs.queues[name]);
  }

  deadLetter(name: QueueName): HarnessQueue {
    return this.#of(this.sqs.queues[name].deadLetter);
  }

  async empty(): Promise<boolean> {
    const urls = Object.values(this.sqs.queues).flatMap((q) => [q.url, q.deadLetter.url]);
    for (const url of urls) {
      const { Attributes: counts = {} } = await this.sqs.client.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
      );
      const on =
        Number(counts.ApproximateNumberOfMessages) +
        Number(counts.ApproximateNumberOfMessagesNotVisible) +
        Number(counts.ApproximateNumberOfMessagesDelayed);
      if (on > 0) return false;
    }
    return true;
  }

  #of(queue: { url: string; arn: string }): HarnessQueue {
    const { client } = this.sqs;
    return {
      arn: queue.arn,
      receive: async (max) => {
        const { Messages: messages = [] } = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: Math.min(10, max),
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ["All"],
          }),
        );
        return toSqsEvent(messages, queue.arn).Records;
      },
      delete: async (handle) => {
        await client.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: handle }));
      },
      makeVisible: async (handle) => {
        await client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queue.url,
            ReceiptHandle: handle,
            VisibilityTimeout: 0,
          }),
        );
      },
    };
  }
}

/**
 * A world on the local SQS: its clock is the process's Date (fauxqs times visibility and FIFO
 * deduplication by it), which must be faked (`vi.useFakeTimers({ toFake: ["Date"] })`).
 */
export function onLocalSqs<W extends StepWorld<QueuePort>>(
  world: W,
  setSystemTime: (now: number) => void,
): W {
  setSystemTime(world.clock.now);
  const advance = world.clock.advance.bind(world.clock);
  world.clock.advance = (ms) => {
    advance(ms);
    setSystemTime(world.clock.now);
  };
  return world;
}

function harnessOf(queues: QueuePort): HarnessQueues {
  if (queues instanceof StepQueues) return stepHarness(queues);
  if (queues instanceof LocalSqsQueues) return queues;
  throw new Error("crash harness: the world's queues are neither the step queues nor the local SQS");
}

/**
 * Runs every queue (and dead-letter queue, through settle) until nothing is left, as Lambda's event
 * source mappings would, crashing and duplicating deliveries as the plan says. Returns the number
 * of invocations.
 */
export async function runToEnd(
  world: StepWorld<QueuePort>,
  crash: CrashController,
  plan: CrashPlan,
  maxRounds = 2_000,
): Promise<number> {
  const queues = harnessOf(world.queues);
  // A container whose invocation died is gone with what it held (its clients, its product slots):
  // the next invocations run in a fresh one.
  let handlers = crashingHandlers(world, crash);
  let invocations = 0;
  const deliver = async (queue: HarnessQueue, worker: WorkerName, batch: number): Promise<number> => {
    const handler = handlers[worker];
    if (plan.parallelLoads && worker === "load") {
      // Messages of different groups run at once; a group's messages in order, in one invocation.
      const received = await queue.receive(10);
      const groups = new Map<string, SQSRecord[]>();
      for (const record of received) {
        const group = record.attributes.MessageGroupId ?? record.messageId;
        groups.set(group, [...(groups.get(group) ?? []), record]);
      }
      await Promise.all([...groups.values()].map((records) => deliverOne(queue, handler, records)));
      return received.length;
    }
    return deliverOne(queue, handler, await queue.receive(batch));
  };
  let deaths = 0;
  const deliverOne = async (
    queue: HarnessQueue,
    handler: (typeof handlers)[WorkerName],
    records: SQSRecord[],
  ): Promise<number> => {
    if (records.length === 0) return 0;
    const event: SQSEvent = { Records: records };
    invocations++;
    const twice = plan.duplicateEvery > 0 && invocations % plan.duplicateEvery === 0;
    const runs = [crash.invoke(() => handler(event))];
    if (twice) runs.push(crash.invoke(() => handler(copyOf(event))));
    const answers = await Promise.all(runs);
    const answer = answers[0];
    if (answers.includes("died")) handlers = crashingHandlers(world, crash);
    if (answer === undefined || answer === "died") {
      plan.onDeath?.(world, ++deaths);
      await afterDeath(world, queue, records, plan);
      return records.length;
    }
    const failed = new Set(answer.batchItemFailures.map((f) => f.itemIdentifier));
    for (const r of records) if (!failed.has(r.messageId)) await queue.delete(r.receiptHandle);
    return records.length;
  };
  for (let round = 0; round < maxRounds; round++) {
    let handled = 0;
    for (const name of Object.keys(QUEUES) as QueueName[]) {
      handled += await deliver(queues.queue(name), QUEUES[name].consumer, QUEUES[name].batchSize);
      handled += await deliver(queues.deadLetter(name), "settle", DEAD_LETTER_MAPPING.batchSize);
    }
    if (handled === 0) {
      if (await queues.empty()) return invocations;
      world.clock.advance(60_000); // let messages in flight or backing off come back
    }
  }
  throw new Error(`the queues did not empty in ${maxRounds} rounds (crashes: ${crash.crashed.join("; ")})`);
}

const copyOf = (event: SQSEvent): SQSEvent => JSON.parse(JSON.stringify(event));

async function afterDeath(
  world: StepWorld<QueuePort>,
  queue: HarnessQueue,
  records: SQSRecord[],
  plan: CrashPlan,
) {
  if (plan.redelivery === "after-visibility") return; // back after the queue's visibility timeout
  for (const r of records) {
    try {
      await queue.makeVisible(r.receiptHandle);
    } catch {
      // the duplicate invocation finished it and it was deleted
    }
  }
  if (plan.redelivery === "after-dedup-window") world.clock.advance(6 * 60_000);
}
