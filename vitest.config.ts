import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";

/** Suites that plan the stacks: they only read Pulumi's plans, so they share a worker's modules. */
const INFRA = "test/infra/**/*.test.ts";

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
      // Pulumi is loaded once per worker instead of once per file, and a stack planned once per
      // worker (test/infra/plans.ts caches plans by stack, tenants and config).
      { extends: true, test: { name: "infra", include: [INFRA], isolate: false } },
      {
        extends: true,
        test: {
          name: "isolated",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, INFRA],
        },
      },
    ],
  },
});
