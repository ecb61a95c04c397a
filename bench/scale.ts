/**
 * `npm run bench:scale -- --items 100000`: the in-process engine (`npm run sync`'s path) against
 * sandboxes and dynalite in child processes: a first run (all created), an unchanged run, and a small
 * change (`--changed` descriptions edited in Siesa). Figures, not a test. For each run it prints
 * records per second, DynamoDB write units per record (ReturnConsumedCapacity, bench/capacity.ts),
 * Siesa requests against the minimum (one per page of rows of each query the run needs), and an
 * estimated AWS cost per run and per tenant-month (bench/usage.ts, at bench/prices.ts). With
 * `--latency-ms`, the first sync is also shown against the product's own limit. `--stream stock`
 * measures the stock stream instead: `--items` items in `--warehouses` active warehouses, each item
 * stocked in a warehouse at `STOCKED_SHARE` (rows ≈ items × warehouses × that share), a first run and
 * an unchanged one; its minimum is a page per started page of each counted warehouse's rows, plus
 * the warehouse query. The last line is
 * JSON: {"stream","items",(stock: "warehouses","stockedShare","stockRows",)"latencyMs","concurrency","firstRecordsPerSec","unchangedRecordsPerSec","peakRssMb",
 * "writeUnitsPerRecordFirst","writeUnitsPerRecordUnchanged","maxItemBytes","siesaRequestsMinimum",
 * "runs":[{"run","seconds","ofLimit","siesaRequests","dollarsPerRun","dollarsPerTenantMonth",…}],"prices"}
 */
import { parseOrExit, UsageError, wholeNumber } from "../runtime/cli/args.js";
import type { RunSummary } from "../runtime/cli/in-process.js";
import { HOURS_A_MONTH, PRICES } from "./prices.js";
import type { RunCost, RunUsage } from "./usage.js";

