import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Vitest runs one fewer worker than there are cores: one on this 2-core machine. Most suites
    // wait on child processes (dynalite, sandboxes, Chromium) and timers, so two keep both cores
    // busy: `npm test` took 288 s instead of 424 s on 2026-12-02.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
