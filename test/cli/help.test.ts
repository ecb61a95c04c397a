import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { documents, readDoc } from "../docs/markdown.js";
import { runScript, withoutShellCredentials } from "../support/cli.js";

/** Everything docs/ says, where a command's options are told. */
const DOCS = documents()
  .filter((file) => file.startsWith("docs/"))
  .map(readDoc)
  .join("\n");

/** Every command a user runs, and one option it must list. */
const COMMANDS = [
  ["start", "--items <n>"],
  ["sync", "--tenant <id>"],
  ["verify", "--repair"],
  ["probe", "--tenant <id>"],
  ["token", "--operator"],
  ["tenants:check", "--dir <dir>"],
  ["plan", "--stack <staging|prod>"],
  ["build", "--verbose"],
  ["reset", "--verbose"],
  ["bench:sync", "--latency-ms <ms>"],
  ["bench:scale", "--items <n>"],
  ["bench:stack", "--warm-up <n>"],
  ["console:shot", "--url <url>"],
  // Its other arguments go to vitest: its own usage says so, and vitest's options are checked with it.
  ["test:dynamodb-local", "--verbose"],
] as const;

describe("every command answers --help", () => {
  it.each(COMMANDS)(
    "npm run %s -- --help prints its usage, options and an example, exit 0, and docs/ tells each option",
    async (script, option) => {
      const { code, stdout, stderr } = await runScript(script, ["--help"]);

      expect(code).toBe(0);
      expect(stderr).toBe("");
      expect(stdout).toMatch(/^usage: npm (run )?\S+ --/);
      expect(stdout).toContain("options:");
      expect(stdout).toContain(`  ${option}`);
      expect(stdout).toMatch(/\nexamples?:\n {2}.*npm /);
      // And the documents tell each option (docs/operations.md, docs/deploy.md, docs/benchmarks.md).
      const options = [...stdout.matchAll(/^ {2}(--[a-z-]+)/gm)].map(([, name = ""]) => name);
      const undocumented = options.filter(
        (name) => !["--help", "--verbose"].includes(name) && !new RegExp(`${name}\\b`).test(DOCS),
      );
      expect(undocumented).toEqual([]);
    },
  );
});

