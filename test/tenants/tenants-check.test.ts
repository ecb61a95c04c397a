import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { aTenantInput } from "./factories.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `npx tsx runtime/cli/tenants-check.ts` as CI would; resolves with its exit code and output. */
async function tenantsCheck(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
  };
  try {
    const { stdout, stderr } = await run("npx", ["tsx", "runtime/cli/tenants-check.ts", ...args], {
      cwd: repo,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("npm run tenants:check", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("passes the shipped tenants with one line each", async () => {
    const { code, stdout } = await tenantsCheck();

    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^demo\s+local\s+kong-rfid\s+rate\(5 minutes\)\s+mapping=kong$/);
    expect(lines[1]).toMatch(/^parchita-prod\s+production\s+kong-rfid\s+rate\(30 minutes\)\s+mapping=kong$/);
    expect(lines[2]).toMatch(/^parchita-staging\s+staging\s+kong-rfid\s+rate\(1 hour\)\s+mapping=kong$/);
  });

  it("fails a bad tenant file, naming the file, the field and the problem", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tenants-check-"));
    const bad = { ...aTenantInput("acme-co"), sync: { schedule: "rate(1 hour)", batchSize: 500 } };
    await writeFile(path.join(dir, "acme-co.ts"), `export default ${JSON.stringify(bad)};\n`);
    await writeFile(
      path.join(dir, "fine-co.ts"),
      `export default ${JSON.stringify(aTenantInput("fine-co"))};\n`,
    );

    const { code, stdout, stderr } = await tenantsCheck("--dir", dir);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(
      `${path.join(dir, "acme-co.ts")}: sync.batchSize: must be at most 100 (got 500)`,
    );
    expect(stderr).toContain("tenants:check failed: 1 problem");
  });
});
