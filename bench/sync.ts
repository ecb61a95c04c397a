/**
 * `npm run bench:sync`: `npm run sync`'s engine (the pipeline's steps over the local SQS) on
 * 10,000 sandbox items, first run (all created) and second run (all unchanged). Prints records per
 * second and peak RSS. Figures, not a test. The sandboxes (the "remote" APIs), dynalite (the
 * "remote" DynamoDB) and fauxqs (the "remote" SQS) run in child processes, so the figures are the
 * engine's own.
 *
 * `--latency-ms 50` makes every sandbox answer wait that long, and prints how close the first run
 * comes to the product's limit: changed records × latency / concurrency (1.0 = the product never
 * waited for us), and to the time the product actually took to answer (its answers' round trips
 * summed, over concurrency), with when its first request came and how busy its slots were; then as
 * many creates by the product client alone, as many at a time: the floor this machine and the
 * sandbox allow any engine.
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
        help: "the sandboxes answer after this long (the run's time is then shown against the product's limit and against the product client alone)",
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
// The product's own time: the round trips of the run's requests to the product sandbox, summed. Under
// load the sandbox answers later than its latency (its own work and this machine's scheduling), which
// is the product's time, not the engine's: the run is shown against both.
// The first record the engine created is kept as the floor's template (below).
const product = { url: "", answers: [] as { from: number; to: number }[], created: undefined as unknown };
const nodeFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  if (!product.url || !url.startsWith(product.url)) return nodeFetch(input, init);
  if (init?.method === "POST" && typeof init.body === "string" && product.created === undefined) {
    const body = JSON.parse(init.body) as Record<string, unknown>;
    if ("external_id" in body) product.created = body;
  }
  const from = performance.now();
  try {
    return await nodeFetch(input, init);
  } finally {
    product.answers.push({ from, to: performance.now() });
  }
};

/** Where a run's time went against the product: its first request, how busy its slots were, its end. */
function productTimeline(started: number, ended: number) {
  const { answers } = product;
  const first = Math.min(...answers.map((a) => a.from));
  const last = Math.max(...answers.map((a) => a.to));
  const answering = answers.reduce((sum, a) => sum + a.to - a.from, 0);
  return {
    answeringSeconds: answering / 1000,
    line:
      `product: first request ${((first - started) / 1000).toFixed(2)} s into the run, ` +
      `${(answering / (last - first)).toFixed(2)} in flight on average from then to its last answer, ` +
      `${((ended - last) / 1000).toFixed(2)} s after it; ${answers.length} requests, ` +
      `${(answering / answers.length).toFixed(1)} ms each on average`,
  };
}
// Loaded once the arguments are read: --help and a wrong argument answer at once.
const [
  { logger },
  { loadTenants },
  { spawnDynalite },
  { inProcessBench },
  { connectionsFor },
  { defaultPolicy },
  { forEachConcurrent },
] = await Promise.all([
  import("../runtime/core/observability/logger.js"),
  import("../runtime/wiring/tenant-registry.js"),
  import("../sandbox/dynalite-process.js"),
  import("./in-process.js"),
  import("../runtime/wiring/compose.js"),
  import("../runtime/core/ports/call-policy.js"),
  import("../runtime/core/domain/pool.js"),
]);
if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel("WARN");
const demo = (await loadTenants()).require("demo");
// --concurrency: the tenant's sync.concurrency (product writes and Siesa units in flight).
const tenant = slots ? { ...demo, sync: { ...demo.sync, concurrency: slots } } : demo;
const dynamo = await spawnDynalite();
process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
const { run, close, sandboxes } = await inProcessBench(tenant, { items, storePrefix: "bench", latencyMs });
product.url = sandboxes.productUrl;

/**
 * The same number of creates as the run's, by the tenant's product client alone (no Siesa, no queue,
 * no ledger), `concurrency` at a time, each a copy of the run's first record under a new external id:
 * what this machine and the sandbox allow at best.
 */
async function productClientAlone(count: number): Promise<number> {
  const template = product.created as Record<string, unknown> | undefined;
  if (!template) throw new Error("bench:sync: the run created no record to copy");
  const { product: client } = connectionsFor(tenant, sandboxes.credentials, {
    policy: defaultPolicy(),
    log: logger,
    productUrl: sandboxes.productUrl,
  });
  const externalIds = Array.from({ length: count }, (_, i) => `floor-${i}`);
  const started = performance.now();
  await forEachConcurrent(externalIds, concurrency, async (externalId) => {
    const written = await client.write({
      key: externalId,
      externalId,
      payload: { ...template, external_id: externalId },
    });
    if (written.outcome !== "created")
      throw new Error(`bench:sync: the floor's ${externalId} was ${written.outcome}`);
  });
  return (performance.now() - started) / 1000;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const { concurrency } = tenant.sync;
console.log(
  `bench:sync: ${items} items, tenant ${tenant.id}, concurrency ${concurrency}, sandbox latency ${latencyMs} ms`,
);
for (const label of ["first run (create)", "second run (unchanged)"]) {
  product.answers = [];
  const started = performance.now();
  const summary = await run();
  const timeline = product.answers.length > 0 ? productTimeline(started, performance.now()) : undefined;
  const seconds = summary.durationMs / 1000;
  const perSecond = Math.round(summary.counts.extracted / seconds);
  const writes = summary.counts.created + summary.counts.updated;
  const limit = (writes * latencyMs) / 1000 / concurrency;
  const answered = (timeline?.answeringSeconds ?? 0) / concurrency;
  const ofLimit =
    latencyMs > 0 && writes > 0
      ? `  ${(seconds / limit).toFixed(2)}x the product's limit (${limit.toFixed(1)} s),` +
        ` ${(seconds / answered).toFixed(2)}x its answers' time (${answered.toFixed(1)} s)`
      : "";
  console.log(
    `${label.padEnd(24)} ${String(perSecond).padStart(7)} records/s  ${seconds.toFixed(2)} s` +
      `  peak RSS ${peakRssMb()} MB${ofLimit}  ${summary.status} ${JSON.stringify(summary.counts)}`,
  );
  if (timeline && writes > 0) console.log(`${"".padEnd(24)} ${timeline.line}`);
  if (label.startsWith("first") && latencyMs > 0 && writes > 0) {
    const floor = await productClientAlone(writes);
    console.log(
      `${"".padEnd(24)} the product client alone, ${concurrency} writes at a time: ${floor.toFixed(2)} s,` +
        ` ${(floor / limit).toFixed(2)}x the product's limit (the floor on this machine; the run ${(seconds / floor).toFixed(2)}x it)`,
    );
  }
}
await close();
await dynamo.close();