describe("a missing or wrong argument", () => {
  it.each(COMMANDS)(
    "npm run %s -- --no-such-option prints the problem and the usage, exit 1",
    async (script) => {
      const { code, stdout, stderr } = await runScript(script, ["--no-such-option"]);

      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.split("\n")[0]).toMatch(/Unknown option '--no-such-option'/);
      expect(stderr).toMatch(/\nusage: npm (run )?\S+ --/);
    },
  );

  it.each([
    ["bench:sync", "--items", "abc"],
    ["bench:scale", "--items", "0"],
    ["bench:scale", "--warehouses", "0"],
    ["bench:stack", "--requests", "2.5"],
  ])(
    "npm run %s -- %s %s names the option and its value, before anything is started",
    async (script, option, value) => {
      const { code, stdout, stderr } = await runScript(script, [option, value]);

      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.split("\n")[0]).toMatch(
        new RegExp(`^${script}: ${option} must be a whole number of at least [01] \\(got "${value}"\\)$`),
      );
      expect(stderr).toContain(`usage: npm run ${script} --`);
    },
  );

  it.each([
    ["bench:sync", "--latency-ms", "-1"],
    ["bench:stack", "--warm-up", "-5"],
    ["sync", "--seed", "-1"],
  ])(
    "npm run %s -- %s %s (a value that looks like an option) is one line naming the option, then the usage",
    async (script, option, value) => {
      const { code, stdout, stderr } = await runScript(script, [option, value]);

      expect(code).toBe(1);
      expect(stdout).toBe("");
      const [problem, blank, usage] = stderr.split("\n");
      expect(problem).toContain(`'${option}'`);
      expect(problem).toContain(`${option}=-`);
      expect(blank).toBe("");
      expect(usage).toMatch(/^usage: npm (run )?\S+ --/);
    },
  );

  it("npm run test:dynamodb-local -- -t store --nope: vitest's unknown option is refused before DynamoDB Local is fetched or started", async () => {
    const { code, stdout, stderr } = await runScript("test:dynamodb-local", ["-t", "store", "--nope"], {
      timeoutMs: 20_000,
    });

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toBe(
      "test:dynamodb-local: Unknown option '--nope' (neither this command's nor vitest run's)",
    );
    expect(stderr).toContain("usage: npm run test:dynamodb-local --");
  });

  it("npm run bench:scale -- --clustered without --stream stock says what it needs, before anything is started", async () => {
    const { code, stdout, stderr } = await runScript("bench:scale", ["--clustered"]);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toBe("bench:scale: --clustered needs --stream stock");
    expect(stderr).toContain("usage: npm run bench:scale --");
  });

  it.each(["abc", "12.5", "2147483648"])(
    "npm run sync -- --tenant demo --item %s names the option and its value, before anything is started",
    async (value) => {
      const { code, stdout, stderr } = await runScript("sync", ["--tenant", "demo", "--item", value]);

      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.split("\n")[0]).toBe(
        `sync: --item must be an f120_id, a whole number of a SQL int (got "${value}")`,
      );
      expect(stderr).toContain("usage: npm run sync -- --tenant <id> [options]");
    },
  );

  it.each([
    ["sync", ["--tenant", "demo", "--items="], "--items"],
    ["verify", ["--tenant", "demo", "--seed="], "--seed"],
    ["probe", ["--tenant", "demo", "--items="], "--items"],
    ["start", ["--items="], "--items"],
    ["start", ["--seed="], "--seed"],
  ])(
    "npm run %s -- %j: an empty number is refused naming the option, before anything is started",
    async (script, args, option) => {
      // A wrong answer would start the command (start: until killed), hence the short timeout.
      const { code, stdout, stderr } = await runScript(script, args, { timeoutMs: 20_000 });

      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.split("\n")[0]).toMatch(
        new RegExp(`^${script}: ${option} must be (a whole number|an integer) .*\\(got ""\\)$`),
      );
      expect(stderr).toContain(`usage: npm ${script === "start" ? "" : "run "}${script} --`);
    },
  );

  it.each([
    ["sync", "--siesa-url", "siesa.example.com/api"],
    ["verify", "--product-url", "ftp://kong.example.com"],
    ["probe", "--siesa-url", "http//siesa.example.com"],
  ])(
    "npm run %s -- %s %s: a URL that is not http(s) is named with its option, before anything is started",
    async (script, option, value) => {
      const { code, stdout, stderr } = await runScript(script, ["--tenant", "demo", option, value], {
        env: withoutShellCredentials(),
      });

      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.split("\n")[0]).toBe(`${script}: ${option} must be an http(s) URL (got "${value}")`);
      expect(stderr).toContain(`usage: npm run ${script} -- --tenant <id> [options]`);
    },
  );

  it("npm run bench:scale -- --items 2 --changed 5 says a change cannot exceed the catalogue, before anything is started", async () => {
    const { code, stdout, stderr } = await runScript("bench:scale", ["--items", "2", "--changed", "5"], {
      timeoutMs: 20_000,
    });

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toBe('bench:scale: --changed must be at most --items, 2 (got "5")');
    expect(stderr).toContain("usage: npm run bench:scale --");
  });

  it("npm run verify -- --csv into a folder that does not exist names the file, before the product is read", async () => {
    const csv = join(tmpdir(), "no-such-folder-of-siesa-integration", "differences.csv");

    const { code, stdout, stderr } = await runScript("verify", ["--tenant", "demo", "--csv", csv]);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toBe(
      `verify: --csv cannot be written: ${join(tmpdir(), "no-such-folder-of-siesa-integration")} is not a directory (got "${csv}")`,
    );
    expect(stderr).toContain("usage: npm run verify -- --tenant <id> [options]");
  });

  it("npm run bench:scale -- --stream shelf names the streams it measures, before anything is started", async () => {
    const { code, stdout, stderr } = await runScript("bench:scale", ["--stream", "shelf"]);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toBe('bench:scale: --stream must be catalogue or stock (got "shelf")');
    expect(stderr).toContain("usage: npm run bench:scale --");
  });

  it("npm run plan with an unknown stack names the known ones", async () => {
    const { code, stderr } = await runScript("plan", ["--stack", "qa"]);

    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toBe('plan: unknown stack "qa" (known: staging, prod)');
  });
});

describe("a bench that fails once started", () => {
  // A failure after its children started: npm start's stack refuses a token list that is not JSON.
  const failing = { ...process.env, SIESA_INTEGRATION_TOKENS: "not-json" };

  it("says what failed in one line, exit 1", async () => {
    const { code, stdout, stderr } = await runScript("bench:stack", ["--items", "1", "--warm-up", "0"], {
      env: failing,
    });

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "bench:stack: environment variable SIESA_INTEGRATION_TOKENS is not valid JSON: expected a list of token entries\n",
    );
  });

  it("with --verbose, the stack trace first, then that line", async () => {
    const { code, stderr } = await runScript("bench:stack", ["--items", "1", "--warm-up", "0", "--verbose"], {
      env: failing,
    });

    expect(code).toBe(1);
    expect(stderr).toContain("    at ");
    expect(stderr.trimEnd().split("\n").at(-1)).toBe(
      "bench:stack: environment variable SIESA_INTEGRATION_TOKENS is not valid JSON: expected a list of token entries",
    );
  });
});

describe("a SIESA_INTEGRATION_DATA_DIR that is a file", () => {
  it.each([
    ["sync", ["--tenant", "demo"]],
    ["reset", []],
    ["start", []],
  ])("npm run %s names the variable and the file, in one line, exit 1", async (script, args) => {
    const file = join(mkdtempSync(join(tmpdir(), "siesa-integration-state-")), "state.txt");
    writeFileSync(file, "not a directory");

    const { code, stderr } = await runScript(script, args, {
      env: { ...process.env, SIESA_INTEGRATION_DATA_DIR: file },
      timeoutMs: 30_000,
    });

    expect(code).toBe(1);
    expect(stderr).toBe(`${script}: SIESA_INTEGRATION_DATA_DIR is ${file}, a file: it must be a directory\n`);
  });
});
