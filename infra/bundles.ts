import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { build } from "esbuild";
import { API_FUNCTION, WORKERS, type WorkerSpec } from "../runtime/core/domain/pipeline-config.js";
import type { FunctionName } from "./access.js";
import { REPOSITORY_ROOT } from "./repository.js";

/**
 * One esbuild bundle per function: `dist/lambda/<name>/index.mjs`, minified ESM for nodejs22.x on
 * arm64, with its AWS SDK clients inside (the runtime's own SDK copy is not pinned to ours).
 * `pulumi up` builds them itself (infra/index.ts); `npm run build` builds and measures them.
 */

const DIST = path.join(REPOSITORY_ROOT, "dist", "lambda");

/** Every function the stack deploys, with its entry, timeout and memory (runtime/core/domain/pipeline-config.ts). */
export const FUNCTIONS: Readonly<Record<FunctionName, WorkerSpec>> = { ...WORKERS, api: API_FUNCTION };
export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

/** Lambda calls `index.handler`: the entry module's exported `handler`. */
export const HANDLER = "index.handler";
const BUNDLE_FILE = "index.mjs";

/** What to bundle: a name (the output folder) and an entry file relative to the repository root. */
export interface BundleTarget {
  name: string;
  entry: string;
}

export const functionTargets = (functions: readonly FunctionName[] = FUNCTION_NAMES): BundleTarget[] =>
  functions.map((fn) => ({ name: fn, entry: FUNCTIONS[fn].entry }));

export const bundleFile = (name: string, outDir: string = DIST): string =>
  path.join(outDir, name, BUNDLE_FILE);

export interface BuiltBundle extends BundleTarget {
  file: string;
  bytes: number;
}

export class MissingEntryError extends Error {
  override readonly name = "MissingEntryError";
  constructor(readonly missing: BundleTarget[]) {
    const lines = missing.map((t) => `  ${t.name}: ${t.entry} does not exist`);
    super(
      `cannot bundle ${missing.length === 1 ? "a Lambda function" : `${missing.length} Lambda functions`} (entries are declared in runtime/core/domain/pipeline-config.ts):\n${lines.join("\n")}`,
    );
  }
}

export const entryExists = (target: BundleTarget): boolean =>
  existsSync(path.join(REPOSITORY_ROOT, target.entry));

/** Throws MissingEntryError naming every target whose entry file is absent. */
export function checkEntries(targets: readonly BundleTarget[]): void {
  const missing = targets.filter((t) => !entryExists(t));
  if (missing.length > 0) throw new MissingEntryError(missing);
}

/**
 * What GET /health reports as the version (`__VERSION__`, runtime/wiring/aws-api-dependencies.ts): the
 * package version and the commit, when built from a git checkout.
 */
export function buildVersion(): string {
  const { version } = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, "package.json"), "utf8")) as {
    version: string;
  };
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: REPOSITORY_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return commit ? `${version}+${commit}` : version;
  } catch {
    return version;
  }
}

/** Bundles the targets (every function by default) in parallel, after checking that every entry exists. */
export async function buildBundles(
  targets: readonly BundleTarget[] = functionTargets(),
  options: { outDir?: string } = {},
): Promise<BuiltBundle[]> {
  checkEntries(targets);
  const version = buildVersion();
  return Promise.all(
    targets.map(async (target) => {
      const file = bundleFile(target.name, options.outDir);
      await build({
        entryPoints: [path.join(REPOSITORY_ROOT, target.entry)],
        outfile: file,
        bundle: true,
        minify: true,
        platform: "node",
        target: "node22",
        format: "esm",
        // Prefer packages' ESM builds: they tree-shake.
        mainFields: ["module", "main"],
        // ofetch's Node build pulls a 110 KB fetch polyfill; Node 22 has fetch, so take the native re-export.
        alias: { "node-fetch-native": "node-fetch-native/native" },
        // CommonJS dependencies require() Node built-ins; an ES module has no require, so give it one.
        banner: {
          js: "import{createRequire as __bundleRequire}from'node:module';const require=__bundleRequire(import.meta.url);",
        },
        define: { __VERSION__: JSON.stringify(version) },
        legalComments: "none",
        logLevel: "silent",
      });
      return { ...target, file, bytes: (await stat(file)).size };
    }),
  );
}

/** The Lambda code archive of a function: its bundle, as `index.mjs` at the archive's root. */
export const codeArchive = (fn: FunctionName): pulumi.asset.Archive =>
  new pulumi.asset.AssetArchive({ [BUNDLE_FILE]: new pulumi.asset.FileAsset(bundleFile(fn)) });