const options = parseOrExit(
  {
    command: "npm run bench:scale --",
    name: "bench:scale",
    summary:
      "Times npm run sync's in-process run at scale (first run, unchanged, small change): records per second, peak memory, DynamoDB units, Siesa requests against the minimum, and the AWS cost of a run.",
    synopsis:
      "[--items <n>] [--changed <n>] [--latency-ms <ms>] [--concurrency <n>] [--stream <catalogue|stock>] [--warehouses <n>] [--clustered]",
    options: {
      items: { type: "string", default: "100000", value: "n", help: "sandbox catalogue size" },
      changed: {
        type: "string",
        value: "n",
        help: "items whose description changes before the third run (default: 1 % of --items)",
      },
      "latency-ms": {
        type: "string",
        default: "0",
        value: "ms",
        help: "the sandboxes answer after this long (the first sync is then shown against the product's limit)",
      },
      concurrency: {
        type: "string",
        value: "n",
        help: "the tenant's sync.concurrency (default: the demo tenant's)",
      },
      stream: {
        type: "string",
        default: "catalogue",
        value: "catalogue|stock",
        help: "the stream measured: the catalogue (three runs) or the stock (a first and an unchanged run)",
      },
      warehouses: {
        type: "string",
        default: "50",
        value: "n",
        help: "--stream stock: the company's active warehouses, all counted",
      },
      clustered: {
        type: "boolean",
        help: "--stream stock: each warehouse carries runs of consecutive items instead of an even share of them",
      },
    },
    examples: [
      "npm run bench:scale",
      "npm run bench:scale -- --items 10000",
      "npm run bench:scale -- --items 2000 --latency-ms 50 --concurrency 4",
      "npm run bench:scale -- --stream stock --items 4000 --warehouses 50",
      "npm run bench:scale -- --stream stock --items 4000 --warehouses 50 --clustered",
    ],
  },
  (values) => {
    const items = wholeNumber("items", values.items);
    const stream = values.stream;
    if (stream !== "catalogue" && stream !== "stock")
      throw new UsageError(`--stream must be catalogue or stock (got ${JSON.stringify(stream)})`);
    if (values.clustered && stream !== "stock") throw new UsageError("--clustered needs --stream stock");
    const changed =
      values.changed === undefined
        ? Math.max(1, Math.round(items / 100))
        : wholeNumber("changed", values.changed, 0);
    // The sandbox's catalogue holds --items company items, all well-formed: it can change no more.
    if (changed > items)
      throw new UsageError(
        `--changed must be at most --items, ${items} (got ${JSON.stringify(values.changed)})`,
      );
    return {
      stream,
      warehouses: wholeNumber("warehouses", values.warehouses),
      clustered: values.clustered === true,
      items,
      changed,
      latencyMs: wholeNumber("latency-ms", values["latency-ms"], 0),
      slots: values.concurrency === undefined ? undefined : wholeNumber("concurrency", values.concurrency),
    };
  },
);
const { items, changed, latencyMs, slots, stream, warehouses, clustered } = options;
const stock = stream === "stock";
/** Chance an item has a row in a warehouse: 100,000 items in 50 warehouses hold about a million rows. */
const STOCKED_SHARE = 0.2;
// Loaded once the arguments are read: --help and a wrong argument answer at once.
const [
  { logger },
  { BARCODES_QUERY, ITEMS_QUERY, MAX_PAGE_SIZE },
  { STOCK_QUERY },
  { WAREHOUSES_QUERY },
  { loadTenants },
  { spawnDynalite },
  { countCapacity },
  { inProcessBench },
  { costOf, perTenantMonth, usageCounter },
] = await Promise.all([
  import("../runtime/core/observability/logger.js"),
  import("../runtime/edges/http/siesa/connection.js"),
  import("../runtime/edges/http/siesa/stock.js"),
  import("../runtime/edges/http/siesa/warehouses.js"),
  import("../runtime/wiring/tenant-registry.js"),
  import("../sandbox/dynalite-process.js"),
  import("./capacity.js"),
  import("./in-process.js"),
  import("./usage.js"),
]);
if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel("WARN");
const demo = (await loadTenants()).require("demo");
const synced = slots ? { ...demo, sync: { ...demo.sync, concurrency: slots } } : demo;
// Every active warehouse counts (no `warehouses` list), with the default rule.
const tenant = stock
  ? {
      ...synced,
      streams: { stock: { schedule: "rate(15 minutes)", subtract: ["committed" as const, "pos" as const] } },
    }
  : synced;
const { concurrency } = tenant.sync;
const dynamo = await spawnDynalite();
process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
const usage = usageCounter();
const bench = await inProcessBench(tenant, {
  items,
  storePrefix: "bench-scale",
  latencyMs,
  ...(stock
    ? { stream: "stock" as const, stock: { warehouses, stockedShare: STOCKED_SHARE, clustered } }
    : {}),
  wrap: { wrapHandlers: usage.wrapHandler, wrapQueues: usage.wrapQueues },
});
const { store, sandboxes } = bench;

// Every read and write asks DynamoDB what it cost; the largest item put is measured from its request.
let maxItemBytes = 0;
/** Where the largest item went: its table and its key's values (the item's kind). */
let maxItemOf = "";
const measure = (table: unknown, item: Record<string, unknown>) => {
  const bytes = Buffer.byteLength(JSON.stringify(item));
  if (bytes <= maxItemBytes) return;
  maxItemBytes = bytes;
  const keys = Object.values(item)
    .filter((value) => typeof value === "string")
    .slice(0, 2)
    .map((value) => (value.length > 60 ? `${value.slice(0, 60)}…` : value));
  maxItemOf = `table ${String(table)}, ${keys.join(" / ")}`;
};
const capacity = countCapacity(store.client, (input) => {
  if (input.Item) measure(input.TableName, input.Item as Record<string, unknown>);
  for (const [table, requests] of Object.entries(
    (input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Record<string, unknown> } }[]>,
  )) {
    for (const r of requests) if (r.PutRequest) measure(table, r.PutRequest.Item);
  }
});

