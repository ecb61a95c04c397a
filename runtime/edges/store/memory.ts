/**
 * The pipeline's state in this process's memory, with the same semantics as the DynamoDB stores
 * (conditional creates and completes, operations applied once, leases taken over only when expired or
 * dead): the steps' unit tests run on it, and a dry run keeps its journal in it. Values are copied in
 * and out, as a database would, so no caller can change stored state by holding a reference.
 */

import type {
  Counts,
  Progress,
  ProgressDelta,
  RecordError,
  RunRecord,
  RunTrigger,
} from "../../core/domain/model.js";
import { recordIdOf } from "../../core/domain/record-id.js";
import { addDelta, zeroProgress } from "../../core/domain/run-status.js";
import { DEFAULT_STREAM, parseScope } from "../../core/domain/stream.js";
import { mayReplace } from "../../core/ports/ledger-order.js";
import {
  type AcquireResult,
  type AppliedOperation,
  type AuditEntry,
  type AuditTrail,
  type ChunkClaim,
  type ClaimResult,
  type ExceptionsOptions,
  type Lease,
  type LeaseOwner,
  type LeaseStore,
  type Ledger,
  type LedgerEntry,
  type LedgerPutResult,
  MAX_RUN_ERRORS,
  type OperationData,
  type PipelineStore,
  type ProgressStore,
  type RunEnd,
  type RunState,
} from "../../core/ports/pipeline.js";
import type { LedgerRange } from "../../core/ports/records.js";
import { RunAlreadyExistsError, RunNotFoundError } from "../../core/ports/store-errors.js";
import {
  decodeExceptionsCursor,
  decodeRunsCursor,
  encodeExceptionsCursor,
  encodeRunsCursor,
} from "./cursor.js";
import {
  exceptionSortKey,
  exceptionSpan,
  exceptionsPageLimit,
  keptException,
  truncate,
} from "./exceptions.js";
import { isTakeable } from "./lease.js";
import { runsPageLimit } from "./runs.js";

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryRuns implements RunState {
  readonly #runs = new Map<string, RunRecord>();
  /** Each run's exceptions by their sort key (exceptions.ts), as the runs table keeps them. */
  readonly #exceptions = new Map<string, Map<string, RecordError>>();

  async create(run: RunRecord): Promise<void> {
    const id = `${run.tenantId}/${run.runId}`;
    if (this.#runs.has(id)) throw new RunAlreadyExistsError(run.tenantId, run.runId);
    this.#runs.set(id, copy({ ...run, errors: run.errors.slice(0, MAX_RUN_ERRORS) }));
  }

  async get(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    const run = this.#runs.get(`${tenantId}/${runId}`);
    return run ? this.#view(run) : undefined;
  }

  async getById(runId: string): Promise<RunRecord | undefined> {
    const run = [...this.#runs.values()].find((r) => r.runId === runId);
    return run ? this.#view(run) : undefined;
  }

  async list(
    tenantId: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<{ runs: RunRecord[]; cursor?: string }> {
    const limit = runsPageLimit(tenantId, options.limit);
    const after = options.cursor ? decodeRunsCursor(tenantId, options.cursor).runId : undefined;
    const all = [...this.#runs.values()]
      .filter((r) => r.tenantId === tenantId && (after === undefined || r.runId < after))
      .sort((a, b) => (a.runId < b.runId ? 1 : -1));
    const runs = all.slice(0, limit).map((r) => this.#view(r));
    const last = runs.at(-1);
    return all.length > limit && last ? { runs, cursor: encodeRunsCursor(tenantId, last.runId) } : { runs };
  }

  async putExceptions(
    tenantId: string,
    runId: string,
    errors: RecordError[],
    cleared: readonly string[] = [],
  ): Promise<void> {
    const id = `${tenantId}/${runId}`;
    const kept = this.#exceptions.get(id) ?? new Map<string, RecordError>();
    this.#exceptions.set(id, kept);
    for (const key of cleared) kept.delete(exceptionSortKey(runId, key));
    for (const error of errors) kept.set(exceptionSortKey(runId, error.key), keptException(error));
  }

  async addErrors(tenantId: string, runId: string, errors: RecordError[]): Promise<void> {
    const run = this.#existing(tenantId, runId);
    const room = MAX_RUN_ERRORS - run.errors.length;
    run.errors.push(...errors.slice(0, Math.max(0, room)).map(keptException));
  }

  async exceptions(
    tenantId: string,
    runId: string,
    options: ExceptionsOptions = {},
  ): Promise<{ exceptions: RecordError[]; cursor?: string }> {
    const limit = exceptionsPageLimit(runId, options.limit);
    const after = options.cursor ? decodeExceptionsCursor(runId, options.cursor) : undefined;
    const span = exceptionSpan(runId, options.from, options.through);
    const rest = [...(this.#exceptions.get(`${tenantId}/${runId}`) ?? new Map<string, RecordError>())]
      .filter(([sortKey]) => sortKey >= span[":from"] && sortKey <= span[":through"])
      .filter(([sortKey]) => after === undefined || sortKey > after)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const page = rest.slice(0, limit);
    const exceptions = page.map(([, error]) => copy(error));
    const last = page.at(-1);
    return rest.length > limit && last
      ? { exceptions, cursor: encodeExceptionsCursor(runId, last[0]) }
      : { exceptions };
  }

  async complete(tenantId: string, runId: string, end: RunEnd & { counts: Counts }): Promise<boolean> {
    const run = this.#runs.get(`${tenantId}/${runId}`);
    if (run?.status !== "running") return false;
    Object.assign(run, copy(end), end.reason !== undefined ? { reason: truncate(end.reason) } : {});
    return true;
  }

  async requestStop(tenantId: string, runId: string, reason: string): Promise<void> {
    const run = this.#runs.get(`${tenantId}/${runId}`);
    if (run && run.stopReason === undefined) run.stopReason = truncate(reason);
  }

  async addSkipped(
    tenantId: string,
    runId: string,
    skipped: { trigger: RunTrigger; at: string },
  ): Promise<void> {
    const run = this.#existing(tenantId, runId);
    run.skipped = [...(run.skipped ?? []), { ...skipped }];
  }

  async unitOutcome(tenantId: string, runId: string, failed: boolean): Promise<number> {
    const run = this.#existing(tenantId, runId);
    run.failedUnitStreak = failed ? (run.failedUnitStreak ?? 0) + 1 : 0;
    return run.failedUnitStreak;
  }

  async pauseSiesa(tenantId: string, runId: string, until: number): Promise<void> {
    const run = this.#runs.get(`${tenantId}/${runId}`);
    if (run && (run.siesaPausedUntil ?? 0) < until) run.siesaPausedUntil = until;
  }

  #existing(tenantId: string, runId: string) {
    const run = this.#runs.get(`${tenantId}/${runId}`);
    if (!run) throw new RunNotFoundError(tenantId, runId);
    return run;
  }

  #view(run: RunRecord): RunRecord {
    const { failedUnitStreak, ...record } = copy(run);
    return failedUnitStreak ? { ...record, failedUnitStreak } : record;
  }
}

export class MemoryProgress implements ProgressStore {
  readonly #claims = new Map<string, ChunkClaim>();

  async claim(
    tenantId: string,
    runId: string,
    chunkId: string,
    claim: ChunkClaim,
    now: number,
  ): Promise<ClaimResult> {
    const id = `${tenantId}/${runId}/${chunkId}`;
    const held = this.#claims.get(id);
    const over =
      !held ||
      held.until <= now ||
      (held.messageId === claim.messageId && held.receiveCount < claim.receiveCount);
    if (!over) return { claimed: false, holder: copy(held) };
    this.#claims.set(id, copy(claim));
    return held ? { claimed: true, after: copy(held) } : { claimed: true };
  }

  readonly #runs = new Map<
    string,
    { totals: Progress; ops: Map<string, AppliedOperation>; nextChunk: number }
  >();

  async get(tenantId: string, runId: string, opId: string): Promise<AppliedOperation | undefined> {
    const op = this.#run(tenantId, runId).ops.get(opId);
    return op ? copy(op) : undefined;
  }

  async apply(
    tenantId: string,
    runId: string,
    opId: string,
    delta: ProgressDelta,
    data?: Record<string, unknown>,
  ): Promise<Progress | undefined> {
    const run = this.#run(tenantId, runId);
    if (run.ops.has(opId)) return undefined;
    run.ops.set(opId, copy({ delta, ...(data ? { data } : {}) }));
    return { ...addDelta(run.totals, delta) };
  }

  async read(tenantId: string, runId: string): Promise<Progress> {
    return { ...this.#run(tenantId, runId).totals };
  }

  async reservePositions(tenantId: string, runId: string, count: number): Promise<number> {
    const run = this.#run(tenantId, runId);
    const first = run.nextChunk;
    run.nextChunk += count;
    return first;
  }

  async *operations(tenantId: string, runId: string, prefix: string): AsyncGenerator<OperationData[]> {
    const found: OperationData[] = [];
    for (const [opId, op] of this.#run(tenantId, runId).ops)
      if (opId.startsWith(prefix) && op.data) found.push({ opId, data: copy(op.data) });
    yield found;
  }

  async sum(tenantId: string, runId: string): Promise<Progress> {
    const totals = zeroProgress();
    for (const { delta } of this.#run(tenantId, runId).ops.values()) addDelta(totals, delta);
    return totals;
  }

  #run(tenantId: string, runId: string) {
    const id = `${tenantId}/${runId}`;
    let run = this.#runs.get(id);
    if (!run) {
      run = { totals: zeroProgress(), ops: new Map(), nextChunk: 0 };
      this.#runs.set(id, run);
    }
    return run;
  }
}

export class MemoryLease implements LeaseStore {
  readonly #leases = new Map<string, Lease>();

  async acquire(
    tenantId: string,
    runId: string,
    now: Date,
    durationMs: number,
    options: { owner?: LeaseOwner; isDead?: (lease: Lease) => boolean } = {},
  ): Promise<AcquireResult> {
    const current = this.#leases.get(tenantId);
    if (current && current.runId !== runId && !isTakeable(current, now, options.isDead)) {
      return { acquired: false, holder: copy(current) };
    }
    const expiresAt = new Date(now.getTime() + durationMs).toISOString();
    this.#leases.set(tenantId, {
      runId,
      expiresAt,
      ...(options.owner ? { owner: { ...options.owner } } : {}),
    });
    return current && current.runId !== runId
      ? { acquired: true, replaced: copy(current) }
      : { acquired: true };
  }

  async release(tenantId: string, runId: string): Promise<void> {
    if (this.#leases.get(tenantId)?.runId === runId) this.#leases.delete(tenantId);
  }

  async current(tenantId: string): Promise<Lease | undefined> {
    const lease = this.#leases.get(tenantId);
    return lease ? copy(lease) : undefined;
  }
}

export class MemoryLedger implements Ledger {
  readonly #entries = new Map<string, LedgerEntry>();

  async getMany(partition: string, keys: string[]): Promise<Map<string, LedgerEntry>> {
    checkKeys(partition, keys);
    const found = new Map<string, LedgerEntry>();
    for (const key of keys) {
      const entry = this.#entries.get(`${partition}/${key}`);
      if (entry) found.set(key, copy(entry));
    }
    return found;
  }

  async putMany(partition: string, entries: LedgerEntry[]): Promise<LedgerPutResult> {
    checkKeys(
      partition,
      entries.map((entry) => entry.key),
    );
    const refused: string[] = [];
    for (const entry of new Map(entries.map((e) => [e.key, e])).values()) {
      const id = `${partition}/${entry.key}`;
      if (mayReplace(this.#entries.get(id), entry)) this.#entries.set(id, copy(entry));
      else refused.push(entry.key);
    }
    return { refused };
  }

  /** In key order, as DynamoDB's Query answers: numerically for the catalogue's f120_ids. */
  async *all(partition: string, range: LedgerRange = {}): AsyncGenerator<LedgerEntry[]> {
    const numeric = parseScope(partition).stream === DEFAULT_STREAM;
    if (numeric && (range.prefix !== undefined || range.after !== undefined))
      throw new Error(
        `ledger (in memory), tenant ${partition}: the catalogue's ledger is not read by key range`,
      );
    const { prefix = "", after } = range;
    // As DynamoDB: a Query cannot start from a key its key condition excludes.
    if (after !== undefined && !after.startsWith(prefix))
      throw new Error(
        `ledger (in memory), ${partition}: the start key ${after} is outside the prefix ${prefix}`,
      );
    const entries = [...this.#entries.entries()]
      .filter(([id]) => id.startsWith(`${partition}/`))
      .map(([, e]) => copy(e))
      .filter((e) => e.key.startsWith(prefix) && (after === undefined || e.key > after))
      .sort((a, b) => (numeric ? Number(a.key) - Number(b.key) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (entries.length > 0) yield entries;
  }
}

/** As strict as DynamoDB's ledgers: the catalogue's keys are f120_ids; another stream's, text. */
function checkKeys(partition: string, keys: readonly string[]): void {
  if (parseScope(partition).stream !== DEFAULT_STREAM) {
    for (const key of keys)
      if (key === "") throw new Error(`ledger (in memory), ${partition}: empty record key`);
    return;
  }
  for (const key of keys) recordIdOf(key, `ledger (in memory), tenant ${partition}`);
}

export class MemoryAudit implements AuditTrail {
  readonly entries: (AuditEntry & { tenantId: string; at: string })[] = [];

  async record(tenantId: string, entry: AuditEntry, now = new Date()): Promise<void> {
    this.entries.push({ tenantId, at: now.toISOString(), ...copy(entry) });
  }
}

export interface MemoryPipelineStore extends PipelineStore {
  runs: MemoryRuns;
  progress: MemoryProgress;
  lease: MemoryLease;
  ledger: Ledger;
  audit: MemoryAudit;
}

/** A fresh in-memory store; `ledger` may be another (a dry run reads the real one, see DryRunLedger). */
export function memoryPipelineStore(ledger: Ledger = new MemoryLedger()): MemoryPipelineStore {
  return {
    runs: new MemoryRuns(),
    progress: new MemoryProgress(),
    lease: new MemoryLease(),
    ledger,
    audit: new MemoryAudit(),
  };
}

/**
 * A dry run's ledger: reads what the real ledger holds, keeps its own writes in memory, so the
 * pipeline decides every outcome exactly as a real run would and nothing persistent changes.
 */
export class DryRunLedger implements Ledger {
  readonly #overlay = new MemoryLedger();

  constructor(private readonly real: Ledger) {}

  async getMany(tenantId: string, keys: string[]): Promise<Map<string, LedgerEntry>> {
    const found = await this.real.getMany(tenantId, keys);
    for (const [key, entry] of await this.#overlay.getMany(tenantId, keys)) found.set(key, entry);
    return found;
  }

  putMany(tenantId: string, entries: LedgerEntry[]): Promise<LedgerPutResult> {
    return this.#overlay.putMany(tenantId, entries);
  }

  async *all(partition: string, range?: LedgerRange): AsyncGenerator<LedgerEntry[]> {
    const mine = new Map<string, LedgerEntry>();
    for await (const page of this.#overlay.all(partition, range)) for (const e of page) mine.set(e.key, e);
    for await (const page of this.real.all(partition, range)) {
      yield page.map((e) => {
        const own = mine.get(e.key);
        mine.delete(e.key);
        return own ?? e;
      });
    }
    // Written by the dry run only.
    if (mine.size > 0) yield [...mine.values()];
  }
}
