/**
 * `npm run tenants:check [-- --dir <dir>]`: validates every tenant file, as CI does on a tenant
 * pull request. Prints one line per tenant and exits 0; otherwise prints every problem
 * (file: field: what is wrong) on stdout, one line saying how many on stderr, and exits 1.
 */

import type { Tenant } from "../core/domain/tenant.js";
import { loadTenants, TenantConfigErrors } from "../wiring/tenant-registry.js";
import { runCommand } from "./args.js";

const spec = {
  command: "npm run tenants:check --",
  name: "tenants:check",
  summary:
    "Validates every tenant file (schema, mapping, file named after its id, no duplicates) and lists the tenants.",
  synopsis: "[--dir <dir>]",
  options: {
    dir: { type: "string", value: "dir", help: "the tenants directory (default tenants/)" },
  },
  examples: ["npm run tenants:check"],
} as const;

/** One aligned line per tenant: id, environment, product, schedule, mapping (no header: easy to grep). */
function lines(tenants: Tenant[]): string[] {
  const cells = tenants.map((t) => [
    t.id,
    t.environment,
    t.product.type,
    t.sync.schedule,
    `mapping=${t.mapping}`,
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((row) => (row[i] as string).length)));
  return cells.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  "));
}

runCommand(spec, async (values) => {
  try {
    const registry = await loadTenants(values.dir ? { dir: values.dir } : {});
    for (const line of lines(registry.all())) process.stdout.write(`${line}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof TenantConfigErrors)) throw error;
    for (const problem of error.errors) process.stdout.write(`${problem.message}\n`);
    const count = error.errors.length;
    process.stderr.write(`tenants:check failed: ${count} problem${count === 1 ? "" : "s"} (listed above)\n`);
    return 1;
  }
});
