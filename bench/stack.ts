/**
 * `npm run bench:stack`: the local stack (`npm start`) on 10,000 sandbox items. Figures, not a test:
 *   1. a run triggered through the API, from POST /tenants/:id/runs to `succeeded` (first run: every
 *      record created; second run: every record unchanged): records per second and seconds;
 *   2. GET /tenants/:id/status latency, p50/p99, under 50 concurrent requests (2,000 requests, idle stack);
 *   3. the in-process engine (`npm run sync`'s path: the same steps, pollers of its own) on the same
 *      catalogue, and the stack's time as a multiple of it (figure to beat: within 1.5×).
 * Each run also prints the DynamoDB read and write units it consumed per record (ReturnConsumedCapacity,
 * as DynamoDB would bill them): the stack's are the deployed workers', the in-process engine's those
 * of `npm run sync`, which reads the ledger once.
 * Both engines first run once (create, then unchanged) on a small catalogue of their own, not measured:
 * V8 compiles and optimises code on its first use, and most of it (the steps, the SDK, the clients, the
 * mapping) is shared, so whichever engine ran first would pay that warm-up for both (about 1.5 s of
 * CPU on a first run of 10,000 items). `--warm-up 0` measures the stack cold.
 * The sandboxes and dynalite run in child processes in both cases, so the "remote" APIs and database
 * do not compete with the pipeline for this process's CPU; the stack's own parts (fauxqs, workers,
 * API) share it, as in `npm start`. The status clients run in a worker thread, like a monitor outside the stack.
 * Run times are from the trigger's request to the end the run recorded (its `finishedAt`: the stack runs in
 * this process, on this clock), found by polling every 100 ms; the poll's own delay (up to 100 ms, 5-10%
 * of an unchanged run) is not counted. The in-process engine's are its run's `durationMs`.
 *   npm run bench:stack [-- --items 10000 --requests 2000 --concurrency 50 --warm-up 2000]
 */
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { parseOrExit, wholeNumber } from "../runtime/cli/args.js";
import type { LocalStack } from "../runtime/cli/stack.js";
import type { Counts } from "../runtime/core/domain/model.js";
import type { CapacityCount } from "./capacity.js";

const { items, requests, concurrency, warmUpItems } = parseOrExit(
  {
    command: "npm run bench:stack --",
    name: "bench:stack",
    summary:
      "Times runs through npm start's local stack (triggered by the API) against the in-process run, and the status route's latency under concurrent clients.",
    synopsis: "[--items <n>] [--requests <n>] [--concurrency <n>] [--warm-up <n>]",
    options: {
      items: { type: "string", default: "10000", value: "n", help: "sandbox catalogue size" },
      requests: {
        type: "string",
        default: "2000",
        value: "n",
        help: "status requests for the latency figure",
      },
      concurrency: { type: "string", default: "50", value: "n", help: "status clients at once" },
      "warm-up": {
        type: "string",
        default: "2000",
        value: "n",
        help: "items of the unmeasured warm-up runs (0: none, measure cold)",
      },
    },
    examples: ["npm run bench:stack", "npm run bench:stack -- --items 2000 --warm-up 0"],
  },
  (values) => ({
    items: wholeNumber("items", values.items),
    requests: wholeNumber("requests", values.requests),
    concurrency: wholeNumber("concurrency", values.concurrency),
    warmUpItems: wholeNumber("warm-up", values["warm-up"], 0),
  }),
);
// Loaded once the arguments are read: --help and a wrong argument answer at once.
const [{ startLocalStack }, { logger }, { spawnDynalite }, { countCapacity }, { inProcessBench }] =
  await Promise.all([
    import("../runtime/cli/stack.js"),
    import("../runtime/core/observability/logger.js"),
    import("../sandbox/dynalite-process.js"),
    import("./capacity.js"),
    import("./in-process.js"),
  ]);
// Per-message INFO lines would cost more than the work being measured.
if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel("WARN");

interface RunFigures {
  seconds: number;
  extracted: number;
  status: string;
  counts: Partial<Counts>;
  /** DynamoDB capacity units the run consumed, per record extracted. */
  units?: { read: number; write: number };
}

const POLL_MS = 100;
const RUN_TIMEOUT_MS = 30 * 60_000;

const line = (label: string, run: RunFigures) =>
  `${label.padEnd(34)} ${String(Math.round(run.extracted / run.seconds)).padStart(7)} records/s  ${run.seconds
    .toFixed(2)
    .padStart(7)} s  ${run.status}  ${JSON.stringify(run.counts)}${
    run.units
      ? `  DynamoDB units a record: ${run.units.read.toFixed(3)} read, ${run.units.write.toFixed(3)} write`
      : ""
  }`;

/** What `capacity` counted since its reset, per record extracted. */
const unitsOf = (capacity: CapacityCount, extracted: number) => ({
  read: capacity.read / Math.max(1, extracted),
  write: capacity.write / Math.max(1, extracted),
});

// DynamoDB is a remote service in AWS: both the stack and the in-process engine use a dynalite in its own
// process, so neither pays for the database's CPU (openStore follows AWS_ENDPOINT_URL_DYNAMODB).
const dynamo = await spawnDynalite();
process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;

