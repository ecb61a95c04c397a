import type { ProductClient, ProductCredentials, ProductReader } from "./product.js";
import type { RecordMapper } from "./records.js";
import type { SiesaCredentials, SiesaReader } from "./siesa.js";

/** A tenant's secrets: what its Siesa and its product accept (runtime/edges/aws/secrets.ts reads them). */
export interface TenantCredentials {
  siesa: SiesaCredentials;
  product: ProductCredentials;
}

/** What one tenant's run talks to, built for it by the wiring (runtime/wiring/compose.ts). */
export interface TenantClients {
  siesa: SiesaReader;
  product: ProductClient & ProductReader;
  mapper: RecordMapper;
}
