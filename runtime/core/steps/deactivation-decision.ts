/**
 * The deactivation pass's operation and what it stores: read by the pass (deactivate.ts), which
 * decides, and by the end of the run (after-progress.ts), which judges the run by that decision.
 */

/** The pass's operation id: one more unit of the run, planned at dispatch (see dispatch-run.ts). */
export const DEACTIVATION_OP = "deactivation";

/** What the pass stored with its operation: what it found, and whether it held it. */
export interface DeactivationDecision {
  /** Why nothing was looked for (an incomplete extraction, a mapping without an active flag). */
  skipped?: string;
  /**
   * Why the pass could not do its work (an absence Siesa would not confirm, a pass that died): the
   * run ends partial, nothing deactivated.
   */
  failed?: string;
  /** Records absent from the extraction and still absent when asked for again. */
  found?: number;
  limit?: number;
  held?: boolean;
  /** Held whatever the limit: the extraction returned no record to witness a confirming read. */
  unconfirmed?: boolean;
  /**
   * A held set of a stream whose snapshot is the ledger (stock): its records keep their last known
   * values until approved, and the rest of the run's read is served (the run stays complete).
   */
  keptAsLastKnown?: true;
  /**
   * Of `found`, the records of parts of the stream the run did not read (stock: a warehouse closed,
   * gone or no longer counted), confirmed by a second read: not counted against `limit`.
   */
  evidenced?: number;
  /** Absent from the extraction but returned when asked for again: kept active. */
  returned?: number;
  /** The set's fingerprint (its stored pages' prefix) and its first HELD_KEYS_SHOWN keys. */
  fingerprint?: string;
  keys?: string[];
  /** The run whose held set approved this one. */
  approvedBy?: string;
  /** The deactivation chunks' sizes, when the set is applied. */
  sizes?: number[];
}

export const decisionOf = (data: Record<string, unknown> | undefined): DeactivationDecision =>
  (data ?? {}) as DeactivationDecision;
