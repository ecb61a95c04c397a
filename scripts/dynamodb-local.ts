/**
 * Runs the DynamoDB-dependent test suites against AWS's own DynamoDB Local instead of the embedded
 * dynalite, to prove the store uses only what both support.
 *
 *   npm run test:dynamodb-local [-- <extra vitest arguments>]   (--help: its usage, nothing started)
 *
 * DynamoDB Local is a Java program (needs `java` 17+ on PATH). Its jar ships inside the npm package
 * amplify-dynamodb-simulator; we fetch that package on demand with `npm pack` (pinned version and
 * integrity, never a project dependency: it is 56 MB) and unpack it once into .cache/.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { oneLine, UsageError, usage } from "../runtime/cli/args.js";
import { freePort } from "../sandbox/free-port.js";

/** The suites that talk to DynamoDB: add a path here when another suite needs it. */
/** Every suite whose state lives in DynamoDB: the stores, the one-shot sync and the queued pipeline. */
const DYNAMODB_TEST_PATHS = ["test/store", "test/e2e/demo-sync.test.ts", "test/pipeline"];

const SIMULATOR = {
  name: "amplify-dynamodb-simulator",
  version: "2.9.30", // bundles DynamoDB Local 1.25.1
  integrity:
    "sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==",
};
const START_TIMEOUT_MS = 60_000;

/** The children to stop however this process ends, so no emulator outlives the run. */
const children: ChildProcess[] = [];

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cacheDir = join(root, ".cache", "dynamodb-local");

