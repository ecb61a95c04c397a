/**
 * The single source of truth for the DynamoDB tables' shapes: `createTables` (local) builds them from
 * here, and so does the Pulumi program (infra/storage.ts), so the two cannot drift. Key attributes are strings, but for
 * a `numericRangeKey`.
 */

export interface TableNames {
  tenants: string;
  runs: string;
  ledger: string;
  /** The ledger of a tenant's other streams (warehouses, stock), by text key. */
  streamLedger: string;
  audit: string;
}

export interface GlobalSecondaryIndex {
  name: string;
  hashKey: string;
  rangeKey?: string;
  /** Every index here projects the whole item: they serve reads of whole records. */
  projection: "ALL";
}

export interface TableDefinition {
  hashKey: string;
  rangeKey?: string;
  /** The range key is a number (N), sorted as one; every other key attribute is a string (S). */
  numericRangeKey?: true;
  gsis?: GlobalSecondaryIndex[];
  /** Attribute holding an epoch-seconds expiry; DynamoDB deletes the item after it. */
  ttlAttribute?: string;
}

/**
 * The GSI that finds a run by its id alone (the API's GET /runs/:runId). Sparse: only run records
 * carry its key `runRef`, so the run's progress items are not copied into it.
 */
export const RUNS_BY_ID_INDEX = "byRunRef";
export const RUNS_BY_ID_KEY = "runRef";

export const TABLE_DEFINITIONS: Record<keyof TableNames, TableDefinition> = {
  /** One item per tenant: its deployed config (written by the Pulumi program). */
  tenants: { hashKey: "tenantId" },
  /**
   * One item per run (runIds sort by time, so a Query lists a tenant's runs in order), and its
   * progress items under `<tenant>#progress`. All expire with the run history.
   */
  runs: {
    hashKey: "tenantId",
    rangeKey: "runId",
    gsis: [{ name: RUNS_BY_ID_INDEX, hashKey: RUNS_BY_ID_KEY, projection: "ALL" }],
    ttlAttribute: "expiresAt",
  },
  /** The hash of the last successful write of each record of a tenant, by its f120_id. */
  ledger: { hashKey: "tenantId", rangeKey: "recordKey", numericRangeKey: true },
  /** The same for a tenant's other streams, under `<tenant>#<stream>`, by their own text key. */
  streamLedger: { hashKey: "scope", rangeKey: "recordKey" },
  /** Who did what and when; `at` is `<ISO timestamp>#<id>`, so entries sort by time. */
  audit: { hashKey: "tenantId", rangeKey: "at", ttlAttribute: "expiresAt" },
};

/** The DynamoDB type of one of a table's key attributes. */
export const keyType = (definition: TableDefinition, attribute: string): "S" | "N" =>
  definition.numericRangeKey && attribute === definition.rangeKey ? "N" : "S";

export const tableNames = (prefix: string): TableNames => ({
  tenants: `${prefix}-tenants`,
  runs: `${prefix}-runs`,
  ledger: `${prefix}-ledger`,
  streamLedger: `${prefix}-stream-ledger`,
  audit: `${prefix}-audit`,
});
