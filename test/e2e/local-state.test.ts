import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startLocalStack } from "../../runtime/cli/stack.js";
import { PROCESS_EXITED } from "../../runtime/core/steps/expire-run.js";
import { RunStore } from "../../runtime/edges/store/runs.js";
import { dynamoDir, localTablePrefix } from "../../runtime/wiring/local-state.js";
import { openStore } from "../../runtime/wiring/local-store.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import { REPO, runScript, scriptCommand } from "../support/cli.js";
import { quietLog } from "../support/log.js";

// Local state as a user meets it: `npm run sync` and `npm start` keep their DynamoDB data (and the
// demo sandboxes their catalogue and product records) on disk, so the next run behaves like a
// real tenant's next run, and a killed run does not block the next one.

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

const stateDir = () => mkdtemp(join(tmpdir(), "siesa-integration-state-"));
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1) as string);
const localTenant = async () => {
  const [tenant] = (await loadTenants()).forEnvironment("local");
  if (!tenant) throw new Error("no local tenant under tenants/");
  return tenant;
};

/** `npm run sync` with credentials only from `env` and local state in `dir`. */
const sync = (dir: string, args: string[], env: Record<string, string> = {}) =>
  runScript("sync", [...args, "--json"], {
    env: { ...process.env, SIESA_INTEGRATION_DATA_DIR: dir, ...env },
  });

/** A Siesa and a product of their own, outside the command (as a real tenant's are). */
async function remoteApis(items: number, latencyMs = 0): Promise<LocalSandboxes> {
  const tenant = await localTenant();
  const apis = await startSandboxes({
    product: tenant.product.type,
    items,
    seed: 9,
    malformedShare: 0,
    ...(latencyMs > 0 ? { productFaults: { latencyMs } } : {}),
  });
  cleanup.push(apis.close);
  return apis;
}

const credentialsEnv = (apis: LocalSandboxes) => ({
  SIESA_CONNI_KEY: apis.credentials.siesa.conniKey,
  SIESA_CONNI_TOKEN: apis.credentials.siesa.conniToken,
  PRODUCT_USERNAME: apis.credentials.product.username,
  PRODUCT_PASSWORD: apis.credentials.product.password,
});

const productRecords = (apis: LocalSandboxes) => apis.kong?.skus.list() ?? apis.wms?.products.list() ?? [];

