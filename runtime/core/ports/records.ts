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
  /**
   * A record's external id from its key, for a deactivation (which has only the ledger's key), when
   * the two differ (a warehouse's code and its location's id); absent: the key is the external id.
   */
  externalIdOf?(key: string): string;
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
  /** For a stream whose target is the ledger itself (stock): the record as written. */
  values?: Record<string, unknown>;
  /**
   * For such a stream, while this entry is a later, incomplete run's: the entry as the stream's last
   * complete run left it (stock-snapshot.ts serves it instead).
   */
  previous?: { runId: string; values?: Record<string, unknown>; active?: false };
}

/**
 * Which entries `Ledger.all` pages through: keys starting with `prefix`, those after `after` (the
 * catalogue's ledger takes neither), and a hint of the entries wanted per page.
 */
export interface LedgerRange {
  prefix?: string;
  after?: string;
  pageSize?: number;
}

/** What a ledger write did: the keys it left as they were, because a later run's entry is stored. */
export interface LedgerPutResult {
  refused: string[];
}

export interface Ledger {
  /**
   * A ledger partition is a tenant's stream (`streamScope`: the bare tenant id for the catalogue):
   * each stream's records have ledger entries of their own.
   */
  getMany(partition: string, keys: string[]): Promise<Map<string, LedgerEntry>>;
  /**
   * Stores each entry unless the record's stored entry is a later run's (`mayReplace`): a late
   * delivery of an older run never undoes a newer one. A refusal is not an error: a newer run owns
   * the record. When a key appears twice, the last entry is the one written.
   */
  putMany(partition: string, entries: LedgerEntry[]): Promise<LedgerPutResult>;
  /**
   * Every entry of the partition in key order, a page at a time (deactivation and verify read them
   * all); `range` narrows it (the stock snapshot of one location).
   */
  all(partition: string, range?: LedgerRange): AsyncIterable<LedgerEntry[]>;
}
