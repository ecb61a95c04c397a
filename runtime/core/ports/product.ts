import type { ProductRecord, ProductType } from "../domain/model.js";
import type { Log } from "../observability/logger.js";
import type { CallPolicy } from "./call-policy.js";
import type { ProductWriter, WriteResult } from "./records.js";

export interface ProductCredentials {
  username: string;
  password: string;
}

/** What became of one write: the product's id for the record, or the product's reason for refusing it. */
export type { WriteResult };

/**
 * A product API (Kong RFID, WMS) seen from the sync. `write` is only called for new or changed
 * records (the caller decides "unchanged" from its ledger). It throws ExternalCallError when
 * transient failures exhaust the call policy and ProductAuthError when the credentials are refused.
 */
export interface ProductClient extends ProductWriter {
  readonly type: ProductType;
  /** Logs in (or reuses the cached token); throws ProductAuthError on bad credentials. */
  login(): Promise<void>;
  /** Creates or updates one record. `knownProductId` is the id the ledger remembers from the last write. */
  write(record: ProductRecord, knownProductId?: string): Promise<WriteResult>;
}

/** One record as the product lists it: its id, its external id, and every field it holds. */
export interface ListedRecord {
  id: string;
  externalId: string;
  fields: Record<string, unknown>;
}

/** Which of the product's records are the tenant's: Kong filters by its `customer_id`. */
export interface ListScope {
  customerId?: string;
}

/**
 * Reads every record of the tenant back from the product (verify), one page at a time, through the
 * same call policy as the writes. Throws ExternalCallError when a page cannot be read.
 */
export interface ProductReader {
  list(scope: ListScope): AsyncGenerator<ListedRecord[]>;
}

export interface ProductClientOptions {
  /** With or without a trailing slash; may carry a path prefix. */
  baseUrl: string;
  /** Path per resource, from the tenant file (Kong: `skus`, `login`; WMS: `products`, `login`). */
  endpoints: Record<string, string>;
  credentials: ProductCredentials;
  policy: CallPolicy;
  tenantId: string;
  log: Log;
}
