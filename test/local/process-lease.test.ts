import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { processLease } from "../../runtime/edges/local/process-lease.js";

// A local run's lease names its process: one that is no longer running is taken over at once.

const stopping: (() => void)[] = [];
afterEach(() => {
  for (const stop of stopping.splice(0)) stop();
});

const leaseOf = (pid: number) => ({
  runId: "run-1",
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
  owner: { host: hostname(), pid },
});

describe("a local run's lease", () => {
  it("is held while its process runs", () => {
    const other = spawn("sleep", ["60"]);
    stopping.push(() => other.kill("SIGKILL"));

    expect(processLease().isDead(leaseOf(other.pid as number))).toBe(false);
  });

  it.skipIf(!existsSync("/proc/self/stat"))(
    "is dead when its process exited but was never reaped (a zombie)",
    async () => {
      // Prepare: the shell execs into `sleep 60`, which never waits for its child `sleep 0.2`: once
      // that exits, a zombie. (A child that exits before the exec may be reaped by the shell.)
      const shell = spawn("sh", ["-c", "sleep 0.2 & echo $!; exec sleep 60"], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      stopping.push(() => shell.kill("SIGKILL"));
      const [line] = await new Promise<string[]>((resolve) =>
        createInterface({ input: shell.stdout }).once("line", (l) => resolve([l])),
      );
      const zombie = Number(line);
      const state = () => readFileSync(`/proc/${zombie}/stat`, "utf8").split(") ")[1]?.[0];
      const deadline = Date.now() + 10_000;
      while (state() !== "Z" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(state()).toBe("Z");

      // Act + assess
      expect(processLease().isDead(leaseOf(zombie))).toBe(true);
    },
  );
});
