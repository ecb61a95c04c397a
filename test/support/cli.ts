import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The node command of `npm run <script>` as package.json declares it (`node --import tsx … <entry>`),
 * with this test's Node, so a test runs exactly what a user runs, without npm in between.
 */
export function scriptCommand(script: string, cwd = REPO): string[] {
  const scripts = JSON.parse(readFileSync(`${cwd}/package.json`, "utf8")).scripts as Record<string, string>;
  const line = scripts[script];
  if (!line) throw new Error(`package.json has no script "${script}"`);
  // Every script first sources scripts/setup.sh (Node 22 and dependencies); the tests have both.
  const [program, ...args] = (line.split("&&").at(-1) ?? line).trim().split(/\s+/);
  if (program !== "node") throw new Error(`script "${script}" does not run node last: ${line}`);
  return args;
}

/**
 * A command's environment with local state of its own (a fresh SIESA_INTEGRATION_DATA_DIR), unless the
 * test shares one between commands on purpose: tests never read or write the developer's `.data/`.
 */
export function isolatedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const chosen = env.SIESA_INTEGRATION_DATA_DIR;
  if (chosen && chosen !== process.env.SIESA_INTEGRATION_DATA_DIR) return env;
  return { ...env, SIESA_INTEGRATION_DATA_DIR: mkdtempSync(join(tmpdir(), "siesa-integration-state-")) };
}

/** This process's environment without the credential variables the commands read, then `env`: a test's
 * command gets only the credentials the test passes, never the developer's shell's. */
export function withoutShellCredentials(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SIESA_CONNI_KEY: "",
    SIESA_CONNI_TOKEN: "",
    PRODUCT_USERNAME: "",
    PRODUCT_PASSWORD: "",
    ...env,
  };
}

/** Runs `npm run <script> -- <args>` to completion; resolves with its exit code and output. */
export function runScript(
  script: string,
  args: string[] = [],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; nodeOptions?: string[]; timeoutMs?: number } = {},
): Promise<CliResult> {
  const cwd = options.cwd ?? REPO;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(options.nodeOptions ?? []), ...scriptCommand(script, cwd), ...args],
      { cwd, env: isolatedEnv(options.env), timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Starts `npm run <script> -- <args>` and leaves it running (for servers and signals). */
export function spawnScript(
  script: string,
  args: string[] = [],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const cwd = options.cwd ?? REPO;
  return spawn(process.execPath, [...scriptCommand(script, cwd), ...args], {
    cwd,
    env: isolatedEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}
