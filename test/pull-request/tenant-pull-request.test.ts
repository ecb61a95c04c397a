import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, runScript } from "../support/cli.js";

/**
 * What a tenant pull request does, in a copy of this repository: add a tenant file for each
 * environment, `npm run tenants:check`, `npm run plan -- --stack <s> --update`, then the checks whose
 * outcome depends on the tenant set (type-check, lint, and the suites that read tenants/ or the plan
 * snapshots). They must pass: CI for a tenant pull request is `npm ci && npm run tenants:check && npm test`.
 */

/** The suites that read tenants/, the tenant list or the committed plans. */
const TENANT_SET_SUITES = [
  "test/infra",
  "test/tenants",
  "test/aws/token-cli.test.ts",
  "test/cli/sync-tenants.test.ts",
];
/**
 * Suites of those folders that read only the fixture tenants (test/fixtures/tenants/) or none, so a
 * tenant pull request cannot change their outcome; the slowest are left out of this run.
 */
const TENANT_FREE_SUITES = [
  "test/infra/bundles.test.ts",
  "test/infra/tenant-files.test.ts",
  "test/infra/notifications.test.ts",
  "test/infra/metrics-contract.test.ts",
];

/** Tenant files as a contributor writes them, one per environment (from the test fixtures, renamed). */
const NEW_TENANTS = {
  "acme-staging": "zz-fixture-staging",
  "acme-prod": "zz-fixture-prod",
  "acme-local": "zz-fixture-local",
} as const;

let copy: string;

/** Runs a tool of the project (a Node script under node_modules) in the copy. */
function tool(script: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(copy, "node_modules", script), ...args],
      { cwd: copy, maxBuffer: 64 << 20, timeout: 600_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

beforeAll(async () => {
  copy = await mkdtemp(path.join(tmpdir(), "tenant-pr-"));
  const skip = new Set(["node_modules", ".git", "dist", ".cache", "coverage"].map((d) => path.join(REPO, d)));
  await cp(REPO, copy, { recursive: true, filter: (source) => !skip.has(path.resolve(source)) });
  await symlink(path.join(REPO, "node_modules"), path.join(copy, "node_modules"), "dir");
  for (const [id, fixture] of Object.entries(NEW_TENANTS)) {
    const text = await readFile(path.join(REPO, "test/fixtures/tenants", `${fixture}.ts`), "utf8");
    await writeFile(
      path.join(copy, "tenants", `${id}.ts`),
      text.replaceAll(fixture, id).replace("../../../runtime/", "../runtime/"),
    );
  }
}, 60_000);

afterAll(async () => {
  if (copy) await rm(copy, { recursive: true, force: true });
});

describe("a tenant pull request", () => {
  it("passes tenants:check, updates the plans by exactly its tenants, and leaves the checks green", async () => {
    // act: what the contributor runs
    const check = await runScript("tenants:check", [], { cwd: copy });
    const staging = await runScript("plan", ["--stack", "staging", "--update"], { cwd: copy });
    const prod = await runScript("plan", ["--stack", "prod", "--update"], { cwd: copy });

    // assess: the review's diff
    expect(check.code).toBe(0);
    for (const id of Object.keys(NEW_TENANTS)) expect(check.stdout).toMatch(new RegExp(`^${id}\\s`, "m"));
    expect(staging.code).toBe(0);
    expect(prod.code).toBe(0);
    const stagingPlan = await readFile(path.join(copy, "infra/plans/staging.txt"), "utf8");
    const prodPlan = await readFile(path.join(copy, "infra/plans/prod.txt"), "utf8");
    expect(stagingPlan).toContain('Tenant "tenant-acme-staging" (4 resources)');
    expect(prodPlan).toContain('Tenant "tenant-acme-prod" (4 resources)');
    expect(stagingPlan + prodPlan).not.toContain("acme-local");
    expect(stagingPlan).not.toContain("acme-prod");

    // act and assess: what CI runs on the pull request, for everything the tenant set reaches.
    // Nothing imports a tenant file (the registry finds them at run time), so the tenant files are
    // the only part of the type-check a tenant pull request changes: tsc checks them, with what
    // they import, under the project's compiler options.
    await writeFile(
      path.join(copy, "tsconfig.tenants.json"),
      JSON.stringify({ extends: "./tsconfig.json", include: ["tenants"] }),
    );
    const typecheck = await tool("typescript/bin/tsc", ["--noEmit", "--project", "tsconfig.tenants.json"]);
    expect(typecheck.code, typecheck.output).toBe(0);
    const lint = await tool("@biomejs/biome/bin/biome", ["check", "tenants"]);
    expect(lint.code, lint.output).toBe(0);
    // One module graph per worker instead of per file, for test/tenants and the two CLI suites too
    // (vitest.config.ts already runs test/infra so): none of them mocks a module or changes the env.
    const suites = await tool("vitest/vitest.mjs", [
      "run",
      "--no-isolate",
      ...TENANT_SET_SUITES,
      ...TENANT_FREE_SUITES.flatMap((suite) => ["--exclude", suite]),
    ]);
    expect(suites.code, suites.output.slice(-5_000)).toBe(0);
    expect(suites.output).toContain(copy); // vitest ran in the copy, over its tenants/
  }, 600_000);
});
