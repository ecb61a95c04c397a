/**
 * `npm run sync -- --tenant <id>`: one full run of one tenant, from this machine.
 * A `local` tenant (demo) runs against in-process sandboxes; any other tenant against its real
 * URLs (or --siesa-url/--product-url) with credentials from the environment.
 * Exit status: 0 succeeded, 2 finished with rejected or failed records, 1 could not run.
 */
import { parseArgs } from "node:util";
import { startSandboxes } from "../../sandbox/local.js";
import { clientsFor, type TenantCredentials } from "../compose.js";
import { defaultPolicy } from "../http/policy.js";
import { logger } from "../observability/logger.js";
import { oneShotSync } from "../one-shot.js";
import { openStore } from "../store/local.js";
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
      items: { type: "string", default: "1000" },
      seed: { type: "string", default: "42" },
    },
    strict: true,
  });
  if (!values.tenant) throw new CannotRun("missing --tenant <id>");
  const items = Number(values.items);
  if (!Number.isInteger(items) || items < 0)
    throw new CannotRun(`--items must be a whole number (got ${values.items})`);
  return { ...values, tenant: values.tenant, items, seed: Number(values.seed) };
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

  const closers: (() => Promise<void>)[] = [];
  try {
    let credentials: TenantCredentials;
    let siesaUrl = args["siesa-url"];
    let productUrl = args["product-url"];
    if (tenant.environment === "local" && !siesaUrl && !productUrl) {
      const sandboxes = await startSandboxes({
        product: tenant.product.type,
        items: args.items,
        seed: args.seed,
      });
      closers.push(sandboxes.close);
      credentials = sandboxes.credentials;
      siesaUrl = sandboxes.siesaUrl;
      productUrl = sandboxes.productUrl;
    } else {
      credentials = credentialsFromEnv();
    }

    const store = await openStore();
    closers.push(store.close);
    const policy = defaultPolicy({ retryAttempts: tenant.sync.retryAttempts });
    const clients = clientsFor(tenant, credentials, { policy, log: logger, siesaUrl, productUrl });
    const progress: ProgressLine = progressLine(process.stderr, tenant.id);
    const summary = await oneShotSync(
      tenant,
      clients,
      store,
    )({
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
    process.stderr.write(`sync: ${message}\n`);
    process.exit(1);
  },
);
