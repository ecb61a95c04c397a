/**
 * `npm run tenants:check [-- --dir <dir>]`: validates every tenant file, as CI does on a tenant
 * pull request. Prints one line per tenant and exits 0; otherwise prints every problem
 * (file: field: what is wrong) to stderr and exits 1.
 */
import { parseArgs } from "node:util";
import { loadTenants, TenantConfigErrors } from "../tenants/registry.js";
import type { Tenant } from "../tenants/schema.js";

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

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { dir: { type: "string" } } });
  try {
    const registry = await loadTenants(values.dir ? { dir: values.dir } : {});
    for (const line of lines(registry.all())) process.stdout.write(`${line}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof TenantConfigErrors)) throw error;
    for (const problem of error.errors) process.stderr.write(`${problem.message}\n`);
    const count = error.errors.length;
    process.stderr.write(`tenants:check failed: ${count} problem${count === 1 ? "" : "s"}\n`);
    return 1;
  }
}

process.exitCode = await main();
