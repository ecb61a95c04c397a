import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO } from "../support/cli.js";

describe("the local SQS in a child process (the benches')", () => {
  it("prints nothing on its parent's stderr: node:sqlite's ExperimentalWarning is not the bench's to show", async () => {
    // prepare: a parent that starts it and stops it, its stderr shared with the child's
    const stderr = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          `const { spawnLocalSqs } = await import("./sandbox/sqs-process.ts");
           const sqs = await spawnLocalSqs();
           await sqs.close();`,
        ],
        { cwd: REPO, timeout: 30_000 },
        (error, _stdout, err) => (error ? reject(error) : resolve(err)),
      );
    });

    expect(stderr).toBe("");
  });
});
