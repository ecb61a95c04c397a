import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import { scriptCommand, withoutShellCredentials } from "../support/cli.js";

// `npm run sync` as an operator runs it: a child process, its stdout, stderr and exit status.

const run = promisify(execFile);

/** Each call its own local state, unless a test shares one between calls on purpose. */
async function sync(args: string[], env: Record<string, string> = {}) {
  const dataDir = env.SIESA_INTEGRATION_DATA_DIR ?? (await mkdtemp(join(tmpdir(), "sync-cli-")));
  try {
    const { stdout, stderr } = await run(process.execPath, [...scriptCommand("sync"), ...args], {
      env: withoutShellCredentials({ ...env, SIESA_INTEGRATION_DATA_DIR: dataDir }),
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const lastJsonLine = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1) as string);

describe("npm run sync", () => {
  let sandboxes: LocalSandboxes;
  beforeAll(async () => {
    sandboxes = await startSandboxes({ product: "kong-rfid", items: 60, seed: 11, malformedShare: 0.1 });
  });
  afterAll(() => sandboxes.close());

  const sandboxEnv = () => ({
    SIESA_CONNI_KEY: sandboxes.credentials.siesa.conniKey,
    SIESA_CONNI_TOKEN: sandboxes.credentials.siesa.conniToken,
    PRODUCT_USERNAME: sandboxes.credentials.product.username,
    PRODUCT_PASSWORD: sandboxes.credentials.product.password,
  });

  it("syncs the demo tenant and ends stdout with the JSON summary (exit 0)", async () => {
    const { code, stdout } = await sync(["--tenant", "demo", "--items", "50", "--json"]);

    expect(code).toBe(0);
    expect(stdout).toContain("created");
    const summary = lastJsonLine(stdout);
    expect(summary).toMatchObject({
      tenantId: "demo",
      status: "succeeded",
      counts: { extracted: 50, created: 50, updated: 0, unchanged: 0, rejected: 0, failed: 0 },
    });
    expect(Object.keys(summary).sort()).toEqual(["counts", "durationMs", "runId", "status", "tenantId"]);
  });

  it("exits 2 when records are rejected, naming them in the summary", async () => {
    const { code, stdout } = await sync(
      [
        "--tenant",
        "demo",
        "--siesa-url",
        sandboxes.siesaUrl,
        "--product-url",
        sandboxes.productUrl,
        "--json",
      ],
      sandboxEnv(),
    );

    expect(code).toBe(2);
    expect(lastJsonLine(stdout)).toMatchObject({ status: "partial", counts: { extracted: 60 } });
    expect(stdout).toMatch(/rejected\s+record \d+: /);
  });

  it("holds deactivations above the limit (exit 2, the number in the summary) and applies them with --approve-deactivations-of the run that held them", async () => {
    const clean = await startSandboxes({ product: "kong-rfid", items: 60, seed: 12 });
    try {
      const env = {
        SIESA_CONNI_KEY: clean.credentials.siesa.conniKey,
        SIESA_CONNI_TOKEN: clean.credentials.siesa.conniToken,
        PRODUCT_USERNAME: clean.credentials.product.username,
        PRODUCT_PASSWORD: clean.credentials.product.password,
        SIESA_INTEGRATION_DATA_DIR: await mkdtemp(join(tmpdir(), "sync-cli-")),
      };
      const args = [
        "--tenant",
        "demo",
        "--siesa-url",
        clean.siesaUrl,
        "--product-url",
        clean.productUrl,
        "--json",
      ];
      expect((await sync(args, env)).code).toBe(0);
      const ids = clean.siesa.catalogue.companyItemIds();
      const removed = ids.slice(0, Math.ceil(ids.length * 0.4));
      clean.siesa.catalogue.removeItems(removed);

      const held = await sync(args, env);

      expect(held.code).toBe(2);
      expect(lastJsonLine(held.stdout)).toMatchObject({
        status: "partial",
        counts: { deactivated: 0 },
        heldDeactivations: { count: removed.length },
      });
      const heldRun = lastJsonLine(held.stdout).runId as string;
      expect(held.stdout).toContain(`--approve-deactivations-of ${heldRun}`);
      expect(held.stdout).toContain(`f120_id ${removed.join(", ")}\n`);

      const approved = await sync([...args, "--approve-deactivations-of", heldRun], env);

      expect(approved.code).toBe(0);
      expect(lastJsonLine(approved.stdout)).toMatchObject({
        status: "succeeded",
        counts: { deactivated: removed.length },
      });
    } finally {
      await clean.close();
    }
  });

  it("prints what a dry run would write", async () => {
    const { code, stdout } = await sync(["--tenant", "demo", "--items", "5", "--dry-run"]);

    expect(code).toBe(0);
    expect(stdout).toContain("Dry run (nothing written)");
    expect(stdout.match(/^\s+created\s+\S+ \(record \d+\)$/gm)).toHaveLength(5);
  });

  it("exits 1 with a one-line reason for an unknown tenant", async () => {
    const { code, stderr } = await sync(["--tenant", "nobody"]);

    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toMatch(/^sync: unknown tenant "nobody" \(known tenants: .+\)$/);
  });

  it("exits 1 naming the missing variable when a real tenant has no credentials", async () => {
    const real = (await loadTenants()).all().find((t) => t.environment !== "local");
    if (!real) return; // no deployed tenant under tenants/ to try

    const { code, stderr } = await sync(["--tenant", real.id]);

    expect(code).toBe(1);
    expect(stderr).toContain("SIESA_CONNI_KEY is not set");
  });

  it("exits 1 on bad product credentials without printing the password", async () => {
    const { code, stderr, stdout } = await sync(
      ["--tenant", "demo", "--siesa-url", sandboxes.siesaUrl, "--product-url", sandboxes.productUrl],
      { ...sandboxEnv(), PRODUCT_PASSWORD: "not-the-password" },
    );

    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^sync: kong-rfid refused the credentials/);
    expect(stderr + stdout).not.toContain("not-the-password");
  });
});
