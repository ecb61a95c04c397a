import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

describe("a benchmark that dies without stopping its dynalite", () => {
  it("leaves no dynalite process behind: dynalite stops when its parent's IPC channel closes", async () => {
    // prepare: a parent (a benchmark) that starts dynalite and fails before it could close it
    const parent = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { spawnDynalite } = await import("./sandbox/dynalite-process.ts");
         const dynamo = await spawnDynalite();
         console.log(dynamo.endpoint);`,
      ],
      // A process group of its own, so that whatever this test leaves, it can stop.
      { stdio: ["ignore", "pipe", "ignore"], detached: true },
    );
    try {
      const [endpoint] = (await once(createInterface({ input: parent.stdout }), "line")) as [string];
      expect((await fetch(endpoint)).status).toBeGreaterThan(0);

      // act
      parent.kill("SIGKILL");
      await once(parent, "exit");

      // assess
      await expect
        .poll(
          () =>
            fetch(endpoint).then(
              () => "listening",
              () => "gone",
            ),
          { timeout: 10_000 },
        )
        .toBe("gone");
    } finally {
      try {
        process.kill(-(parent.pid as number), "SIGKILL");
      } catch {
        // nothing left: the group is gone
      }
    }
  });
});
