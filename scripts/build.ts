/**
 * `npm run build`: bundles every Lambda function whose entry exists (dist/lambda/<name>/index.mjs,
 * as `pulumi up` does) and prints, per function, the bundle size and the time to import it in a fresh
 * Node process (median of 3). Figures, not a test. A missing entry is reported and makes the exit
 * code 1, after the others are built and measured.
 */
import path from "node:path";
import { loadInFreshProcess } from "../infra/bundle-load.js";
import type { BuiltBundle } from "../infra/bundles.js";
import { runCommand } from "../runtime/cli/args.js";

const spec = {
  command: "npm run build --",
  name: "build",
  summary:
    "Bundles every Lambda function into dist/lambda/<function>/index.mjs (as pulumi up does) and prints each bundle's size and load time.",
  synopsis: "",
  options: {},
  examples: ["npm run build"],
} as const;

const LOAD_RUNS = 3;
/** The first figures to beat. */
const TARGETS = { bytes: 600 * 1024, loadMs: 150 };

runCommand(spec, async () => {
  // Loaded once the arguments are read: --help answers without loading esbuild and Pulumi.
  const { buildBundles, entryExists, functionTargets, MissingEntryError } = await import(
    "../infra/bundles.js"
  );
  const targets = functionTargets();
  const present = targets.filter(entryExists);
  const missing = targets.filter((t) => !entryExists(t));

  const started = performance.now();
  const built = await buildBundles(present);
  const buildMs = performance.now() - started;

  const rows: string[][] = [["function", "entry", "bundle", "load (median)", "exports handler"]];
  for (const bundle of built) rows.push(await measure(bundle));
  printTable(rows);
  process.stdout.write(
    `\nbuilt ${built.length} bundle${built.length === 1 ? "" : "s"} in ${Math.round(buildMs)} ms into ${path.relative(process.cwd(), path.dirname(path.dirname(built[0]?.file ?? "dist/lambda/x/index.mjs")))}/` +
      ` (targets: under ${TARGETS.bytes / 1024} KB, load under ${TARGETS.loadMs} ms)\n`,
  );

  if (missing.length > 0) {
    process.stderr.write(`\n${new MissingEntryError(missing).message}\n`);
    return 1;
  }
  return 0;
});

async function measure(bundle: BuiltBundle): Promise<string[]> {
  const runs = [];
  for (let i = 0; i < LOAD_RUNS; i++) runs.push(await loadInFreshProcess(bundle.file));
  const times = runs.map((r) => r.loadMs).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
  const kb = bundle.bytes / 1024;
  return [
    bundle.name,
    bundle.entry,
    `${kb.toFixed(1)} KB${bundle.bytes > TARGETS.bytes ? " (over target)" : ""}`,
    `${median.toFixed(1)} ms${median > TARGETS.loadMs ? " (over target)" : ""}`,
    runs[0]?.exports.includes("handler") ? "yes" : "NO",
  ];
}

function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  for (const row of rows)
    process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}\n`);
}
