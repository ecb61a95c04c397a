/**
 * `npm run plan -- --stack staging|prod [--update]`: runs the real Pulumi program under mocks (no
 * cloud, no credentials, no bundles built) and prints every resource it would register, grouped by
 * component, then a one-line total. `--update` also rewrites the committed snapshot
 * (infra/plans/<stack>.txt), the same as `UPDATE_PLAN_SNAPSHOTS=1 npm test`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { STACKS, snapshotFile } from "../infra/plan/snapshots.js";
import { runCommand, UsageError } from "../runtime/cli/args.js";

const spec = {
  command: "npm run plan --",
  name: "plan",
  summary:
    "Runs the Pulumi program under mocks (no cloud, no credentials) and prints every resource it would register.",
  synopsis: `--stack ${STACKS.join("|")} [--update]`,
  options: {
    stack: { type: "string", value: STACKS.join("|"), help: "the stack to plan" },
    update: { type: "boolean", help: "also rewrite the committed snapshot infra/plans/<stack>.txt" },
  },
  examples: ["npm run plan -- --stack staging --update"],
} as const;

runCommand(spec, async (values) => {
  const stack = values.stack;
  if (!stack) throw new UsageError("missing --stack");
  if (!(STACKS as readonly string[]).includes(stack))
    throw new UsageError(`unknown stack "${stack}" (known: ${STACKS.join(", ")})`);
  // Loaded once the arguments are read: --help and a wrong argument answer without loading Pulumi.
  const [{ formatPlan }, { planStack }] = await Promise.all([
    import("../infra/plan/format.js"),
    import("../infra/plan/run.js"),
  ]);
  const text = formatPlan(await planStack({ stack }));
  process.stdout.write(text);
  if (values.update) {
    const file = snapshotFile(stack);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
  return 0;
});