describe("npm run sync keeps its state", () => {
  it("the demo's second run finds everything unchanged, against the same sandbox records", async () => {
    const tenant = await localTenant();
    const dir = await stateDir();

    const first = await sync(dir, ["--tenant", tenant.id, "--items", "120"]);
    const second = await sync(dir, ["--tenant", tenant.id]);

    expect(first.code).toBe(0);
    expect(lastJson(first.stdout).counts).toMatchObject({ extracted: 120, created: 120 });
    expect(second.code).toBe(0);
    expect(lastJson(second.stdout).counts).toEqual({
      extracted: 120,
      created: 0,
      updated: 0,
      unchanged: 120,
      rejected: 0,
      failed: 0,
      deactivated: 0,
      reactivated: 0,
    });
  });

  it("a dry run with another --items leaves the kept catalogue as it was: the next real run deactivates nothing", async () => {
    const tenant = await localTenant();
    const dir = await stateDir();
    await sync(dir, ["--tenant", tenant.id, "--items", "40"]);

    const dryRun = await sync(dir, ["--tenant", tenant.id, "--items", "30", "--dry-run"]);
    const next = await sync(dir, ["--tenant", tenant.id]);

    expect(dryRun.code).toBe(0);
    expect(next.code).toBe(0);
    expect(lastJson(next.stdout).counts).toMatchObject({ extracted: 40, unchanged: 40, deactivated: 0 });
  });

  it("a probe with another --items leaves the kept catalogue as it was, as it leaves the rest", async () => {
    const tenant = await localTenant();
    const dir = await stateDir();
    await sync(dir, ["--tenant", tenant.id, "--items", "40"]);

    const probe = await runScript("probe", ["--tenant", tenant.id, "--items", "30"], {
      env: { ...process.env, SIESA_INTEGRATION_DATA_DIR: dir },
    });
    const next = await sync(dir, ["--tenant", tenant.id]);

    expect(probe.code).toBe(0);
    expect(lastJson(next.stdout).counts).toMatchObject({ extracted: 40, unchanged: 40, deactivated: 0 });
  });

  it("a real tenant's second run against the same product writes nothing to it", async () => {
    const tenant = await localTenant();
    const apis = await remoteApis(150);
    const dir = await stateDir();
    const args = ["--tenant", tenant.id, "--siesa-url", apis.siesaUrl, "--product-url", apis.productUrl];

    await sync(dir, args, credentialsEnv(apis));
    const kong = apis.kong;
    const writesBefore = kong ? kong.stats.creates + kong.stats.patches : 0;
    const second = await sync(dir, args, credentialsEnv(apis));

    expect(lastJson(second.stdout).counts).toMatchObject({ extracted: 150, unchanged: 150 });
    if (kong) expect(kong.stats.creates + kong.stats.patches).toBe(writesBefore);
    expect(productRecords(apis)).toHaveLength(150);
  });

  it("a run killed mid-way (SIGKILL) does not block the next, which ends it failed and leaves one record per item", async () => {
    const tenant = await localTenant();
    const apis = await remoteApis(400, 40); // about 1 s of writes: slow enough to kill it mid-run
    const dir = await stateDir();
    const args = ["--tenant", tenant.id, "--siesa-url", apis.siesaUrl, "--product-url", apis.productUrl];
    const env = { ...process.env, SIESA_INTEGRATION_DATA_DIR: dir, ...credentialsEnv(apis) };
    const killed: ChildProcess = spawn(process.execPath, [...scriptCommand("sync"), ...args], {
      cwd: REPO,
      env,
      stdio: "ignore",
    });
    cleanup.push(async () => killed.exitCode === null && killed.kill("SIGKILL"));
    await expect
      .poll(() => productRecords(apis).length, { timeout: 30_000, interval: 50 })
      .toBeGreaterThan(20);
    killed.kill("SIGKILL");
    await once(killed, "exit");

    const next = await sync(dir, args, credentialsEnv(apis));

    expect(next.code).toBe(0);
    expect(lastJson(next.stdout)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 400, failed: 0 },
    });
    const ids = productRecords(apis).map((r) => r.external_id);
    expect(ids).toHaveLength(400);
    expect(new Set(ids).size).toBe(400);
    // The killed run is in the history, ended by the next one.
    const store = await openStore({ path: dynamoDir(dir), prefix: localTablePrefix(apis.productUrl) });
    cleanup.push(store.close);
    const { runs } = await new RunStore(store.doc, store.names.runs).list(tenant.id);
    expect(runs.map((r) => [r.status, r.reason])).toContainEqual(["failed", PROCESS_EXITED]);
  });
});

describe("npm start keeps its state", () => {
  it("a restarted stack still has every tenant's run history, and the demo's next run is unchanged", async () => {
    const tenant = await localTenant();
    const dir = await stateDir();
    const options = { dataDir: dir, items: 80, scheduler: false, log: quietLog, retryBaseSeconds: 0 };
    const call = (stack: Awaited<ReturnType<typeof startLocalStack>>, method: string, path: string) =>
      fetch(`${stack.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${stack.operatorToken}` },
      }).then(async (r) => (await r.json()) as Record<string, unknown>);
    const runToEnd = async (stack: Awaited<ReturnType<typeof startLocalStack>>) => {
      const { runId } = await call(stack, "POST", `/tenants/${tenant.id}/runs`);
      await expect
        .poll(async () => (await call(stack, "GET", `/runs/${runId}`)).status, { timeout: 30_000 })
        .not.toBe("running");
      return call(stack, "GET", `/runs/${runId}`);
    };

    const first = await startLocalStack(options);
    const before = await runToEnd(first);
    await first.close();
    const second = await startLocalStack(options);
    cleanup.push(second.close);
    const history = (await call(second, "GET", `/tenants/${tenant.id}/runs`)).runs as { runId: string }[];
    const after = await runToEnd(second);

    expect(before).toMatchObject({ status: "succeeded", counts: { created: 80 } });
    expect(history.map((r) => r.runId)).toContain(before.runId);
    expect(after).toMatchObject({ status: "succeeded", counts: { extracted: 80, unchanged: 80 } });
  });
});
