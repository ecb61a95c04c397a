import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { runScript } from "../support/cli.js";
import { aTenantInput, inProduction, ofAnotherClient } from "./factories.js";

/** `npm run tenants:check -- <args>`, as CI runs it. */
const tenantsCheck = (...args: string[]) => runScript("tenants:check", args);

describe("npm run tenants:check", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A tenants directory holding these files (name → default export). */
  async function tenantsDir(files: Record<string, unknown>): Promise<string> {
    dir = await mkdtemp(path.join(tmpdir(), "tenants-check-"));
    for (const [name, value] of Object.entries(files))
      await writeFile(path.join(dir, name), `export default ${JSON.stringify(value)};\n`);
    return dir;
  }

  it("passes the shipped tenants with one line each", async () => {
    const shipped = (await loadTenants()).all();

    const { code, stdout } = await tenantsCheck();

    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines.map((line) => line.split(/\s+/)[0])).toEqual(shipped.map((t) => t.id));
  });

  it("prints one aligned line per tenant: id, environment, product, schedule, mapping", async () => {
    const staging = aTenantInput("zz-fixture-staging");
    const prod = inProduction(ofAnotherClient(aTenantInput("zz-fixture-prod"), 1));
    prod.sync = { ...prod.sync, schedule: "rate(30 minutes)" };
    const tenants = await tenantsDir({ "zz-fixture-staging.ts": staging, "zz-fixture-prod.ts": prod });

    const { code, stdout } = await tenantsCheck("--dir", tenants);

    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n")).toEqual([
      "zz-fixture-prod     production  kong-rfid  rate(30 minutes)  mapping=kong",
      "zz-fixture-staging  staging     kong-rfid  rate(1 hour)      mapping=kong",
    ]);
  });

  it("fails a bad tenant file, naming the file, the field and the problem", async () => {
    const bad = { ...aTenantInput("acme-co"), sync: { schedule: "rate(1 hour)", concurrency: 500 } };
    const fine = ofAnotherClient(aTenantInput("fine-co"), 1);
    const tenants = await tenantsDir({ "acme-co.ts": bad, "fine-co.ts": fine });

    const { code, stdout, stderr } = await tenantsCheck("--dir", tenants);

    expect(code).toBe(1);
    expect(stdout).toBe(
      `${path.join(tenants, "acme-co.ts")}: sync.concurrency: must be at most 20, the units and loads workers the deployment runs at once (maximumConcurrency in runtime/core/domain/pipeline-config.ts) (got 500)\n`,
    );
    expect(stderr).toBe("tenants:check failed: 1 problem (listed above)\n");
  });

  it("fails a file whose name is not its id, naming both", async () => {
    const tenants = await tenantsDir({ "foo.ts": aTenantInput("bar") });

    const { code, stdout } = await tenantsCheck("--dir", tenants);

    expect(code).toBe(1);
    expect(stdout).toContain(
      `${path.join(tenants, "foo.ts")}: id: the file is named "foo" but the id is "bar"`,
    );
  });
});
