/**
 * `npm run bench:scale -- --items 100000`: the in-process engine (`npm run sync`'s path) against
 * zero-latency sandboxes and dynalite in child processes, first run (all created) then unchanged.
 * Prints records per second, peak RSS, DynamoDB write units per record (from ReturnConsumedCapacity,
 * bench/capacity.ts) and the largest item written. Figures, not a test. The last line is JSON:
 * {"items","firstRecordsPerSec","unchangedRecordsPerSec","peakRssMb","writeUnitsPerRecordFirst",
 *  "writeUnitsPerRecordUnchanged","maxItemBytes"}
 */
import { parseOrExit, wholeNumber } from "../runtime/cli/args.js";
import { logger } from "../runtime/observability/logger.js";
import { loadTenants } from "../runtime/tenants/registry.js";
import { spawnDynalite } from "../sandbox/dynalite-process.js";
import { countCapacity } from "./capacity.js";
import { inProcessBench } from "./in-process.js";

const items = parseOrExit(
  {
    command: "npm run bench:scale --",
    name: "bench:scale",
    summary:
      "Times npm run sync's in-process run at scale (first run, then unchanged): records per second, peak memory, DynamoDB write units a record, the largest item.",
    synopsis: "[--items <n>]",
    options: { items: { type: "string", default: "100000", value: "n", help: "sandbox catalogue size" } },
    examples: ["npm run bench:scale", "npm run bench:scale -- --items 10000"],
  },
  (values) => wholeNumber("items", values.items),
);
if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel("WARN");
const tenant = (await loadTenants()).require("demo");
const dynamo = await spawnDynalite();
process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
const bench = await inProcessBench(tenant, { items, storePrefix: "bench-scale" });
const { store } = bench;

// Every read and write asks DynamoDB what it cost; the largest item put is measured from its request.
let maxItemBytes = 0;
const itemBytes = (item: Record<string, unknown>) => Buffer.byteLength(JSON.stringify(item));
const capacity = countCapacity(store.client, (input) => {
  if (input.Item) maxItemBytes = Math.max(maxItemBytes, itemBytes(input.Item as Record<string, unknown>));
  for (const requests of Object.values(
    (input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Record<string, unknown> } }[]>,
  )) {
    for (const r of requests)
      if (r.PutRequest) maxItemBytes = Math.max(maxItemBytes, itemBytes(r.PutRequest.Item));
  }
});

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const run = async () => {
  capacity.reset();
  const summary = await bench.run();
  const perSecond = Math.round(summary.counts.extracted / (summary.durationMs / 1000));
  return { summary, perSecond, unitsPerRecord: capacity.write / Math.max(1, summary.counts.extracted) };
};

console.log(`bench:scale: ${items} items, tenant ${tenant.id}, concurrency ${tenant.sync.concurrency}`);
const first = await run();
console.log(
  `first run (create)      ${first.perSecond} records/s  ${(first.summary.durationMs / 1000).toFixed(1)} s  ${first.unitsPerRecord.toFixed(3)} write units/record  peak RSS ${peakRssMb()} MB  ${first.summary.status}`,
);
const unchanged = await run();
console.log(
  `second run (unchanged)  ${unchanged.perSecond} records/s  ${(unchanged.summary.durationMs / 1000).toFixed(1)} s  ${unchanged.unitsPerRecord.toFixed(3)} write units/record  peak RSS ${peakRssMb()} MB  ${unchanged.summary.status}`,
);
console.log(`largest item written: ${maxItemBytes} bytes`);
console.log(
  JSON.stringify({
    items,
    firstRecordsPerSec: first.perSecond,
    unchangedRecordsPerSec: unchanged.perSecond,
    peakRssMb: peakRssMb(),
    writeUnitsPerRecordFirst: Number(first.unitsPerRecord.toFixed(3)),
    writeUnitsPerRecordUnchanged: Number(unchanged.unitsPerRecord.toFixed(3)),
    maxItemBytes,
  }),
);
await bench.close();
await dynamo.close();
