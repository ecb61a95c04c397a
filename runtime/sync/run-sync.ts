import { diffRecords } from "./diff.js";
import {
  type Counts,
  type Outcome,
  type ProductRecord,
  type RecordError,
  type SourceRecord,
  zeroCounts,
} from "./model.js";
import { createLimiter } from "./pool.js";
import type {
  Ledger,
  LedgerEntry,
  ProductWriter,
  RecordSource,
  RunJournal,
  RunStatus,
  RunTrigger,
} from "./ports.js";

/** Maps one source record to the product's record, or says why it cannot be. */
export interface RecordMapper {
  map(
    source: SourceRecord,
  ): { ok: true; record: ProductRecord } | { ok: false; reason: string; fields?: Record<string, string> };
}

export interface SyncDependencies {
  tenantId: string;
  source: RecordSource;
  mapper: RecordMapper;
  product: ProductWriter;
  ledger: Ledger;
  journal: RunJournal;
  /** Units of Siesa work and product writes in flight at once (the tenant's `sync.concurrency`). */
  concurrency: number;
  now?: () => Date;
  onProgress?: (counts: Readonly<Counts>) => void;
}

export interface SyncOptions {
  runId: string;
  trigger: RunTrigger;
  /** Compute every outcome but write nothing: not to the product, the ledger or the journal. */
  dryRun?: boolean;
}

/** A change a dry run would make. */
export interface PlannedChange {
  key: string;
  externalId: string;
  outcome: "created" | "updated";
}

export interface RunSummary {
  tenantId: string;
  runId: string;
  status: Exclude<RunStatus, "running">;
  counts: Counts;
  durationMs: number;
  /** The first 50 rejected or failed records with their reasons. */
  errors: RecordError[];
  /** Why the run stopped early, when it did. */
  reason?: string;
  /** Dry runs only: what would be written. */
  changes?: PlannedChange[];
}

const MAX_ERRORS = 50;
/** Extracted batches being mapped, diffed and written at once, overlapping the next extractions. */
const MAX_BATCHES_IN_FLIGHT = 4;
/** How often a running run's counts reach the journal (what the API shows while it runs). */
const JOURNAL_EVERY_MS = 1_000;

/** Errors after which writing more records is pointless: the run stops (they are named by the clients). */
const RUN_STOPPING_ERRORS = new Set(["ProductAuthError", "SiesaAuthError", "CredentialsError"]);

/** Credentials refused for good (or unusable): retrying or writing more records cannot help. */
export const isRunStopping = (error: unknown): error is Error =>
  error instanceof Error && RUN_STOPPING_ERRORS.has(error.name);

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * One run of one tenant: extract → map → compare each payload's hash with the ledger → write
 * only what changed → record every record's outcome. Invariant, whatever fails:
 * counts.extracted = created + updated + unchanged + rejected + failed.
 */
