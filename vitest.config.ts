import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { vitestNodeProblem } from "./runtime/cli/node-version.js";

// `npx vitest` on an older Node: one line saying what to do, before any test runs.
const nodeProblem = vitestNodeProblem();
if (nodeProblem !== undefined) {
  process.stderr.write(`${nodeProblem}\n`);
  process.exit(1);
}

/**
 * Suites that leave nothing behind outside their own objects (no module mocks, fake timers or
 * environment left changed: the crash harness's fake Date and the catalogue test's extra mappings
 * are undone after them; runtime/ keeps no state in its modules): their files share a worker's
 * modules, and its warmed-up code, instead of loading Pulumi, the AWS SDK and the rest per file.
 */
const SHARED_MODULES = [
  "api",
  "architecture",
  "aws",
  "bench",
  "docs",
  "e2e",
  "http",
  "infra",
  "mapping",
  "notify",
  "observability",
  "pipeline",
  "probe",
  "products",
  "sandbox",
  "siesa",
  "store",
  "streams",
  "sync",
  "tenants",
  "verify",
].map((folder) => `test/${folder}/**/*.test.ts`);

export default defineConfig({
  test: {
    setupFiles: ["test/support/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Worker threads start faster than forked processes, and one worker more than there are cores
    // keeps them busy while suites wait on their child processes (dynalite, fauxqs, sandboxes,
    // Chromium). Figures: docs/benchmarks.md ("the time of the tests").
    pool: "threads",
    maxWorkers: availableParallelism() + 1,
    projects: [
      // test/infra: Pulumi is loaded and each stack planned once per worker (plans.ts caches plans).
      { extends: true, test: { name: "shared", include: SHARED_MODULES, isolate: false } },
      {
        extends: true,
        // Negated here rather than excluded, so a command line's --exclude still applies to it.
        test: {
          name: "isolated",
          include: ["test/**/*.test.ts", ...SHARED_MODULES.map((glob) => `!${glob}`)],
        },
      },
    ],
  },
});
