/**
 * `npm run probe -- --tenant <id>`: the contract probe (runtime/wiring/probe.ts) against a tenant's
 * Siesa and product, one line per check: the checklist before a tenant's first run. Read-only unless
 * `--write`, which says what it writes and where before its first write.
 * The tenant's sides are found as `npm run sync` finds them (a `local` tenant's sandboxes, the
 * tenant's URLs or --siesa-url/--product-url, credentials from the environment).
 * Exit status, as sync's: 0 every check ok (or skipped), 2 some check failed, 1 could not run.
 */

import { logger } from "../core/observability/logger.js";
import { defaultPolicy } from "../core/ports/call-policy.js";
import { dataDir } from "../wiring/local-state.js";
import { type ProbeReport, probeTenant } from "../wiring/probe.js";
import { runCommand } from "./args.js";
import { CREDENTIAL_NOTES, openProbeSides, SIDE_OPTIONS, tenantNamed, wholeNumber } from "./tenant-sides.js";

const spec = {
  command: "npm run probe --",
  name: "probe",
  summary:
    "Checks every assumption the sync makes about a tenant's Siesa and product (credentials, columns, company, filter forms, paging, rate limit, login, list, lookup; with --write, duplicates and PATCH; for a tenant with streams, the warehouse and stock queries and Kong's locations): one line per check.",
  synopsis: "--tenant <id> [options]",
  options: {
    tenant: { type: "string", value: "id", help: "the tenant to probe (a file under tenants/)" },
    json: { type: "boolean", help: "print the report as one JSON object instead of lines" },
    write: {
      type: "boolean",
      help: "add the checks that need one write: a probe record (external_id siesa-integration-probe-<tenant id>) created inactive, or found again, and left inactive; with a warehouses stream on Kong, one probe location of that external id too",
    },
    ...SIDE_OPTIONS,
  },
  notes: [
    ...CREDENTIAL_NOTES,
    "without --write nothing is written: only Siesa queries, the product's login, its list and its lookup",
    'with --write, a line names the product\'s host and the probe record before the first write (on stderr with --json); the JSON marks each check that wrote with "wrote": true',
    "the probe record stays in the product, inactive, and later --write probes reuse it",
    "exit status: 0 every check ok or skipped, 2 some check failed (named), 1 could not run",
  ],
  examples: [
    "npm run probe -- --tenant demo",
    "npm run probe -- --tenant acme-prod --json",
    "npm run probe -- --tenant acme-staging --write",
  ],
} as const;

const MARK = { ok: "ok     ", failed: "FAILED ", skipped: "skipped" } as const;

function lines(report: ProbeReport): string {
  const width = Math.max(...report.checks.map((check) => check.name.length));
  const body = report.checks.map((c) => `${MARK[c.status]} ${c.name.padEnd(width)}  ${c.detail}`);
  const failed = report.checks.filter((c) => c.status === "failed").map((c) => c.name);
  const verdict = failed.length === 0 ? "every check ok" : `failed: ${failed.join(", ")}`;
  return `probe ${report.tenantId}\n${body.join("\n")}\n${verdict}\n`;
}

runCommand(spec, async (values) => {
  const tenant = await tenantNamed(values.tenant);
  const items = wholeNumber("items", values.items);
  const seed = wholeNumber("seed", values.seed);
  logger.setLogLevel(values.verbose ? "WARN" : "SILENT");
  const sides = await openProbeSides(tenant, dataDir(), { ...values, items, seed });
  try {
    const report = await probeTenant(sides.tenant, sides.credentials, {
      // One quick retry of a 5xx or a timeout, so a host that does not answer says so soon; a 429
      // is waited out (Siesa's example limit is 10 requests a minute).
      policy: defaultPolicy({ retryAttempts: 1, timeoutMs: 10_000, maxDelayMs: 60_000, rateLimitRetries: 3 }),
      log: logger,
      write: values.write ?? false,
      // Said before the first write, so it is seen even if the probe then stops; stdout stays JSON with --json.
      beforeWrite: (notice) =>
        (values.json ? process.stderr : process.stdout).write(`probe ${sides.tenant.id}: ${notice}\n`),
    });
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : lines(report));
    return report.ok ? 0 : 2;
  } finally {
    await sides.close();
  }
});