export async function runSync(deps: SyncDependencies, options: SyncOptions): Promise<RunSummary> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  const { tenantId, journal } = deps;
  const { runId, dryRun = false } = options;
  const counts = zeroCounts();
  /** Counts not yet in the run journal: written about once a second, not once per batch. */
  let unjournaled: Partial<Counts> = {};
  let lastJournaled = Date.now();
  const journalCounts = async () => {
    const delta = unjournaled;
    unjournaled = {};
    lastJournaled = Date.now();
    if (Object.keys(delta).length > 0) await journal.addCounts(tenantId, runId, delta);
  };
  const errors: RecordError[] = [];
  const changes: PlannedChange[] = [];
  const seen = new Set<string>();
  /** Why the run ends failed, when it does. */
  let stopReason: string | undefined;
  /** Set when the product refuses our credentials for good: writing more records is pointless. */
  let productRefused: string | undefined;

  if (!dryRun) {
    await journal.create({
      runId,
      tenantId,
      trigger: options.trigger,
      status: "running",
      startedAt: started.toISOString(),
      counts: zeroCounts(),
      errors: [],
    });
  }

  const writeSlot = createLimiter(deps.concurrency);

  /** Maps, diffs and writes one extracted batch; several batches overlap with extraction. */
  const processBatch = async (batch: SourceRecord[]) => {
    const delta: Partial<Counts> = { extracted: 0 };
    const newErrors: RecordError[] = [];
    const record = (outcome: Outcome, error?: RecordError) => {
      delta[outcome] = (delta[outcome] ?? 0) + 1;
      counts[outcome]++;
      if (error && errors.length < MAX_ERRORS) {
        errors.push(error);
        newErrors.push(error);
      }
    };
    // Extraction promises each record once; a repeat would double-count, so it is dropped here.
    const fresh = batch.filter((source) => !seen.has(source.key) && seen.add(source.key));
    delta.extracted = fresh.length;
    counts.extracted += fresh.length;

    const diff = await diffRecords(tenantId, fresh, deps.mapper, deps.ledger);
    for (const rejection of diff.rejected) record("rejected", rejection);
    for (let i = 0; i < diff.unchanged; i++) record("unchanged");

    const written: LedgerEntry[] = [];
    await Promise.all(
      diff.changed.map(({ record: r, hash, previous }) =>
        writeSlot(async () => {
          if (dryRun) {
            const outcome = previous ? "updated" : "created";
            changes.push({ key: r.key, externalId: r.externalId, outcome });
            record(outcome);
            return;
          }
          if (productRefused) {
            record("failed", { key: r.key, outcome: "failed", reason: `run stopped: ${productRefused}` });
            return;
          }
          try {
            const result = await deps.product.write(r, previous?.productId);
            if (result.outcome === "rejected") {
              record("rejected", { key: r.key, outcome: "rejected", reason: result.reason });
              return;
            }
            record(result.outcome);
            written.push({
              key: r.key,
              hash,
              productId: result.productId,
              runId,
              updatedAt: now().toISOString(),
              outcome: result.outcome,
            });
          } catch (error) {
            if (isRunStopping(error)) {
              productRefused ??= error.message;
              stopReason ??= error.message;
            }
            record("failed", { key: r.key, outcome: "failed", reason: messageOf(error) });
          }
        }),
      ),
    );

    if (!dryRun) {
      // The ledger only learns a hash after the product accepted the write.
      if (written.length > 0) await deps.ledger.putMany(tenantId, written);
      for (const [name, amount] of Object.entries(delta) as [keyof Counts, number][]) {
        unjournaled[name] = (unjournaled[name] ?? 0) + amount;
      }
      if (Date.now() - lastJournaled >= JOURNAL_EVERY_MS) await journalCounts();
      if (newErrors.length > 0) await journal.addErrors(tenantId, runId, newErrors);
    }
    deps.onProgress?.(counts);
  };

  const inFlight = new Set<Promise<void>>();
  try {
    await deps.product.login();
    for await (const batch of deps.source.extractAll({ concurrency: deps.concurrency })) {
      const processing: Promise<void> = processBatch(batch)
        .catch((error: unknown) => {
          // The ledger or the journal failed: stop; what was counted stays counted.
          stopReason ??= messageOf(error);
        })
        .finally(() => inFlight.delete(processing));
      inFlight.add(processing);
      if (inFlight.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(inFlight);
      if (stopReason) break;
    }
  } catch (error) {
    // Siesa or the product could not be used at all (or stopped answering mid-run): what was
    // extracted is already accounted for; the run ends failed with the reason.
    stopReason ??= messageOf(error);
  }
  await Promise.all(inFlight);

  const finished = now();
  const durationMs = finished.getTime() - started.getTime();
  const status = runStatus(counts, stopReason);
  if (!dryRun) {
    await journalCounts();
    await journal.finish(tenantId, runId, {
      status,
      finishedAt: finished.toISOString(),
      durationMs,
      ...(stopReason ? { reason: stopReason } : {}),
    });
  }
  return {
    tenantId,
    runId,
    status,
    counts,
    durationMs,
    errors,
    ...(stopReason ? { reason: stopReason } : {}),
    ...(dryRun ? { changes } : {}),
  };
}

/** How a finished run is judged, the same whether it ran in one process or through the queues. */
export function runStatus(counts: Counts, stopReason: string | undefined): Exclude<RunStatus, "running"> {
  if (stopReason) return "failed";
  if (counts.extracted > 0 && counts.failed === counts.extracted) return "failed";
  return counts.rejected + counts.failed > 0 ? "partial" : "succeeded";
}