async function runThroughApi(stack: LocalStack, tenantId: string): Promise<RunFigures> {
  const auth = { authorization: `Bearer ${stack.operatorToken}` };
  const started = performance.now();
  const triggeredAt = Date.now();
  const answer = await fetch(`${stack.apiUrl}/tenants/${tenantId}/runs`, { method: "POST", headers: auth });
  if (answer.status !== 202) throw new Error(`trigger answered ${answer.status}: ${await answer.text()}`);
  const { runId } = (await answer.json()) as { runId: string };
  for (;;) {
    const run = (await (await fetch(`${stack.apiUrl}/runs/${runId}`, { headers: auth })).json()) as {
      status: string;
      counts: Counts;
      finishedAt: string | null;
    };
    if (run.status !== "running") {
      // Until the run recorded its end (this process's clock), not until the poll that saw it.
      const finishedAt = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
      const seconds = (finishedAt - triggeredAt) / 1000;
      return { seconds, extracted: run.counts.extracted, status: run.status, counts: run.counts };
    }
    if (performance.now() - started > RUN_TIMEOUT_MS)
      throw new Error(`run ${runId} still running after 30 min`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// --- 0. warm-up: each engine once on a small catalogue of its own, not measured ---------------------
if (warmUpItems > 0) {
  const small = await startLocalStack({
    items: warmUpItems,
    sandboxes: "child-process",
    scheduler: false,
    tablePrefix: "bench-warmup-stack",
  });
  try {
    const smallTenant = small.tenants[0];
    if (!smallTenant) throw new Error("bench:stack: no local tenant");
    await runThroughApi(small, smallTenant.id);
    await runThroughApi(small, smallTenant.id);
    const engine = await inProcessBench(smallTenant, {
      items: warmUpItems,
      storePrefix: "bench-warmup-inprocess",
    });
    try {
      await engine.run();
      await engine.run();
    } finally {
      await engine.close();
    }
  } finally {
    await small.close();
  }
  console.log(`bench:stack: warmed up on ${warmUpItems} items (not measured)`);
}

// --- 1. the stack ---------------------------------------------------------------------------------
const stack = await startLocalStack({
  items,
  sandboxes: "child-process",
  scheduler: false,
  tablePrefix: "bench-stack",
});
const tenant = stack.tenants[0];
if (!tenant) throw new Error("bench:stack: no local tenant");
const auth = { authorization: `Bearer ${stack.operatorToken}` };
// The stack's reads include the benchmark's own polls of the run (a GetItem every 100 ms).
const stackCapacity = countCapacity(stack.store.doc);
const measured = async (): Promise<RunFigures> => {
  stackCapacity.reset();
  const run = await runThroughApi(stack, tenant.id);
  return { ...run, units: unitsOf(stackCapacity, run.extracted) };
};
console.log(`bench:stack: ${items} items, tenant ${tenant.id}, concurrency ${tenant.sync.concurrency}`);

/**
 * The 50 concurrent clients run in a worker thread, as a monitor would run outside `npm start`: their
 * own HTTP work does not share the stack's event loop. Returns the sorted latencies in ms.
 */
async function statusLatencies(url: string, authorization: string): Promise<number[]> {
  const worker = new Worker(
    `
    const { parentPort, workerData: { url, authorization, requests, concurrency } } = require("node:worker_threads");
    const http = require("node:http");
    // node:http with keep-alive: a light client, so the figures are the API's, not the load generator's.
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const get = () => new Promise((resolve, reject) => {
      http.get(url, { agent, headers: { authorization } }, (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode));
        response.on("error", reject);
      }).on("error", reject);
    });
    (async () => {
      await Promise.all(Array.from({ length: concurrency }, get)); // open the connections
      const latencies = [];
      let next = 0;
      const lane = async () => {
        while (next++ < requests) {
          const start = performance.now();
          const status = await get();
          if (status !== 200 && status !== 503) throw new Error("status answered " + status);
          latencies.push(performance.now() - start);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, lane));
      parentPort.postMessage(latencies);
    })();
    `,
    { eval: true, workerData: { url, authorization, requests, concurrency } },
  );
  const [latencies] = (await once(worker, "message")) as [number[]];
  await worker.terminate();
  return latencies.sort((a, b) => a - b);
}

let stackRuns: RunFigures[] = [];
let latencies: number[] = [];
try {
  stackRuns = [await measured(), await measured()];
  console.log(line("stack, first run (create)", stackRuns[0] as RunFigures));
  console.log(line("stack, second run (unchanged)", stackRuns[1] as RunFigures));

  // --- 2. status latency ----------------------------------------------------------------------------
  latencies = await statusLatencies(`${stack.apiUrl}/tenants/${tenant.id}/status`, auth.authorization);
  const at = (p: number) =>
    (latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(1);
  console.log(
    `GET /tenants/${tenant.id}/status, ${latencies.length} requests, ${concurrency} concurrent: ` +
      `p50 ${at(0.5)} ms  p99 ${at(0.99)} ms  max ${(latencies.at(-1) ?? 0).toFixed(1)} ms`,
  );
} finally {
  await stack.close();
}

// --- 3. the in-process engine on the same catalogue ----------------------------------------------
const inProcess = await inProcessBench(tenant, { items, storePrefix: "bench-inprocess" });
const inProcessCapacity = countCapacity(inProcess.store.client);
try {
  for (const [i, label] of [
    "in-process, first run (create)",
    "in-process, second run (unchanged)",
  ].entries()) {
    inProcessCapacity.reset();
    const summary = await inProcess.run();
    const figures: RunFigures = {
      seconds: summary.durationMs / 1000,
      extracted: summary.counts.extracted,
      status: summary.status,
      counts: summary.counts,
      units: unitsOf(inProcessCapacity, summary.counts.extracted),
    };
    console.log(line(label, figures));
    const viaStack = stackRuns[i];
    if (viaStack) {
      console.log(`${"".padEnd(34)} stack / in-process: ${(viaStack.seconds / figures.seconds).toFixed(2)}×`);
    }
  }
} finally {
  await inProcess.close();
  await dynamo.close();
}
