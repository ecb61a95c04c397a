import type { Counts, Progress, ProgressDelta, RecordError } from "../domain/model.js";
import type { Tenant } from "../domain/tenant.js";
import type { DeactivationPass, ExtractUnit, LoadChunk, SyncRequest, VerifyRequest } from "./messages.js";
import type { Ledger, RunRecord, RunStatus, RunTrigger } from "./records.js";
import type { TenantCredentials } from "./tenant-clients.js";

/**
 * What the pipeline steps (start, dispatch, extract a unit, load records, the deactivation pass, the
 * end) depend on, and nothing else. Implementations: runtime/edges/store/ (DynamoDB, and in memory),
 * runtime/edges/aws/ (SQS, Secrets Manager, EventBridge Scheduler) and runtime/edges/local/ (fauxqs,
 * the local scheduler).
 */

export type { Ledger, LedgerEntry, LedgerPutResult } from "./records.js";

// ---- run state ---------------------------------------------------------------------------------

export interface RunEnd {
  status: RunStatus;
  finishedAt: string;
  durationMs: number;
  reason?: string;
  /** A verify run keeps its report. */
  verify?: RunRecord["verify"];
  /** Deactivations found but held for an operator's approval. */
  heldDeactivations?: RunRecord["heldDeactivations"];
  /** Every record read and given its outcome (RunRecord.complete). */
  complete?: true;
}

/** Which page of a run's exceptions (RunState.exceptions). */
export interface ExceptionsOptions {
  limit?: number;
  cursor?: string;
  from?: string;
  through?: string;
}

/** One record per run: what the API shows, and the flags the steps coordinate through. */
export interface RunState {
  /** Stores a new run; throws RunAlreadyExistsError rather than overwrite one. */
  create(run: RunRecord): Promise<void>;
  get(tenantId: string, runId: string): Promise<RunRecord | undefined>;
  /** Finds a run by id alone (the API's GET /runs/:runId). */
  getById(runId: string): Promise<RunRecord | undefined>;
  /** A tenant's runs, newest first; pass `cursor` back for the next page. */
  list(
    tenantId: string,
    options?: { limit?: number; cursor?: string },
  ): Promise<{ runs: RunRecord[]; cursor?: string }>;
  /**
   * Keeps every error as one of the run's exceptions, one per record: a record's again replaces its
   * first. Steps call it before counting the errors' operation, on every delivery, so a worker that
   * dies after counting leaves them stored. `cleared`: records whose outcome is no exception now;
   * one an earlier delivery stored (it died before counting, and the record was written since) goes.
   */
  putExceptions(
    tenantId: string,
    runId: string,
    errors: RecordError[],
    cleared?: readonly string[],
  ): Promise<void>;
  /**
   * Appends errors to the run's first MAX_RUN_ERRORS (what the run itself shows); steps call it
   * after counting, only when their delivery counted the operation, so none is listed twice.
   */
  addErrors(tenantId: string, runId: string, errors: RecordError[]): Promise<void>;
  /**
   * One page of a run's exceptions in record order; pass `cursor` back for the next page. `from` and
   * `through`: only those of the records with keys in that span, both included (a stream's text keys).
   */
  exceptions(
    tenantId: string,
    runId: string,
    options?: ExceptionsOptions,
  ): Promise<{ exceptions: RecordError[]; cursor?: string }>;
  /** Ends a running run, once: of several concurrent callers exactly one gets true. */
  complete(tenantId: string, runId: string, end: RunEnd & { counts: Counts }): Promise<boolean>;
  /** Asks the run's workers to stop; the first reason is kept. */
  requestStop(tenantId: string, runId: string, reason: string): Promise<void>;
  /** A sync request that found this run holding the lease. */
  addSkipped(tenantId: string, runId: string, skipped: { trigger: RunTrigger; at: string }): Promise<void>;
  /** Counts units that gave up in a row (a success resets it); returns the streak. */
  unitOutcome(tenantId: string, runId: string, failed: boolean): Promise<number>;
  /** Records until when the run's Siesa calls wait (RunRecord.siesaPausedUntil); only a later time replaces one. */
  pauseSiesa(tenantId: string, runId: string, until: number): Promise<void>;
}

// ---- progress ----------------------------------------------------------------------------------

export type { Progress, ProgressDelta, UnitCounts } from "../domain/model.js";

