import { execFile } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../support/cli.js";

/**
 * scripts/setup.sh, which every npm script sources first, in a folder of its own: a copy of the
 * lockfile, and on PATH a `node` and an `npm` the test scripts (so no registry is asked).
 */
function sandbox(options: { nodeVersion: string; npmExit: number; installed?: "current" | "stale" }) {
  const dir = mkdtempSync(join(tmpdir(), "siesa-setup-"));
  copyFileSync(join(REPO, "package-lock.json"), join(dir, "package-lock.json"));
  copyFileSync(join(REPO, "scripts/setup.sh"), join(dir, "setup.sh"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const calls = join(dir, "npm-calls.log");
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  tool("node", `echo v${options.nodeVersion}`);
  // npm leaves a half-done node_modules behind when it fails, as a real interrupted install would.
  tool(
    "npm",
    `echo "$*" >>"${calls}"; mkdir -p node_modules/half; echo "npm ERR! network unreachable"; exit ${options.npmExit}`,
  );
  if (options.installed) {
    mkdirSync(join(dir, "node_modules"));
    const stamp = options.installed === "current" ? "$(cksum <package-lock.json)" : "stale";
    writeFileSync(join(dir, "stamp.sh"), `echo "${stamp}" >node_modules/.setup-lock\n`);
  }
  const run = (): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const script = `${options.installed ? ". ./stamp.sh; " : ""}. ./setup.sh && echo ready`;
      execFile(
        "/bin/sh",
        ["-c", script],
        { cwd: dir, env: { PATH: `${bin}:/usr/bin:/bin`, HOME: join(dir, "home") } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  const npmCalls = () => (existsSync(calls) ? readFileSync(calls, "utf8") : "");
  return { dir, run, npmCalls };
}

describe("scripts/setup.sh: the set-up every command does first", () => {
  it("does nothing and says nothing when Node 22 runs and the dependencies match the lockfile", async () => {
    const world = sandbox({ nodeVersion: "22.12.0", npmExit: 0, installed: "current" });

    const { code, stdout, stderr } = await world.run();

    expect(code).toBe(0);
    expect(stdout).toBe("ready\n");
    expect(stderr).toBe("");
    expect(world.npmCalls()).toBe("");
  });

  it("installs Node 22 when the machine's Node is older, saying so in one line; a failure says what to do and leaves nothing", async () => {
    const world = sandbox({ nodeVersion: "20.11.1", npmExit: 1, installed: "current" });

    const { code, stdout, stderr } = await world.run();

    expect(code).toBe(1);
    expect(stdout).toBe("");
    const lines = stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^setup: installing Node 22 \(npm package node@22\) into .*siesa-integration\/node22$/,
    );
    expect(lines[1]).toMatch(
      /^setup: could not install Node 22 from the npm registry \(npm ERR! network unreachable\): check the network and the disk, or install Node 22 yourself \(nvm install 22\), then run this again$/,
    );
    expect(lines).toHaveLength(2);
    expect(world.npmCalls()).toContain("install --no-save --no-audit --no-fund --loglevel=error node@22");
    // Nothing half-installed in the cache: the next try starts clean.
    expect(readdirSync(join(world.dir, "home/.cache/siesa-integration"))).toEqual([]);
  });

  it("installs the dependencies when node_modules came from another lockfile; a failed install is removed", async () => {
    const world = sandbox({ nodeVersion: "22.20.0", npmExit: 1, installed: "stale" });

    const { code, stderr } = await world.run();

    expect(code).toBe(1);
    const lines = stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("setup: installing dependencies from package-lock.json (npm ci)");
    expect(lines[1]).toMatch(
      /^setup: npm ci failed \(npm ERR! network unreachable\): check the network and the disk \(whole log: .*npm-ci\.log\), then run this again$/,
    );
    expect(existsSync(join(world.dir, "node_modules"))).toBe(false);
  });

  it("records a complete install, so the next command installs nothing", async () => {
    const world = sandbox({ nodeVersion: "23.1.0", npmExit: 0 });

    const first = await world.run();
    const second = await world.run();

    expect(first.stderr).toBe("setup: installing dependencies from package-lock.json (npm ci)\n");
    expect(second.stderr).toBe("");
    expect(second.stdout).toBe("ready\n");
    expect(world.npmCalls().trim().split("\n")).toHaveLength(1);
  });
});