// Every run reads the whole catalogue: at least one request per page of each query's rows. A stock
// run reads the warehouses once and each counted warehouse's rows: a page per started page of them.
const catalogue = await sandboxes.siesaState();
const pages = (rows: number) => Math.ceil(rows / MAX_PAGE_SIZE);
const stockRows = Object.values(catalogue.stockRows ?? {});
const rowCount = stockRows.reduce((sum, n) => sum + n, 0);
const queries = stock
  ? [
      {
        name: "stock",
        key: "siesaStockRequests",
        query: STOCK_QUERY,
        minimum: stockRows.reduce((sum, n) => sum + pages(n), 0),
      },
      { name: "warehouses", key: "siesaWarehouseRequests", query: WAREHOUSES_QUERY, minimum: 1 },
    ]
  : [
      { name: "items", key: "siesaItemRequests", query: ITEMS_QUERY, minimum: pages(catalogue.itemRows) },
      {
        name: "barcodes",
        key: "siesaBarcodeRequests",
        query: BARCODES_QUERY,
        minimum: pages(catalogue.barcodeRows),
      },
    ];
const siesaMinimum = queries.reduce((sum, q) => sum + q.minimum, 0);

interface Measured {
  label: string;
  summary: RunSummary;
  seconds: number;
  perSecond: number;
  writeUnitsPerRecord: number;
  siesaRequests: number;
  /** Per query of `queries`. */
  siesaRequestsOf: number[];
  ofLimit?: number;
  usage: RunUsage;
  cost: RunCost;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
/** `firstSync`: the run whose time is set against the product's limit (a small change is mostly reading). */
const run = async (label: string, firstSync: boolean): Promise<Measured> => {
  capacity.reset();
  usage.take({ read: 0, write: 0 });
  const siesaBefore = await sandboxes.siesaState();
  const summary = await bench.run();
  const siesaAfter = await sandboxes.siesaState();
  const siesaRequests = siesaAfter.siesaRequests - siesaBefore.siesaRequests;
  const ofQuery = (query: string) =>
    (siesaAfter.siesaRequestsByQuery[query] ?? 0) - (siesaBefore.siesaRequestsByQuery[query] ?? 0);
  const seconds = summary.durationMs / 1000;
  const writes = summary.counts.created + summary.counts.updated;
  const limit = (writes * latencyMs) / 1000 / concurrency;
  const counted = usage.take({ read: capacity.read, write: capacity.write });
  return {
    label,
    summary,
    seconds,
    perSecond: Math.round(summary.counts.extracted / seconds),
    writeUnitsPerRecord: capacity.write / Math.max(1, summary.counts.extracted),
    siesaRequests,
    siesaRequestsOf: queries.map((q) => ofQuery(q.query)),
    ...(firstSync && limit > 0 ? { ofLimit: seconds / limit } : {}),
    usage: counted,
    cost: costOf(counted),
  };
};

const dollars = (n: number) => (n >= 1 ? `$${n.toFixed(2)}` : `$${n.toPrecision(3)}`);
/** `monthly`: a run like this one is what a tenant's hourly schedule repeats (not the first sync). */
const report = (m: Measured, monthly: boolean) => {
  const limit = m.ofLimit
    ? `  ${m.ofLimit.toFixed(2)}x the product's limit (${((m.seconds / m.ofLimit) as number).toFixed(1)} s)`
    : "";
  const { cost, usage: u } = m;
  console.log(
    `${m.label.padEnd(24)} ${String(m.perSecond).padStart(7)} ${records}/s  ${m.seconds.toFixed(1)} s  ` +
      `${m.writeUnitsPerRecord.toFixed(3)} write units/record  peak RSS ${peakRssMb()} MB${limit}  ` +
      `${m.summary.status} ${JSON.stringify(m.summary.counts)}`,
  );
  console.log(
    `${"".padEnd(24)} Siesa requests ${m.siesaRequests} (minimum ${siesaMinimum}: ${(m.siesaRequests / siesaMinimum).toFixed(2)}x): ` +
      queries.map((q, i) => `${q.name} ${m.siesaRequestsOf[i]} (minimum ${q.minimum})`).join(", "),
  );
  console.log(
    `${"".padEnd(24)} AWS ${dollars(cost.total)} a run${monthly ? `, ${dollars(perTenantMonth(cost))} a tenant-month at one run an hour` : " (once a tenant)"}: ` +
      `Lambda ${dollars(cost.lambda)} (${cost.lambdaRequests} invocations, ${cost.gbSeconds.toFixed(1)} GB-s), ` +
      `SQS ${dollars(cost.sqs)} (${u.sqs.standard} standard + ${u.sqs.fifo} FIFO requests), ` +
      `DynamoDB ${dollars(cost.dynamodb)} (${u.dynamodb.read.toFixed(0)} read + ${u.dynamodb.write.toFixed(0)} write units), ` +
      `Scheduler ${dollars(cost.scheduler)}`,
  );
};

const records = stock ? "rows" : "records";
const read = stock
  ? `${rowCount} stock rows in ${stockRows.length} counted warehouses (stocked share ${STOCKED_SHARE}${clustered ? ", in runs of lines" : ""})`
  : `${catalogue.itemRows} item rows, ${catalogue.barcodeRows} barcode rows`;
console.log(
  `bench:scale: ${stream}, ${items} items, tenant ${tenant.id}, concurrency ${concurrency}, sandbox latency ${latencyMs} ms; ` +
    `Siesa minimum ${siesaMinimum} requests (${read}, pages of ${MAX_PAGE_SIZE}); ` +
    `AWS ${PRICES.region} on-demand prices as published on ${PRICES.asOf}, ${HOURS_A_MONTH} runs a tenant-month`,
);
const runs: Measured[] = [];
try {
  const labels = ["first run (create)", "second run (unchanged)"];
  if (!stock) labels.push(`small change (${changed} items)`);
  for (const label of labels) {
    if (runs.length === 2) await sandboxes.changeItems(changed);
    const measured = await run(label, runs.length === 0);
    runs.push(measured);
    report(measured, runs.length > 1);
  }
  console.log(`largest item written: ${maxItemBytes} bytes (${maxItemOf})`);
  const [first, unchanged] = runs as [Measured, Measured];
  console.log(
    JSON.stringify({
      stream,
      items,
      ...(stock ? { warehouses, stockedShare: STOCKED_SHARE, clustered, stockRows: rowCount } : {}),
      latencyMs,
      concurrency,
      firstRecordsPerSec: first.perSecond,
      unchangedRecordsPerSec: unchanged.perSecond,
      peakRssMb: peakRssMb(),
      writeUnitsPerRecordFirst: Number(first.writeUnitsPerRecord.toFixed(3)),
      writeUnitsPerRecordUnchanged: Number(unchanged.writeUnitsPerRecord.toFixed(3)),
      maxItemBytes,
      siesaRequestsMinimum: siesaMinimum,
      runs: runs.map((m, i) => ({
        run: m.label,
        status: m.summary.status,
        seconds: Number(m.seconds.toFixed(2)),
        ofLimit: m.ofLimit === undefined ? null : Number(m.ofLimit.toFixed(3)),
        siesaRequests: m.siesaRequests,
        ...Object.fromEntries(queries.map((q, i) => [q.key, m.siesaRequestsOf[i]])),
        lambdaInvocations: m.cost.lambdaRequests,
        lambdaGbSeconds: Number(m.cost.gbSeconds.toFixed(2)),
        sqsRequests: m.usage.sqs,
        dynamodbUnits: m.usage.dynamodb,
        dollarsPerRun: Number(m.cost.total.toPrecision(3)),
        // The first sync happens once; the hourly schedule repeats the others.
        dollarsPerTenantMonth: i === 0 ? null : Number(perTenantMonth(m.cost).toPrecision(3)),
      })),
      prices: PRICES,
    }),
  );
} finally {
  await bench.close();
  await dynamo.close();
}
