import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Worker threads start faster than forked processes, and one worker more than there are cores
    // keeps them busy while suites wait on their child processes (dynalite, fauxqs, sandboxes,
    // Chromium). Figures: docs/benchmarks.md ("the time of the tests").
    pool: "threads",
    maxWorkers: availableParallelism() + 1,
  },
});
