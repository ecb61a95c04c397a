/**
 * `npm run bench:sync`: the one-shot sync of 10,000 sandbox items, first run (all created) and
 * second run (all unchanged). Prints records per second and peak RSS. Figures, not a test.
 * The sandboxes (the "remote" APIs) and dynalite (the "remote" DynamoDB) run in child processes,
 * so the figures are the sync's own: its CPU, its memory (peak RSS of this process).
 */
import { parseArgs } from "node:util";
import { loadTenants } from "../runtime/tenants/registry.js";
import { spawnDynalite } from "../sandbox/dynalite-process.js";
import { oneShotBench } from "./one-shot.js";

const { values } = parseArgs({ options: { items: { type: "string", default: "10000" } } });
const items = Number(values.items);
const tenant = (await loadTenants()).require("demo");
const dynamo = await spawnDynalite();
process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
const { run, close } = await oneShotBench(tenant, items, "bench");

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
console.log(`bench:sync: ${items} items, tenant ${tenant.id}, concurrency ${tenant.sync.concurrency}`);
for (const label of ["first run (create)", "second run (unchanged)"]) {
  const summary = await run();
  const perSecond = Math.round(summary.counts.extracted / (summary.durationMs / 1000));
  console.log(
    `${label.padEnd(24)} ${String(perSecond).padStart(7)} records/s  ${(summary.durationMs / 1000).toFixed(2)} s` +
      `  peak RSS ${peakRssMb()} MB  ${JSON.stringify(summary.counts)}`,
  );
}
await close();
await dynamo.close();