/** An operation as it was applied: its counts, and what the step stored with it (a split's ranges). */
export interface AppliedOperation {
  delta: ProgressDelta;
  data?: Record<string, unknown>;
}

/** What an applied operation stored with it, by operation id. */
export interface OperationData {
  opId: string;
  data: Record<string, unknown>;
}

/**
 * A run's counters. Each operation (`dispatch`, `unit:<id>`, `split:<id>`, `plan:<id>`, `load:<chunk>`, `deactivation`) is applied
 * exactly once however often its message is delivered: a marker per operation (a constant size, not
 * growing with the run) and one counter the steps read to see whether the run is complete.
 */
/** One delivery writing a load chunk: its message, which delivery of it, and until when (epoch ms). */
export interface ChunkClaim {
  messageId: string;
  receiveCount: number;
  until: number;
}

/**
 * `after`: the claim an earlier delivery held (this one took over from it), or undefined when this
 * is the chunk's first delivery to write it.
 */
export type ClaimResult = { claimed: true; after?: ChunkClaim } | { claimed: false; holder: ChunkClaim };

export interface ProgressStore {
  /** The operation as applied, or undefined if it was not. */
  get(tenantId: string, runId: string, opId: string): Promise<AppliedOperation | undefined>;
  /**
   * Applies `delta` unless `opId` was applied before. Returns the run's totals right after this
   * call applied it (so the caller can tell whether it completed the run without another read), or
   * undefined when it had been applied already.
   */
  apply(
    tenantId: string,
    runId: string,
    opId: string,
    delta: ProgressDelta,
    data?: Record<string, unknown>,
  ): Promise<Progress | undefined>;
  /** The run's totals (one read). */
  read(tenantId: string, runId: string): Promise<Progress>;
  /**
   * The data stored with every applied operation whose id starts with `prefix`, a page at a time:
   * the keys each unit extracted and the rules its rejections broke, read once at the end of a run,
   * and by the next run's units. `finished`: the run is over, so a read that may lag its last
   * writes (at half the cost) is enough.
   */
  operations(
    tenantId: string,
    runId: string,
    prefix: string,
    options?: { finished?: boolean },
  ): AsyncIterable<OperationData[]>;
  /**
   * Reserves `count` consecutive positions in the run's sequence of load chunks and returns the
   * first: a load chunk takes its message group from its position, so a tenant's writes spread
   * evenly over its slots.
   */
  reservePositions(tenantId: string, runId: string, count: number): Promise<number>;
  /**
   * The totals summed from every applied operation's marker: exact even when the counter missed an
   * operation whose worker died between its marker and its count. Never written to the counter (an
   * addition still in flight would land on top and count its operation twice).
   */
  sum(tenantId: string, runId: string): Promise<Progress>;
  /**
   * Claims the writing of a load chunk for one delivery, so two copies of a chunk never write at
   * once. Granted when no claim is held, the one held has ended (`until` is not after `now`), or it
   * is an earlier delivery of the same message (SQS delivers a message again only once its earlier
   * delivery is over). Otherwise answers the claim that holds it.
   */
  claim(
    tenantId: string,
    runId: string,
    chunkId: string,
    claim: ChunkClaim,
    now: number,
  ): Promise<ClaimResult>;
}

// ---- lease -------------------------------------------------------------------------------------

/** Which process holds a local run's lease, so a lease whose process is gone can be released. */
export interface LeaseOwner {
  host: string;
  pid: number;
}

export interface Lease {
  runId: string;
  expiresAt: string;
  owner?: LeaseOwner;
}

export type AcquireResult =
  | { acquired: true /** An expired lease of another run this one replaced. */; replaced?: Lease }
  | { acquired: false; holder: Lease };

/** One run per tenant at a time (docs/architecture.md). */
export interface LeaseStore {
  /**
   * Takes the lease for `runId` (again, for the same run). A lease held by another run is taken
   * over when it expired, or when `isDead` says its holder is gone.
   */
  acquire(
    tenantId: string,
    runId: string,
    now: Date,
    durationMs: number,
    options?: { owner?: LeaseOwner; isDead?: (lease: Lease) => boolean },
  ): Promise<AcquireResult>;
  release(tenantId: string, runId: string): Promise<void>;
  /** As stored (possibly expired: compare `expiresAt` with the clock). */
  current(tenantId: string): Promise<Lease | undefined>;
}

// ---- audit and metrics -------------------------------------------------------------------------

