import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { type Dirent, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../sandbox/free-port.js";
import { runScript, spawnScript } from "../support/cli.js";

// `npm run reset` deletes the local state, as a new user tries it: asking for help, mistyping an
// option, or resetting while `npm start` is still running must never delete anything.

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** A data directory holding what `npm start` leaves there (a ledger file, a sandbox journal). */
function stateDir(): string {
  const root = mkdtempSync(join(tmpdir(), "reset-state-"));
  mkdirSync(join(root, "dynamodb"), { recursive: true });
  writeFileSync(join(root, "dynamodb", "000005.ldb"), "ledger");
  mkdirSync(join(root, "sandboxes", "demo"), { recursive: true });
  writeFileSync(join(root, "sandboxes", "demo", "kong.jsonl"), '{"put":{"id":1}}\n');
  return root;
}

/** Every file under `root`, as paths relative to it. */
const filesIn = (root: string): string[] =>
  !existsSync(root)
    ? []
    : (readdirSync(root, { recursive: true, withFileTypes: true }) as Dirent[])
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
        .sort();

const reset = (root: string, args: string[] = []) =>
  runScript("reset", args, { env: { ...process.env, SIESA_INTEGRATION_DATA_DIR: root } });

describe("npm run reset", () => {
  it("deletes the local state", async () => {
    const root = stateDir();

    const { code, stdout, stderr } = await reset(root);

    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toBe(`reset: cleared the local state in ${root}\n`);
    expect(filesIn(root).filter((f) => !f.startsWith("dynamodb/owner/"))).toEqual([]);
  });

  it("answers --help with its usage and deletes nothing", async () => {
    const root = stateDir();
    const before = filesIn(root);

    const { code, stdout, stderr } = await reset(root, ["--help"]);

    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(/^usage: npm run reset --/);
    expect(stdout).toContain("SIESA_INTEGRATION_DATA_DIR");
    expect(filesIn(root)).toEqual(before);
  });

  it.each([["--force"], ["all"], ["--help", "extra"]])(
    "refuses an argument it does not know (%s) with the usage, exit 1, and deletes nothing",
    async (...args) => {
      const root = stateDir();
      const before = filesIn(root);

      const { code, stdout, stderr } = await reset(root, args);

      expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
      expect(stderr.split("\n")[0]).toMatch(
        /^reset: (Unknown option '--force'|Unexpected argument '(all|extra)')/,
      );
      expect(stderr).toContain("\nusage: npm run reset --");
      expect(filesIn(root)).toEqual(before);
    },
  );

  it("refuses while npm start uses the data directory, naming it, and deletes nothing", async () => {
    // Prepare: npm start running on the state
    const root = stateDir();
    const start = spawnScript("start", ["--items", "20"], {
      env: { ...process.env, SIESA_INTEGRATION_DATA_DIR: root, PORT: String(await freePort()) },
    });
    children.push(start);
    const lines = createInterface({ input: start.stdout as NodeJS.ReadableStream });
    const banner = new Promise<void>((resolve) =>
      lines.on("line", (line) => {
        if (line.startsWith("Ctrl-C")) resolve();
      }),
    );
    await Promise.race([banner, once(start, "exit").then(() => expect.fail("npm start exited"))]);
    const before = filesIn(root);

    // Act
    const { code, stdout, stderr } = await reset(root);

    // Assess
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toBe(
      `reset: the local state in ${root} is in use by process ${start.pid} (node runtime/cli/start.ts); ` +
        "stop it first (nothing was deleted)\n",
    );
    expect(filesIn(root)).toEqual(expect.arrayContaining(before));
    expect(start.exitCode).toBeNull();
  });

  it("clears the state once the process that used it has ended", async () => {
    const root = stateDir();
    const sync = await runScript("sync", ["--tenant", "demo", "--items", "5"], {
      env: { ...process.env, SIESA_INTEGRATION_DATA_DIR: root },
    });
    expect([0, 2], sync.stderr).toContain(sync.code);

    const { code, stdout } = await reset(root);

    expect({ code, stdout }).toEqual({ code: 0, stdout: `reset: cleared the local state in ${root}\n` });
  });
});
