import type { ProductRecord, SourceRecord } from "../domain/model.js";

/**
 * What deciding a record's outcome needs from the outside world: the mapping, the product, and the
 * ledger. The product clients and the stores satisfy these structurally; tests can too.
 */

export type { RunRecord, RunStatus, RunTrigger } from "../domain/model.js";

/** Maps one source record to the product's record, or says why it cannot be. */
export interface RecordMapper {
  map(
    source: SourceRecord,
  ): { ok: true; record: ProductRecord } | { ok: false; reason: string; fields?: Record<string, string> };
  /**
   * The partial payload that sets a record inactive in the product (Kong `{"is_active": false}`), or
   * undefined when the mapping writes no active flag (then nothing can be deactivated).
   */
  readonly inactive?: Record<string, unknown>;
  /** The payload fields the product's list shows, when fewer than the payload (the WMS's). */
  readonly listed?: readonly string[];
}

export type WriteResult =
  | { outcome: "created" | "updated"; productId: string }
  | { outcome: "rejected"; reason: string };

export type PatchResult =
  | { outcome: "updated" }
  | { outcome: "gone" }
  | { outcome: "rejected"; reason: string };

/** A product API: create or update one record. Throws when retries are exhausted. */
export interface ProductWriter {
  login(): Promise<void>;
  write(record: ProductRecord, knownProductId?: string): Promise<WriteResult>;
  /** Changes only `payload`'s fields of the product's record `productId` (deactivation); `gone` on 404. */
  patch(productId: string, record: ProductRecord): Promise<PatchResult>;
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
  /** Set inactive in the product (absent from a complete extraction); absent while active. */
  active?: false;
  /** That write brought an inactive record back (a redelivered message counts it `reactivated` again). */
  reactivated?: true;
  /** For a product that lists only some fields: the hash of those (`listedHash`), what verify compares. */
  listedHash?: string;
}

/** What a ledger write did: the keys it left as they were, because a later run's entry is stored. */
export interface LedgerPutResult {
  refused: string[];
}

export interface Ledger {
  getMany(tenantId: string, keys: string[]): Promise<Map<string, LedgerEntry>>;
  /**
   * Stores each entry unless the record's stored entry is a later run's (`mayReplace`): a late
   * delivery of an older run never undoes a newer one. A refusal is not an error: a newer run owns
   * the record. When a key appears twice, the last entry is the one written.
   */
  putMany(tenantId: string, entries: LedgerEntry[]): Promise<LedgerPutResult>;
  /** Every entry of the tenant, a page at a time (deactivation and verify read them all). */
  all(tenantId: string): AsyncIterable<LedgerEntry[]>;
}
