import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import { runScript } from "../support/cli.js";

// `npm run verify` as an operator runs it after `npm run sync`: the same tenant, the same local state,
// both pointed (--siesa-url, --product-url) at sandboxes this test can edit behind the commands' back.

const ITEMS = 24;

let tenant: Tenant;
let sandboxes: LocalSandboxes;
let state: string;

beforeAll(async () => {
  const local = (await loadTenants()).forEnvironment("local").find((t) => t.product.type === "kong-rfid");
  if (!local) throw new Error("no local Kong tenant under tenants/");
  tenant = local;
  sandboxes = await startSandboxes({ product: "kong-rfid", items: ITEMS, seed: 9, malformedShare: 0 });
  state = await mkdtemp(join(tmpdir(), "verify-cli-"));
});
afterAll(() => sandboxes.close());

/** Credentials only from the sandboxes, never the developer's shell; one local state for every call. */
const command = (script: "sync" | "verify", args: string[], env: Record<string, string> = {}) =>
  runScript(script, ["--tenant", tenant.id, ...args], {
    env: {
      ...process.env,
      SIESA_CONNI_KEY: sandboxes.credentials.siesa.conniKey,
      SIESA_CONNI_TOKEN: sandboxes.credentials.siesa.conniToken,
      PRODUCT_USERNAME: sandboxes.credentials.product.username,
      PRODUCT_PASSWORD: sandboxes.credentials.product.password,
      ...env,
      SIESA_INTEGRATION_DATA_DIR: state,
    },
  });
const urls = () => ["--siesa-url", sandboxes.siesaUrl, "--product-url", sandboxes.productUrl];
const lastJsonLine = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1) as string);

describe("npm run verify", () => {
  // The tests build on each other, as an operator's session would: sync, verify, break, verify, repair.
  it("finds everything ok after a sync: a table, the JSON line last, exit 0", async () => {
    expect((await command("sync", urls())).code).toBe(0);

    const { code, stdout } = await command("verify", [...urls(), "--json"]);

    expect(code).toBe(0);
    expect(stdout).toContain(`Verify of ${tenant.id} (kong-rfid): all ok`);
    expect(lastJsonLine(stdout)).toMatchObject({
      tenantId: tenant.id,
      status: "ok",
      read: { product: ITEMS, ledger: ITEMS },
      counts: { ok: ITEMS, missing: 0, drifted: 0, unknown: 0 },
      differences: [],
    });
  });

  it("exits 2 when SKUs were edited or deleted in Kong, and --csv lists one row per record not ok", async () => {
    const kong = sandboxes.kong;
    if (!kong) throw new Error("a Kong sandbox");
    const [a, b, c, d, e] = kong.skus.list();
    if (!a || !b || !c || !d || !e) throw new Error("fewer than 5 SKUs");
    for (const edited of [a, b, c]) kong.skus.edit(edited.id, { name: `${edited.name} (edited)` });
    kong.skus.remove(d.id);
    kong.skus.remove(e.id);
    const csv = join(state, "differences.csv");

    const { code, stdout } = await command("verify", [...urls(), "--json", "--csv", csv]);

    expect(code).toBe(2);
    expect(stdout).toContain("5 not ok");
    expect(lastJsonLine(stdout)).toMatchObject({
      status: "differences",
      counts: { ok: ITEMS - 5, missing: 2, drifted: 3, unknown: 0 },
    });
    const rows = (await readFile(csv, "utf8")).trimEnd().split("\r\n");
    expect(rows[0]).toBe("status,key,product_id,external_id,detail");
    expect(rows.slice(1).map((row) => row.split(",").slice(0, 3))).toEqual(
      expect.arrayContaining([
        ["drifted", expect.any(String), String(a.id)],
        ["drifted", expect.any(String), String(b.id)],
        ["drifted", expect.any(String), String(c.id)],
        ["missing", expect.any(String), String(d.id)],
        ["missing", expect.any(String), String(e.id)],
      ]),
    );
    expect(rows).toHaveLength(6);
  });

  it("--repair rewrites them in a run with trigger repair, verifies again, and exits 0", async () => {
    const { code, stdout } = await command("verify", [...urls(), "--repair", "--json"]);

    expect(code).toBe(0);
    const line = lastJsonLine(stdout);
    expect(line).toMatchObject({
      status: "ok",
      counts: { missing: 2, drifted: 3 }, // what verify found
      repair: {
        marked: 5,
        status: "succeeded",
        counts: { updated: 3, created: 2, unchanged: ITEMS - 5 },
        after: { counts: { ok: ITEMS, missing: 0, drifted: 0, unknown: 0 } },
      },
    });
    expect(stdout).toContain("After the repair, verify");
    expect(sandboxes.kong?.skus.list().filter((s) => s.name.endsWith("(edited)"))).toEqual([]);
    expect(sandboxes.kong?.skus.size).toBe(ITEMS);
  });

  it("cannot run when the product does not answer: one line naming the host, exit 1", async () => {
    const { code, stdout, stderr } = await command("verify", ["--product-url", "http://127.0.0.1:1/"]);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(
      /^verify: kong-rfid .* failed \(network\): could not connect to 127\.0\.0\.1:1\n$/,
    );
  });

  it("without --repair asks only for the product's variables", async () => {
    const { code, stderr } = await command("verify", ["--product-url", sandboxes.productUrl], {
      SIESA_CONNI_KEY: "",
      SIESA_CONNI_TOKEN: "",
      PRODUCT_USERNAME: "",
    });

    expect(code).toBe(1);
    expect(stderr).toBe(
      "verify: PRODUCT_USERNAME is not set (credentials of a side that is not a sandbox come from the environment)\n",
    );
  });
});
