import { randomUUID } from "node:crypto";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { chunk } from "../../runtime/core/domain/chunk.js";
import { type RecordError, zeroCounts } from "../../runtime/core/domain/model.js";
import { newRunId } from "../../runtime/core/domain/run-id.js";
import type { PipelineStore } from "../../runtime/core/ports/pipeline.js";
import { BATCH_WRITE_MAX, writeUntilProcessed } from "../../runtime/edges/store/batch.js";
import { dynamoPipelineStore } from "../../runtime/edges/store/dynamo.js";
import type { LedgerEntry } from "../../runtime/edges/store/ledger.js";
import { memoryPipelineStore } from "../../runtime/edges/store/memory.js";
import type { RunRecord } from "../../runtime/edges/store/runs.js";
import { openStore } from "../../runtime/wiring/local-store.js";

/** Table prefix unique to one test file, so suites sharing an endpoint (DynamoDB Local) never collide. */
export const uniquePrefix = (suite: string) => `test-${suite}-${randomUUID().slice(0, 8)}`;

/** A tenant id unique to one test, so tests in a suite never see each other's items. */
export const aTenantId = () => `tenant-${randomUUID().slice(0, 8)}`;

export const aRun = (overrides: Partial<RunRecord> = {}): RunRecord => ({
  runId: newRunId(),
  tenantId: aTenantId(),
  trigger: "manual",
  status: "running",
  startedAt: "2025-03-01T10:00:00.000Z",
  counts: zeroCounts(),
  errors: [],
  ...overrides,
});

export const aRecordError = (key: string, overrides: Partial<RecordError> = {}): RecordError => ({
  key,
  outcome: "rejected",
  reason: `name: required (record ${key})`,
  ...overrides,
});

export const aLedgerEntry = (key: string, overrides: Partial<LedgerEntry> = {}): LedgerEntry => ({
  key,
  hash: `hash-of-${key}`,
  productId: `sku-${key}`,
  runId: "20250301T100000.000Z-000000000001",
  updatedAt: "2025-03-01T10:00:00.000Z",
  ...overrides,
});

/** Entries for keys 100000, 100001, … */
export const ledgerEntries = (count: number, overrides: Partial<LedgerEntry> = {}): LedgerEntry[] =>
  Array.from({ length: count }, (_, index) => aLedgerEntry(String(100_000 + index), overrides));

/** A pipeline store to run the same contract tests on: DynamoDB (dynalite or DynamoDB Local) and memory. */
export type OpenedStore = PipelineStore & { close(): Promise<void> };

export const STORE_IMPLEMENTATIONS: [string, (suite: string) => Promise<OpenedStore>][] = [
  [
    "DynamoDB",
    async (suite) => {
      const store = await openStore({ prefix: uniquePrefix(suite) });
      return { ...dynamoPipelineStore(store.doc, store.names), close: store.close };
    },
  ],
  ["memory", async () => ({ ...memoryPipelineStore(), close: async () => {} })],
];

/**
 * Stores ledger entries as they are, with BatchWriteItem (25 a request, no condition): for tests that
 * need a large ledger to read. The ledger's own writes go one conditional PutItem at a time.
 */
export async function seedLedger(
  doc: DynamoDBDocumentClient,
  table: string,
  tenantId: string,
  entries: readonly LedgerEntry[],
): Promise<void> {
  for (const batch of chunk(entries, BATCH_WRITE_MAX)) {
    await writeUntilProcessed(
      doc,
      table,
      batch.map(({ key, ...entry }) => ({
        PutRequest: { Item: { tenantId, recordKey: Number(key), ...entry } },
      })),
      `seeding ledger ${table}`,
    );
  }
}
