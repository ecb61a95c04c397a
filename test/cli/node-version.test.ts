import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { nodeVersionProblem } from "../../runtime/cli/node-version.js";
import { type CliResult, REPO, runScript } from "../support/cli.js";

/** Makes the process believe it runs on this Node version (loaded before the entry point). */
const pretendNode = (version: string) =>
  `data:text/javascript,Object.defineProperty(process.versions, "node", { value: ${JSON.stringify(version)} })`;

describe("Node 22 or a clear no", () => {
  it("accepts Node 22.12 and newer", () => {
    expect(nodeVersionProblem("22.12.0")).toBeUndefined();
    expect(nodeVersionProblem("23.1.0")).toBeUndefined();
    expect(nodeVersionProblem("v24.0.0")).toBeUndefined();
  });

  it("refuses an older Node in one line naming Node 22 and how to get it", () => {
    expect(nodeVersionProblem("20.11.1")).toBe(
      "siesa-integration needs Node 22 (22.12 or newer), this is Node 20.11.1: install it with `nvm install 22` (the version is in .nvmrc) or from https://nodejs.org, then run this again",
    );
    expect(nodeVersionProblem("22.11.0")).toContain("needs Node 22");
  });

  it.each(["start", "sync", "token", "tenants:check", "plan", "build", "bench:sync", "bench:stack"])(
    "npm run %s on Node 20 exits 1 with that one line, before loading anything else",
    async (script) => {
      const { code, stdout, stderr } = await runScript(script, ["--help"], {
        nodeOptions: ["--import", pretendNode("20.11.1")],
      });

      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr).toBe(`${nodeVersionProblem("20.11.1")}\n`);
    },
  );

  it("npx vitest on Node 20 exits 1 with one line: the Node on PATH is used, and where npm's set-up keeps Node 22", async () => {
    // No test file matches, so vitest that runs at all exits 0.
    const { code, stdout, stderr } = await runVitest(["run", "--passWithNoTests", "test/no-such-suite"], {
      nodeOptions: ["--import", pretendNode("20.11.1")],
    });

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `${nodeVersionProblem("20.11.1")}; npx vitest runs on the Node on PATH, not the one npm's commands set up: ` +
        `put Node 22 first on PATH (\`nvm use\`, or after any npm command: export PATH="\${XDG_CACHE_HOME:-$HOME/.cache}/siesa-integration/node22/node_modules/.bin:$PATH")\n`,
    );
  });
});

/** Runs `npx vitest <args>` in the repository as a developer's shell would, outside this test run. */
function runVitest(args: string[], options: { nodeOptions: string[] }): Promise<CliResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST")));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...options.nodeOptions, "node_modules/vitest/vitest.mjs", ...args],
      { cwd: REPO, env: { ...env, NO_COLOR: "1" }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
