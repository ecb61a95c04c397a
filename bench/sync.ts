/**
 * `npm run bench:sync`: the one-shot sync of 10,000 sandbox items, first run (all created) and
 * second run (all unchanged). Prints records per second and peak RSS. Figures, not a test.
 * The sandboxes (the "remote" APIs) and dynalite (the "remote" DynamoDB) run in child processes,
 * so the figures are the sync's own: its CPU, its memory (peak RSS of this process).
 */
import { parseArgs } from "node:util";
import { clientsFor } from "../runtime/compose.js";
import { defaultPolicy } from "../runtime/http/policy.js";
import { logger } from "../runtime/observability/logger.js";
import { RecordLedger } from "../runtime/store/ledger.js";
import { LedgerSnapshot } from "../runtime/store/ledger-snapshot.js";
import { openStore } from "../runtime/store/local.js";
import { newRunId, RunStore } from "../runtime/store/runs.js";
import { runSync } from "../runtime/sync/run-sync.js";
import { loadTenants } from "../runtime/tenants/registry.js";
import { spawnDynalite } from "../sandbox/dynalite-process.js";
import { spawnSandboxes } from "../sandbox/process.js";

const { values } = parseArgs({ options: { items: { type: "string", default: "10000" } } });
const items = Number(values.items);
const tenant = (await loadTenants()).require("demo");
const sandboxes = await spawnSandboxes({ product: tenant.product.type, items, seed: 42 });
const dynamo = await spawnDynalite();
process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
const store = await openStore({ prefix: "bench" });
const clients = clientsFor(tenant, sandboxes.credentials, {
  policy: defaultPolicy({ retryAttempts: tenant.sync.retryAttempts }),
  log: logger,
  siesaUrl: sandboxes.siesaUrl,
  productUrl: sandboxes.productUrl,
});
const deps = {
  tenantId: tenant.id,
  source: clients.siesa,
  mapper: clients.mapper,
  product: clients.product,
  journal: new RunStore(store.doc, store.names.runs),
  concurrency: tenant.sync.concurrency,
};

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
console.log(`bench:sync: ${items} items, tenant ${tenant.id}, concurrency ${tenant.sync.concurrency}`);
for (const label of ["first run (create)", "second run (unchanged)"]) {
  // A fresh snapshot per run, as the CLI makes: the second run pays for reading the ledger too.
  const ledger = new LedgerSnapshot(new RecordLedger(store.doc, store.names.ledger), tenant.id);
  const summary = await runSync({ ...deps, ledger }, { runId: newRunId(), trigger: "cli" });
  const perSecond = Math.round(summary.counts.extracted / (summary.durationMs / 1000));
  console.log(
    `${label.padEnd(24)} ${String(perSecond).padStart(7)} records/s  ${(summary.durationMs / 1000).toFixed(2)} s` +
      `  peak RSS ${peakRssMb()} MB  ${JSON.stringify(summary.counts)}`,
  );
}
await store.close();
await dynamo.close();
await sandboxes.close();
