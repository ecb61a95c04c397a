import type { Counts, ProductRecord, RecordError, SourceRecord } from "./model.js";

/**
 * What the sync needs from the outside world. The Siesa client, the product clients and the
 * DynamoDB stores satisfy these structurally; tests can too.
 */

/** Every source record exactly once, in batches (the Siesa client's extraction). */
export interface RecordSource {
  extractAll(options: { concurrency: number }): AsyncIterable<SourceRecord[]>;
}

export type WriteResult =
  | { outcome: "created" | "updated"; productId: string }
  | { outcome: "rejected"; reason: string };

/** A product API: create or update one record. Throws when retries are exhausted. */
export interface ProductWriter {
  login(): Promise<void>;
  write(record: ProductRecord, knownProductId?: string): Promise<WriteResult>;
}

/** The last successful write of a record: what the product holds and under which id. */
export interface LedgerEntry {
  key: string;
  hash: string;
  productId: string;
  runId: string;
  updatedAt: string;
  /** What that write was: lets a redelivered message report the outcome without writing again. */
  outcome?: "created" | "updated";
}

export interface Ledger {
  getMany(tenantId: string, keys: string[]): Promise<Map<string, LedgerEntry>>;
  putMany(tenantId: string, entries: LedgerEntry[]): Promise<void>;
}

export type RunStatus = "running" | "succeeded" | "partial" | "failed";
export type RunTrigger = "schedule" | "manual" | "cli" | "retry";

export interface RunRecord {
  runId: string;
  tenantId: string;
  trigger: RunTrigger;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  counts: Counts;
  errors: RecordError[];
  reason?: string;
  dryRun?: boolean;
  /** Set while a run is being stopped early (the pipeline cancels its remaining work). */
  stopReason?: string;
  /** Sync requests that arrived while this run held the tenant's lease. */
  skipped?: { trigger: RunTrigger; at: string }[];
}

/** Where runs are recorded so the API can report them. */
export interface RunJournal {
  create(run: RunRecord): Promise<void>;
  addCounts(tenantId: string, runId: string, delta: Partial<Counts>): Promise<void>;
  addErrors(tenantId: string, runId: string, errors: RecordError[]): Promise<void>;
  finish(
    tenantId: string,
    runId: string,
    end: { status: RunStatus; finishedAt: string; durationMs: number; reason?: string },
  ): Promise<void>;
}