export interface AuditEntry {
  action: string;
  runId?: string;
  detail?: Record<string, unknown>;
}

export interface AuditTrail {
  record(tenantId: string, entry: AuditEntry, now?: Date): Promise<void>;
}

/** Metrics the steps emit (Powertools EMF in AWS; logged locally; recorded in tests). */
export interface MetricsSink {
  count(name: string, value: number, dimensions: Record<string, string>): void;
  seconds(name: string, value: number, dimensions: Record<string, string>): void;
  flush(): void;
}

/** Everything a run's state lives in: DynamoDB in AWS and on disk locally, or memory. */
export interface PipelineStore {
  runs: RunState;
  progress: ProgressStore;
  lease: LeaseStore;
  ledger: Ledger;
  audit: AuditTrail;
}

// ---- queues ------------------------------------------------------------------------------------

export interface PipelineQueues {
  requestSync(request: SyncRequest): Promise<void>;
  requestVerify(request: VerifyRequest): Promise<void>;
  /** FIFO: MessageGroupId `<tenantId>#<slot>` with `concurrency` slots; dedup id `<runId>:<unitId>`. */
  sendUnits(units: ExtractUnit[], concurrency: number): Promise<void>;
  /** FIFO: MessageGroupId `<tenantId>#<slot>` with `concurrency` slots; dedup id `<runId>:<chunkId>`. */
  sendLoads(chunks: LoadChunk[], concurrency: number): Promise<void>;
  /** On the units queue, FIFO: MessageGroupId `<tenantId>#<slot>`; dedup id `<runId>:deactivation`. */
  sendDeactivationPass(pass: DeactivationPass, concurrency: number): Promise<void>;
}

/** Lets a failed message come back after `delaySeconds` instead of the whole visibility timeout. */
export interface RedeliveryControl {
  retryLater(queueArn: string, receiptHandle: string, delaySeconds: number): Promise<void>;
}

// ---- tenants, credentials, schedules -----------------------------------------------------------

/** The deployed tenants' configuration (the tenants table in AWS, the tenant files locally). */
export interface TenantDirectory {
  get(tenantId: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
}

/** A tenant's Siesa and product credentials (Secrets Manager in AWS). */
export interface CredentialSource {
  /** Throws CredentialsError naming the secret (never its value) when missing or malformed. */
  forTenant(tenant: Tenant): Promise<TenantCredentials>;
}

export class CredentialsError extends Error {
  override readonly name = "CredentialsError";
}

export type ScheduleState = "ENABLED" | "DISABLED";

/**
 * Each tenant's EventBridge Scheduler schedules (a local scheduler when running locally), one per
 * stream, each named by the stream's scope (`streamScope`): the bare tenant id is the catalogue's.
 */
export interface ScheduleControl {
  /** undefined when the tenant has no schedule (not deployed). */
  getState(tenantId: string): Promise<ScheduleState | undefined>;
  /**
   * Its state and when the schedule last changed (a resume, a deploy), where the scheduler can tell:
   * a tenant resumed after a pause is not late until its schedule had time to fire.
   */
  describe(tenantId: string): Promise<{ state: ScheduleState; changedAt?: Date } | undefined>;
  setState(tenantId: string, state: ScheduleState): Promise<void>;
  /** When the schedule really fires next, where the scheduler can tell (the local one can; AWS's cannot). */
  nextFire?(tenantId: string): Date | undefined;
}

// ---- deliveries --------------------------------------------------------------------------------

/** What a step knows of the delivery of its message. */
export interface Delivery {
  /** No more deliveries after this one: a failure now is final. */
  final: boolean;
  /** 1 on the first delivery: only a later one can find its own earlier work to repeat or skip. */
  receiveCount: number;
  /** When the invocation will be stopped (epoch ms), if it will. */
  deadline?: number;
}

/** The pages of a run's history the stores serve, and what they keep of each error. */
/** A run keeps its first errors only: enough to diagnose, and the item stays far below 400 KB. */
export const MAX_RUN_ERRORS = 50;
export const DEFAULT_RUNS_PAGE = 20;
export const MAX_RUNS_PAGE = 100;
export const DEFAULT_EXCEPTIONS_PAGE = 100;
export const MAX_EXCEPTIONS_PAGE = 1_000;
/** Longest reason kept (a product may answer with a whole HTML page). */
export const MAX_REASON_LENGTH = 1_000;
