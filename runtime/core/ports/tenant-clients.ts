import type { ProductClient, ProductCredentials, ProductReader } from "./product.js";
import type { ProductWriter, RecordMapper } from "./records.js";
import type { SiesaCredentials, SiesaReader } from "./siesa.js";

/** A tenant's secrets: what its Siesa and its product accept (runtime/edges/aws/secrets.ts reads them). */
export interface TenantCredentials {
  siesa: SiesaCredentials;
  product: ProductCredentials;
}

/** What a run of one stream reads from, maps with and writes to (runtime/wiring/compose.ts builds it). */
export interface StreamClients {
  siesa: SiesaReader;
  product: ProductWriter;
  mapper: RecordMapper;
  /**
   * The stream's target is the ledger itself (stock: no product publishes a stock API yet): each
   * entry keeps the record's values, and the one the last complete run left (LedgerEntry.previous).
   */
  keepsValues?: true;
  /**
   * The part of the stream a key lies in, as its units' ranges name it (KeyRange.within: stock's
   * warehouse); absent for a stream read as one whole (deactivate.ts).
   */
  partitionOf?: (key: string) => string | undefined;
  /** The stream's records read back from the product (verify): absent when no product holds them (stock). */
  reader?: ProductReader;
}

/** What one tenant's catalogue run talks to: its product client also lists (verify). */
export interface TenantClients extends StreamClients {
  product: ProductClient & ProductReader;
}
