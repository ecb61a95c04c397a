/**
 * The vocabulary every part of the sync shares. Pure types: no I/O lives here.
 */
import type { StreamName } from "./stream.js";
import type { VerifyRunReport } from "./verify-report.js";

export type ProductType = "kong-rfid" | "wms";

/** What became of one source record in one run (docs/architecture.md). */
export const OUTCOMES = ["created", "updated", "unchanged", "rejected", "failed"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Tallies a run keeps beside the outcomes (see Counts). */
export const TALLIES = ["deactivated", "reactivated"] as const;

/**
 * Invariant: extracted = created + updated + unchanged + rejected + failed. `deactivated` and
 * `reactivated` are tallies beside the outcomes, not outcomes: a deactivated record was not extracted
 * (docs/architecture.md), and a reactivated one is also counted `created` or `updated`.
 */
export type Counts = { extracted: number } & Record<Outcome, number> & {
    deactivated: number;
    reactivated: number;
  };

export const zeroCounts = (): Counts => ({
  extracted: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
  rejected: 0,
  failed: 0,
  deactivated: 0,
  reactivated: 0,
});

/**
 * A run's work items: units of Siesa work planned (sent), done (finished, cancelled or given up) and
 * failed (given up); chunks of records to load planned (sent) and done (every record has an outcome).
 * The deactivation pass is one more unit, planned with the run and done after every other unit.
 */
export interface UnitCounts {
  unitsPlanned: number;
  unitsDone: number;
  unitsFailed: number;
  loadsPlanned: number;
  loadsDone: number;
  /** Deactivations the product refused or that ran out of retries (each in the run's errors). */
  deactivationsFailed: number;
}

/** A run's counters as its steps apply them: record outcomes plus unit bookkeeping. */
export type Progress = Counts & UnitCounts;
export type ProgressDelta = Partial<Progress>;

/** A row as Siesa sends it, after keys and string values are trimmed. */
export type SiesaRow = Record<string, string | number | boolean | null>;

/**
 * One unique record extracted from Siesa: for the catalogue, the item row plus its barcode rows, and
 * `key` the item's `f120_id` (stable, numeric, and present even when the rest of the row is
 * malformed); for another stream, its row (`item`, no barcodes) and the key its module gives it.
 */
export interface SourceRecord {
  key: string;
  item: SiesaRow;
  barcodes: SiesaRow[];
}

/** The product-neutral item every mapping produces first. */
export interface CanonicalItem {
  sku: string;
  sourceId: number;
  name: string;
  description: string;
  unit: string;
  barcodes: string[];
  /** The barcode of the item's inventory unit; absent when it has none. */
  ean?: string;
  /** Every barcode with the unit it belongs to, sorted by barcode. */
  barcodeUnits: { barcode: string; unit: string | null }[];
  active: boolean;
  erpCompany: number;
}

/** What a product client writes: the payload in the product's own shape, and how to find it. */
export interface ProductRecord {
  /** Same as SourceRecord.key. */
  key: string;
  /** The product's unique external id for the record (Kong `external_id`, WMS `external_id`). */
  externalId: string;
  payload: Record<string, unknown>;
}

/** A field-level reason a record was rejected by a mapping or by the product. */
export interface Rejection {
  key: string;
  reason: string;
  fields?: Record<string, string>;
}

/**
 * Where a record's exception arose: the mapping refused it, the product refused or never took its
 * write or deactivation, or its unit of Siesa work or its load chunk was given up.
 */
export type ExceptionStep = "mapping" | "write" | "deactivation" | "extract" | "load";

/**
 * A rejected or failed record of a run (an exception): `key` is its f120_id, or names the unit or
 * chunk whose records it stands for when they were never read. The run keeps its first ones; the
 * runs table keeps every one (GET /runs/:runId/exceptions).
 */
export interface RecordError {
  key: string;
  outcome: "rejected" | "failed";
  /** Why; for a product's refusal, the product's own answer (cut to 1,000 characters when stored). */
  reason: string;
  /** The item's reference (f120_referencia), when known. */
  reference?: string;
  step?: ExceptionStep;
  /** The fields a mapping refused, comma-separated. */
  field?: string;
}

export type RunStatus = "running" | "succeeded" | "partial" | "failed";
export type RunTrigger = "schedule" | "manual" | "cli" | "retry" | "repair" | "verify";

/** Keys of a held set shown on its run (the API, the console, the CLI), and kept with the pass's decision. */
export const HELD_KEYS_SHOWN = 50;

/** What a run held for approval: how many, the limit, the set's fingerprint and its first keys. */
export interface HeldDeactivations {
  count: number;
  limit: number;
  /** Of the whole set (deactivate.ts): an approval names the run, the pass compares sets. */
  fingerprint?: string;
  /** The first 50 keys (f120_id), in key order. */
  keys?: string[];
  /** Held whatever the limit: the extraction returned no record that could witness a confirming read. */
  unconfirmed?: boolean;
}

/** A run as recorded: what the API shows, and the flags the pipeline steps coordinate through. */
export interface RunRecord {
  runId: string;
  tenantId: string;
  /** The stream the run syncs; absent for the catalogue (core/domain/stream.ts). */
  stream?: StreamName;
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
  /** Units of Siesa work that gave up in a row (a success resets it). */
  failedUnitStreak?: number;
  /**
   * Until when the tenant's Siesa calls wait (epoch ms): the reset of a rate-limit window that a
   * worker found nearly used, so that every worker's next unit waits for it too.
   */
  siesaPausedUntil?: number;
  /** A verify run's report (trigger `verify`): counts per status and the first differences. */
  verify?: VerifyRunReport;
  /**
   * The run whose held deactivations an operator approved for this one: this run applies what it
   * finds only if that is the held set or part of it.
   */
  approveDeactivationsOf?: string;
  /**
   * A run of one item on demand: it reads only this f120_id (and its barcodes), writes it, and
   * deactivates nothing (one item read is no evidence that the others are gone).
   */
  item?: number;
  /** Deactivations found but held, none applied: more than the tenant's limit and not approved. */
  heldDeactivations?: HeldDeactivations;
  /**
   * Set when the run ended having read every record of its stream and given each its outcome, with
   * nothing failed, stopped or held (stock: or held keeping the held rows' last known values): what
   * it left in the ledger is a complete read (the stock snapshot serves the last such run).
   */
  complete?: true;
  /**
   * The stream's last complete run when this one started: a ledger entry this run replaces keeps the
   * value that run read (LedgerEntry.previous), so the snapshot survives a run that fails midway.
   */
  baselineRunId?: string;
}
