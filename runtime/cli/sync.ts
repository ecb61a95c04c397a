/**
 * `npm run sync -- --tenant <id>`: one full run of one tenant, from this machine, through the
 * deployed pipeline's steps (in-process queues instead of SQS). State (runs, ledger, leases) is kept
 * in the local data directory, so a second run of an unchanged catalogue writes nothing.
 * A `local` tenant (demo) runs against sandboxes whose state is kept there too; any other tenant
 * against its real URLs (or --siesa-url/--product-url) with credentials from the environment.
 * Exit status: 0 succeeded, 2 finished with rejected or failed records, 1 could not run.
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { startSandboxes } from "../../sandbox/local.js";
import type { TenantCredentials } from "../compose.js";
import { runInProcess } from "../local/in-process.js";
import { dataDir, dynamoDir, sandboxDir } from "../local/state.js";
import { logger } from "../observability/logger.js";
import { dynamoPipelineStore } from "../store/dynamo.js";
import { LOCAL_TABLE_PREFIX, openStore } from "../store/local.js";
import { loadTenants } from "../tenants/registry.js";
import { type ProgressLine, progressLine, summaryTable } from "./report.js";

class CannotRun extends Error {}

function parse() {
  const { values } = parseArgs({
    options: {
      tenant: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      "siesa-url": { type: "string" },
      "product-url": { type: "string" },
      items: { type: "string" },
      seed: { type: "string" },
    },
    strict: true,
  });
  if (!values.tenant) throw new CannotRun("missing --tenant <id>");
  const whole = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0)
      throw new CannotRun(`--${name} must be a whole number (got ${text})`);
    return value;
  };
  return {
    ...values,
    tenant: values.tenant,
    items: whole("items", values.items),
    seed: whole("seed", values.seed),
  };
}

function credentialsFromEnv(): TenantCredentials {
  const read = (name: string) => {
    const value = process.env[name];
    if (!value)
      throw new CannotRun(
        `${name} is not set (credentials for a non-sandbox tenant come from the environment)`,
      );
    return value;
  };
  return {
    siesa: { conniKey: read("SIESA_CONNI_KEY"), conniToken: read("SIESA_CONNI_TOKEN") },
    product: { username: read("PRODUCT_USERNAME"), password: read("PRODUCT_PASSWORD") },
  };
}

/**
 * The ledger says what one product holds: a run pointed at another product (--product-url) keeps its
 * own tables, so it does not take that product's records for unchanged. The demo's sandbox is the same
 * product on whatever port it gets, so it keeps the default tables.
 */
function localTablePrefix(productUrl: string | undefined): string {
  if (!productUrl) return LOCAL_TABLE_PREFIX;
  return `${LOCAL_TABLE_PREFIX}-${createHash("sha256").update(productUrl).digest("hex").slice(0, 8)}`;
}

async function main(): Promise<number> {
  const args = parse();
  const registry = await loadTenants();
  const tenant = registry.get(args.tenant);
  if (!tenant)
    throw new CannotRun(
      `unknown tenant "${args.tenant}" (known: ${registry
        .all()
        .map((t) => t.id)
        .join(", ")})`,
    );

  const state = dataDir();
  const closers: (() => Promise<void>)[] = [];
  try {
    const store = await openStore({
      path: dynamoDir(state),
      prefix: localTablePrefix(args["product-url"]),
    });
    closers.push(store.close);
    let credentials: TenantCredentials;
    let siesaUrl = args["siesa-url"];
    let productUrl = args["product-url"];
    if (tenant.environment === "local" && !siesaUrl && !productUrl) {
      const sandboxes = await startSandboxes({
        product: tenant.product.type,
        ...(args.items !== undefined ? { items: args.items } : {}),
        ...(args.seed !== undefined ? { seed: args.seed } : {}),
        stateDir: sandboxDir(state, tenant.id),
      });
      closers.push(sandboxes.close);
      credentials = sandboxes.credentials;
      siesaUrl = sandboxes.siesaUrl;
      productUrl = sandboxes.productUrl;
    } else {
      credentials = credentialsFromEnv();
    }

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
      onProgress: (counts) => progress.update(counts),
    });
    progress.done();

    process.stdout.write(summaryTable(summary, { dryRun: args["dry-run"] }));
    if (args.json) {
      const { tenantId, runId, status, counts, durationMs } = summary;
      process.stdout.write(`${JSON.stringify({ tenantId, runId, status, counts, durationMs })}\n`);
    }
    if (summary.status === "failed" && summary.reason) {
      process.stderr.write(`sync ${tenant.id}: could not complete: ${summary.reason}\n`);
      return 1;
    }
    return summary.status === "succeeded" ? 0 : 2;
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

// Retries and external errors are logged as JSON on stderr; keep only warnings and worse here.
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`sync: ${message.split("\n")[0]}\n`);
    process.exit(1);
  },
);
