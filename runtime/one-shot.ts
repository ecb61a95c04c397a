import type { TenantClients } from "./compose.js";
import { RecordLedger } from "./store/ledger.js";
import { LedgerSnapshot } from "./store/ledger-snapshot.js";
import { newRunId, RunStore } from "./store/runs.js";
import type { TableNames } from "./store/tables.js";
import type { Counts } from "./sync/model.js";
import { type RunSummary, runSync } from "./sync/run-sync.js";
import type { Tenant } from "./tenants/schema.js";

/**
 * One run of a tenant in this process, without queues: what `npm run sync` does, and what the
 * benchmarks measure. The ledger is read once per run (a fresh snapshot each time).
 */
export function oneShotSync(
  tenant: Tenant,
  clients: TenantClients,
  store: { doc: import("@aws-sdk/lib-dynamodb").DynamoDBDocumentClient; names: TableNames },
): (options?: { dryRun?: boolean; onProgress?: (counts: Readonly<Counts>) => void }) => Promise<RunSummary> {
  const journal = new RunStore(store.doc, store.names.runs);
  return (options = {}) =>
    runSync(
      {
        tenantId: tenant.id,
        source: clients.siesa,
        mapper: clients.mapper,
        product: clients.product,
        ledger: new LedgerSnapshot(new RecordLedger(store.doc, store.names.ledger), tenant.id),
        journal,
        concurrency: tenant.sync.concurrency,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
      { runId: newRunId(), trigger: "cli", ...(options.dryRun ? { dryRun: true } : {}) },
    );
}
