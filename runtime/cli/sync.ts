/**
 * `npm run sync -- --tenant <id>`: one full run of one tenant, from this machine, through the
 * deployed pipeline's steps (in-process queues instead of SQS). State (runs, ledger, leases) is kept
 * in the local data directory, so a second run of an unchanged catalogue writes nothing.
 * A `local` tenant (demo) runs against sandboxes whose state is kept there too; any other tenant
 * against its real URLs (or --siesa-url/--product-url) with credentials from the environment. For a
 * `local` tenant, each URL flag replaces one sandbox and leaves the other in place.
 * Exit status: 0 succeeded, 2 finished with rejected or failed records, 1 could not run (one line
 * on stderr; --verbose adds the logs and the summary).
 */
import { startSandboxes } from "../../sandbox/local.js";
import type { TenantCredentials } from "../compose.js";
import { runInProcess } from "../local/in-process.js";
import { dataDir, dynamoDir, localTablePrefix, sandboxDir } from "../local/state.js";
import { logger } from "../observability/logger.js";
import { dynamoPipelineStore } from "../store/dynamo.js";
import { openStore } from "../store/local.js";
import { loadTenants } from "../tenants/registry.js";
import { runCommand, UsageError } from "./args.js";
import { type ProgressLine, progressLine, summaryTable } from "./report.js";

const spec = {
  command: "npm run sync --",
  name: "sync",
  summary:
    "One full run of one tenant from this machine, through the pipeline's steps on in-process queues; state is kept in .data/ (npm run reset clears it); a `local` tenant runs against sandboxes.",
  synopsis: "--tenant <id> [options]",
  options: {
    tenant: { type: "string", value: "id", help: "the tenant to run (a file under tenants/)" },
    "dry-run": { type: "boolean", help: "compute every outcome, write nothing; list what would change" },
    json: { type: "boolean", help: "end stdout with the run's summary as one JSON line" },
    "siesa-url": {
      type: "string",
      value: "url",
      help: "use this Siesa instead of the tenant's (or the sandbox)",
    },
    "product-url": {
      type: "string",
      value: "url",
      help: "use this product API instead of the tenant's (or the sandbox)",
    },
    items: {
      type: "string",
      value: "n",
      help: "size of a local tenant's sandbox catalogue (default: as last time, or 1000)",
    },
    seed: {
      type: "string",
      value: "s",
      help: "seed of a local tenant's sandbox catalogue (default: as last time, or 42)",
    },
  },
  notes: [
    "credentials of a side that is not a sandbox come from the environment:",
    "  Siesa: SIESA_CONNI_KEY, SIESA_CONNI_TOKEN    product: PRODUCT_USERNAME, PRODUCT_PASSWORD",
    "exit status: 0 succeeded, 2 finished with rejected or failed records, 1 could not run",
  ],
  examples: ["npm run sync -- --tenant demo --items 200 --json"],
} as const;

class CannotRun extends Error {}

const SIDE_VARIABLES = {
  siesa: ["SIESA_CONNI_KEY", "SIESA_CONNI_TOKEN"],
  product: ["PRODUCT_USERNAME", "PRODUCT_PASSWORD"],
} as const;

/** One side's credentials from the environment (only that side's variables are asked for). */
function fromEnv(side: keyof typeof SIDE_VARIABLES): [string, string] {
  const [first, second] = SIDE_VARIABLES[side].map((name) => {
    const value = process.env[name];
    if (!value)
      throw new CannotRun(
        `${name} is not set (credentials of a side that is not a sandbox come from the environment)`,
      );
    return value;
  });
  return [first as string, second as string];
}

const siesaFromEnv = (): TenantCredentials["siesa"] => {
  const [conniKey, conniToken] = fromEnv("siesa");
  return { conniKey, conniToken };
};
const productFromEnv = (): TenantCredentials["product"] => {
  const [username, password] = fromEnv("product");
  return { username, password };
};

runCommand(spec, async (values) => {
  const registry = await loadTenants();
  const known = `known tenants: ${registry
    .all()
    .map((t) => t.id)
    .join(", ")}`;
  if (!values.tenant) throw new UsageError(`missing --tenant <id> (${known})`);
  const tenant = registry.get(values.tenant);
  if (!tenant) throw new UsageError(`unknown tenant "${values.tenant}" (${known})`);
  const whole = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0)
      throw new UsageError(`--${name} must be a whole number (got ${text})`);
    return value;
  };
  const items = whole("items", values.items);
  const seed = whole("seed", values.seed);
  const args = { ...values, "dry-run": values["dry-run"] ?? false, items, seed };
  // Retries and external errors are logged as JSON on stderr: only with --verbose, so that a run
  // that cannot complete says so in one line.
  logger.setLogLevel(values.verbose ? "WARN" : "SILENT");

  const state = dataDir();
  const closers: (() => Promise<void>)[] = [];
  try {
    // First: the data directory is claimed with the store, before the sandboxes write there.
    const store = await openStore({
      path: dynamoDir(state),
      prefix: localTablePrefix(args["product-url"]),
    });
    closers.push(store.close);
    let siesaUrl = args["siesa-url"];
    let productUrl = args["product-url"];
    // Each side is a sandbox (local tenant, no URL flag for it) or the real thing with credentials
    // from the environment; the variables of a sandbox side are never asked for.
    let siesa = siesaUrl || tenant.environment !== "local" ? siesaFromEnv() : undefined;
    let product = productUrl || tenant.environment !== "local" ? productFromEnv() : undefined;
    if (!siesa || !product) {
      const sandboxes = await startSandboxes({
        product: tenant.product.type,
        ...(args.items !== undefined ? { items: args.items } : {}),
        ...(args.seed !== undefined ? { seed: args.seed } : {}),
        stateDir: sandboxDir(state, tenant.id),
      });
      closers.push(sandboxes.close);
      siesa ??= sandboxes.credentials.siesa;
      siesaUrl ??= sandboxes.siesaUrl;
      product ??= sandboxes.credentials.product;
      productUrl ??= sandboxes.productUrl;
    }
    const credentials: TenantCredentials = { siesa, product };

    const progress: ProgressLine = progressLine(process.stderr, tenant.id);
    const summary = await runInProcess({
      tenant: {
        ...tenant,
        siesa: { ...tenant.siesa, baseUrl: siesaUrl ?? tenant.siesa.baseUrl },
        product: { ...tenant.product, baseUrl: productUrl ?? tenant.product.baseUrl },
      },
      credentials,
      store: dynamoPipelineStore(store.doc, store.names),
      log: logger,
      dryRun: args["dry-run"],
      preflight: true,
      onProgress: (counts) => progress.update(counts),
    });
    progress.done();

    const couldNotRun = summary.status === "failed" && summary.reason;
    if (!couldNotRun || values.verbose)
      process.stdout.write(summaryTable(summary, { dryRun: args["dry-run"] }));
    if (args.json) {
      const { tenantId, runId, status, counts, durationMs } = summary;
      process.stdout.write(`${JSON.stringify({ tenantId, runId, status, counts, durationMs })}\n`);
    }
    if (couldNotRun) {
      process.stderr.write(`sync ${tenant.id}: could not complete: ${summary.reason}\n`);
      return 1;
    }
    return summary.status === "succeeded" ? 0 : 2;
  } finally {
    for (const close of closers.reverse()) await close();
  }
});
