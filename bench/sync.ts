/**
 * `npm run bench:sync`: `npm run sync`'s engine (the pipeline's steps over the local SQS) on
 * 10,000 sandbox items, first run (all created) and second run (all unchanged). Prints records per
 * second and peak RSS. Figures, not a test. The sandboxes (the "remote" APIs) and dynalite (the
 * "remote" DynamoDB) run in child processes, so the figures are the engine's own.
 *
 * `--latency-ms 50` makes every sandbox answer wait that long, and prints how close the first run
 * comes to the product's limit: changed records × latency / concurrency (1.0 = the product never
 * waited for us).
 *   npm run bench:sync [-- --items 10000 --latency-ms 50 --concurrency 4]
 */
import { parseOrExit, wholeNumber } from "../runtime/cli/args.js";

const { items, latencyMs, slots } = parseOrExit(
  {
    command: "npm run bench:sync --",
    name: "bench:sync",
    summary:
      "Times npm run sync's in-process run on a generated catalogue: a first run (every record created), then an unchanged one.",
    synopsis: "[--items <n>] [--latency-ms <ms>] [--concurrency <n>]",
    options: {
      items: { type: "string", default: "10000", value: "n", help: "sandbox catalogue size" },
      "latency-ms": {
        type: "string",
        default: "0",
        value: "ms",
        help: "the sandboxes answer after this long (the run's time is then shown against the product's limit)",
      },
      concurrency: {
        type: "string",
        value: "n",
        help: "the tenant's sync.concurrency (default: the demo tenant's)",
      },
    },
    examples: ["npm run bench:sync", "npm run bench:sync -- --items 1257 --latency-ms 50 --concurrency 4"],
  },
  (values) => ({
    items: wholeNumber("items", values.items),
    latencyMs: wholeNumber("latency-ms", values["latency-ms"], 0),
    slots: values.concurrency === undefined ? undefined : wholeNumber("concurrency", values.concurrency),
  }),
);
// Loaded once the arguments are read: --help and a wrong argument answer at once.
const [{ logger }, { loadTenants }, { spawnDynalite }, { inProcessBench }] = await Promise.all([
  import("../runtime/core/observability/logger.js"),
  import("../runtime/wiring/tenant-registry.js"),
  import("../sandbox/dynalite-process.js"),
  import("./in-process.js"),
]);
if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel("WARN");
const demo = (await loadTenants()).require("demo");
// --concurrency: the tenant's sync.concurrency (product writes and Siesa units in flight).
const tenant = slots ? { ...demo, sync: { ...demo.sync, concurrency: slots } } : demo;
const dynamo = await spawnDynalite();
process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
const { run, close } = await inProcessBench(tenant, { items, storePrefix: "bench", latencyMs });

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const { concurrency } = tenant.sync;
console.log(
  `bench:sync: ${items} items, tenant ${tenant.id}, concurrency ${concurrency}, sandbox latency ${latencyMs} ms`,
);
for (const label of ["first run (create)", "second run (unchanged)"]) {
  const summary = await run();
  const seconds = summary.durationMs / 1000;
  const perSecond = Math.round(summary.counts.extracted / seconds);
  const writes = summary.counts.created + summary.counts.updated;
  const limit = (writes * latencyMs) / 1000 / concurrency;
  const ofLimit =
    latencyMs > 0 && writes > 0
      ? `  ${(seconds / limit).toFixed(2)}x the product's limit (${limit.toFixed(1)} s)`
      : "";
  console.log(
    `${label.padEnd(24)} ${String(perSecond).padStart(7)} records/s  ${seconds.toFixed(2)} s` +
      `  peak RSS ${peakRssMb()} MB${ofLimit}  ${summary.status} ${JSON.stringify(summary.counts)}`,
  );
}
await close();
await dynamo.close();
