/**
 * `npm run verify -- --tenant <id>`: reads every record of the tenant back from its product and
 * compares it with the ledger (ok, missing, drifted, unknown); `--repair` then writes the missing and
 * drifted records again through the pipeline, as a run with trigger `repair`, and verifies once more.
 * Tenant, URL flags, credentials, sandboxes and local state are those of `npm run sync`.
 * Exit status: 0 all ok, 2 differences found (after a repair: still there), 1 could not run.
 */
import { statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { allOk, keptReport, type VerifyReport } from "../core/domain/verify-report.js";
import { logger } from "../core/observability/logger.js";
import { type CallPolicy, defaultPolicy } from "../core/ports/call-policy.js";
import { dataDir } from "../wiring/local-state.js";
import { runCommand, UsageError } from "./args.js";
import { progressLine, summaryTable } from "./report.js";
import {
  CREDENTIAL_NOTES,
  openTenantSides,
  SIDE_OPTIONS,
  type TenantSides,
  tenantNamed,
  wholeNumber,
} from "./tenant-sides.js";
import { differencesCsv, verifyProgressLine, verifyTable } from "./verify-report.js";

const spec = {
  command: "npm run verify --",
  name: "verify",
  summary:
    "Reads every record of one tenant back from its product and compares it with the ledger: ok, missing (we wrote it, it is gone), drifted (changed by someone else since), unknown (the tenant's, not written by us).",
  synopsis: "--tenant <id> [options]",
  options: {
    tenant: { type: "string", value: "id", help: "the tenant to verify (a file under tenants/)" },
    repair: {
      type: "boolean",
      help: "write the missing and drifted records again (a run with trigger repair), then verify again",
    },
    json: { type: "boolean", help: "end stdout with the report as one JSON line" },
    csv: { type: "string", value: "file", help: "write one row per record that is not ok to this file" },
    ...SIDE_OPTIONS,
  },
  notes: [
    ...CREDENTIAL_NOTES,
    "  (without --repair only the product is read: Siesa's variables are not needed)",
    "exit status: 0 all ok, 2 differences found (with --repair: still there after it), 1 could not run",
  ],
  examples: [
    "npm run verify -- --tenant demo --csv differences.csv",
    "npm run verify -- --tenant demo --repair",
  ],
} as const;

/** What a verify runs, loaded once the arguments are read: --help and a wrong argument answer at once. */
async function modules() {
  const [repair, verify, products, dynamo, inProcess] = await Promise.all([
    import("../core/verify/repair.js"),
    import("../core/verify/verify.js"),
    import("../edges/http/products/index.js"),
    import("../edges/store/dynamo.js"),
    import("./in-process.js"),
  ]);
  return { ...repair, ...verify, ...products, ...dynamo, ...inProcess };
}

/** --csv's folder, checked before the product is read: else a typo fails only once verify is done. */
function csvFolder(file: string | undefined): void {
  if (file === undefined) return;
  const folder = dirname(resolve(file));
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(
      `--csv cannot be written: ${folder} is not a directory (got ${JSON.stringify(file)})`,
    );
}

runCommand(spec, async (values) => {
  const { markForRepair, repairable, dynamoPipelineStore, runInProcess } = await modules();
  const tenant = await tenantNamed(values.tenant);
  csvFolder(values.csv);
  const options = {
    ...values,
    items: wholeNumber("items", values.items),
    seed: wholeNumber("seed", values.seed),
    siesa: values.repair ?? false,
  };
  logger.setLogLevel(values.verbose ? "WARN" : "SILENT");

  const sides = await openTenantSides(tenant, dataDir(), options);
  try {
    const found = await verify(sides);
    process.stdout.write(verifyTable(found));
    if (values.csv) await writeFile(values.csv, differencesCsv(found));

    let final = found;
    let repair: Record<string, unknown> | undefined;
    if (values.repair && repairable(found) > 0) {
      const store = dynamoPipelineStore(sides.store.doc, sides.store.names);
      const marked = await markForRepair(store.ledger, found, new Date());
      const progress = progressLine(process.stderr, tenant.id);
      const summary = await runInProcess({
        tenant: sides.tenant,
        credentials: sides.credentials,
        store,
        log: logger,
        preflight: true,
        trigger: "repair",
        onProgress: (counts) => progress.update(counts),
      });
      progress.done();
      process.stdout.write(summaryTable(summary, { dryRun: false }));
      if (summary.status === "failed" && summary.reason) {
        throw new Error(`the repair run ${summary.runId} could not complete: ${summary.reason}`);
      }
      final = await verify(sides);
      process.stdout.write(verifyTable(final, "After the repair, verify"));
      const { runId, status, counts } = summary;
      repair = { marked, runId, status, counts, after: { counts: final.counts } };
    }

    if (values.json) {
      const { tenantId, product, read, counts, durationMs, differences } = keptReport(found);
      const status = allOk(final) ? "ok" : "differences";
      const line = {
        tenantId,
        product,
        status,
        read,
        counts,
        durationMs,
        differences,
        ...(repair ? { repair } : {}),
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
    return allOk(final) ? 0 : 2;
  } finally {
    await sides.close();
  }
});

/** One quick attempt at a login, as sync's check before a run: an unreachable host fails at once. */
const QUICK = { retryAttempts: 1, timeoutMs: 10_000, maxDelayMs: 1_000, rateLimitRetries: 1 };

async function verify(sides: TenantSides): Promise<VerifyReport> {
  const { createProductClient, verifyTenant, dynamoPipelineStore } = await modules();
  const { tenant, credentials } = sides;
  const client = (policy: CallPolicy) =>
    createProductClient(tenant.product.type, {
      baseUrl: tenant.product.baseUrl,
      endpoints: tenant.product.endpoints,
      credentials: credentials.product,
      policy,
      tenantId: tenant.id,
      log: logger,
    });
  await client(defaultPolicy(QUICK)).login();
  const product = client(defaultPolicy({ retryAttempts: tenant.sync.retryAttempts }));
  const progress = verifyProgressLine(process.stderr, tenant.id);
  try {
    return await verifyTenant({
      tenant,
      product,
      ledger: dynamoPipelineStore(sides.store.doc, sides.store.names).ledger,
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.done();
  }
}