/** The unpacked emulator directory (DynamoDBLocal.jar + DynamoDBLocal_lib/), fetched if missing. */
function ensureEmulator(): string {
  const emulator = join(cacheDir, SIMULATOR.version, "emulator");
  if (existsSync(join(emulator, "DynamoDBLocal.jar"))) return emulator;

  console.log(`Fetching DynamoDB Local (${SIMULATOR.name}@${SIMULATOR.version}, ~56 MB) into .cache/ …`);
  mkdirSync(cacheDir, { recursive: true });
  const staging = mkdtempSync(join(cacheDir, "fetch-"));
  try {
    const packed = JSON.parse(
      execFileSync(
        "npm",
        ["pack", `${SIMULATOR.name}@${SIMULATOR.version}`, "--json", "--pack-destination", staging],
        { cwd: staging, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
      ),
    ) as { filename: string; integrity: string }[];
    const tarball = packed[0];
    if (tarball?.integrity !== SIMULATOR.integrity) {
      throw new Error(
        `${SIMULATOR.name}@${SIMULATOR.version}: integrity ${tarball?.integrity} is not the pinned one`,
      );
    }
    execFileSync("tar", ["-xzf", join(staging, tarball.filename), "-C", staging], { stdio: "inherit" });
    // Rename only once fully unpacked, so an interrupted fetch never looks like a usable cache.
    rmSync(join(cacheDir, SIMULATOR.version), { recursive: true, force: true });
    renameSync(join(staging, "package"), join(cacheDir, SIMULATOR.version));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return emulator;
}

interface Emulator {
  endpoint: string;
  process: ChildProcess;
}

async function startDynamoDbLocal(emulator: string): Promise<Emulator> {
  const port = await freePort();
  const java = spawn(
    "java",
    [
      `-Djava.library.path=${join(emulator, "DynamoDBLocal_lib")}`,
      "-jar",
      join(emulator, "DynamoDBLocal.jar"),
      "-inMemory",
      "-port",
      String(port),
      "-disableTelemetry",
    ],
    { cwd: emulator, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(java);
  let output = "";
  java.stdout.on("data", (data) => (output += data));
  java.stderr.on("data", (data) => (output += data));
  let exited: string | undefined;
  java.on("error", (error: NodeJS.ErrnoException) => {
    exited =
      error.code === "ENOENT"
        ? "`java` is not on PATH: DynamoDB Local needs Java 17 or later"
        : `could not start java: ${error.message}`;
  });
  java.on("exit", (code, signal) => {
    exited ??= `java exited (${signal ?? `code ${code}`}) before answering:\n${output}`;
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local: ${exited}`);
    // Any HTTP answer (DynamoDB Local says 400 to a bare GET) means it is listening.
    const answered = await fetch(endpoint).then(
      () => true,
      () => false,
    );
    if (answered) return { endpoint, process: java };
    if (Date.now() > deadline) {
      java.kill();
      throw new Error(
        `DynamoDB Local did not answer on ${endpoint} within ${START_TIMEOUT_MS / 1000} s:\n${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function startVitest(endpoint: string, extraArgs: string[]): ChildProcess {
  const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    // Placeholders, so a developer's own AWS credentials are never used by a test.
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_REGION: "us-east-1",
  };
  delete env.AWS_SESSION_TOKEN;
  return spawn(process.execPath, [vitest, "run", ...DYNAMODB_TEST_PATHS, ...extraArgs], {
    cwd: root,
    stdio: "inherit",
    env,
  });
}

const spec = {
  command: "npm run test:dynamodb-local --",
  name: "test:dynamodb-local",
  summary: `Runs the DynamoDB suites (${DYNAMODB_TEST_PATHS.join(", ")}) against AWS's DynamoDB Local (Java 17+; fetched into .cache/ on first use) instead of dynalite.`,
  synopsis: "[<vitest run arguments>]",
  options: {},
  notes: ["every other argument goes to vitest run (npx vitest run --help lists them)"],
  examples: ["npm run test:dynamodb-local", 'npm run test:dynamodb-local -- -t "ledger"'],
} as const;

/**
 * The arguments for vitest, checked as vitest will check them, before anything is fetched or started:
 * a wrong one would otherwise be vitest's stack trace after Java's start.
 */
async function vitestArguments(argv: string[]): Promise<string[]> {
  const { createCLI } = await import("vitest/node");
  const refused = (args: string[]): string | undefined => {
    const cli = createCLI();
    try {
      cli.parse(["node", "vitest", "run", ...args], { run: false });
      cli.matchedCommand?.checkUnknownOptions();
      cli.matchedCommand?.checkOptionValue();
      return undefined;
    } catch (error) {
      return oneLine(error);
    }
  };
  const problem = refused(argv);
  if (problem === undefined) return argv;
  // vitest names an option as it read it (--no-x as --x): the argument as typed, when one alone is refused.
  const unknown = argv.find((arg) => arg.startsWith("-") && refused([arg])?.startsWith("Unknown option"));
  throw new UsageError(
    unknown ? `Unknown option '${unknown}' (neither this command's nor vitest run's)` : `vitest: ${problem}`,
  );
}

const exitCodeOf = (child: ChildProcess): Promise<number> =>
  new Promise((resolve) => child.once("exit", (code) => resolve(code ?? 1)));

/** Stops a child and waits for it to go (SIGKILL if it lingers past the grace period). */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

const stopAll = () => Promise.all(children.map(stop));

async function main(argv: string[]): Promise<number> {
  const args = await vitestArguments(argv);
  const emulator = ensureEmulator();
  const local = await startDynamoDbLocal(emulator);
  console.log(`DynamoDB Local ready on ${local.endpoint}; running ${DYNAMODB_TEST_PATHS.join(", ")}`);
  const vitest = startVitest(local.endpoint, args);
  children.push(vitest);
  try {
    return await exitCodeOf(vitest);
  } finally {
    await stopAll();
  }
}

// Ctrl-C, or a CI timeout's SIGTERM: stop the tests and Java, then go.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stopAll().then(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}
// Last resort (an uncaught crash): never leave Java running.
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

// --help and --verbose are this command's; every other argument is vitest's.
const argv = process.argv.slice(2);
const verbose = argv.includes("--verbose");
if (argv.includes("--help") || argv.includes("-h")) {
  process.stdout.write(usage(spec));
  process.exit(0);
}
main(argv.filter((arg) => arg !== "--verbose")).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`${spec.name}: ${error.message}\n\n${usage(spec)}`);
    else if (verbose && error instanceof Error && error.stack) console.error(error.stack);
    else console.error(`${spec.name}: ${oneLine(error)}`);
    void stopAll().then(() => process.exit(1));
  },
);
