/**
 * `npm run plan -- --stack staging|prod [--update]`: runs the real Pulumi program under mocks (no
 * cloud, no credentials, no bundles built) and prints every resource it would register, grouped by
 * component, then a one-line total. `--update` also rewrites the committed snapshot
 * (infra/plans/<stack>.txt), the same as `UPDATE_PLAN_SNAPSHOTS=1 npm test`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { formatPlan } from "../infra/plan/format.js";
import { planStack } from "../infra/plan/run.js";
import { STACKS, snapshotFile } from "../infra/plan/snapshots.js";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { stack: { type: "string" }, update: { type: "boolean" } } });
  const stack = values.stack;
  if (!stack) {
    process.stderr.write(`usage: npm run plan -- --stack ${STACKS.join("|")} [--update]\n`);
    return 2;
  }
  const text = formatPlan(await planStack({ stack }));
  process.stdout.write(text);
  if (values.update) {
    const file = snapshotFile(stack);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`plan failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
