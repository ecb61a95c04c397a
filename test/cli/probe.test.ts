import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { describe, expect, it, onTestFinished } from "vitest";
import { dynamoDir } from "../../runtime/wiring/local-state.js";
import { openStore } from "../../runtime/wiring/local-store.js";
import { freePort } from "../../sandbox/free-port.js";
import { startSandboxes } from "../../sandbox/local.js";
import { listen } from "../../sandbox/serve.js";
import { runScript, withoutShellCredentials } from "../support/cli.js";

/** `npm run probe` with only the credentials a test passes (never the developer's shell's). */
const probe = (args: string[], env: Record<string, string> = {}) =>
  runScript("probe", args, { env: withoutShellCredentials(env) });

/** The demo's Kong sandbox journal in a data directory: every SKU it stored, as its last write left it. */
function journalSkus(dataDir: string): { id: number; external_id: string; is_active: boolean }[] {
  const file = join(dataDir, "sandboxes", "demo", "kong-skus.jsonl");
  if (!existsSync(file)) return [];
  const byId = new Map<number, { id: number; external_id: string; is_active: boolean }>();
  for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
    const entry = JSON.parse(line);
    if (entry.put) byId.set(entry.put.id, entry.put);
    else byId.delete(entry.del);
  }
  return [...byId.values()];
}

describe("npm run probe", () => {
  it("--json prints the report as one JSON object, exit 0 when no check fails (the demo's sandboxes)", async () => {
    const { code, stdout } = await probe(["--tenant", "demo", "--items", "20", "--json"]);

    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ tenantId: "demo", ok: true });
    expect(report.checks.length).toBeGreaterThan(10);
    for (const check of report.checks) {
      expect(Object.keys(check).sort()).toEqual(["detail", "name", "status"]);
      expect(["ok", "skipped"]).toContain(check.status);
    }
  });

  it("a Siesa that does not answer: one FAILED line naming its host, the rest skipped, exit 2", async () => {
    const port = await freePort();

    const { code, stdout } = await probe(
      ["--tenant", "demo", "--items", "20", "--siesa-url", `http://127.0.0.1:${port}/api/siesa/v3/`],
      { SIESA_CONNI_KEY: "key-of-test", SIESA_CONNI_TOKEN: "token-of-test" },
    );

    expect(code).toBe(2);
    expect(stdout).toMatch(
      new RegExp(`\\nFAILED +siesa credentials +127\\.0\\.0\\.1:${port} did not answer`),
    );
    expect(stdout).toMatch(/\nskipped +siesa item columns /);
    expect(stdout).toMatch(/\nok +product login /);
    expect(stdout.trim().split("\n").at(-1)).toBe("failed: siesa credentials");
    expect(stdout).not.toContain("token-of-test");
  });

  it("a product that refuses the login quoting the request as text: the FAILED line and the logs hold neither username nor password", async () => {
    // A password with a quote: the product quotes it JSON-escaped, not as it was set.
    const password = 'SECRET-PASSWORD-"123"';
    const app = new Hono();
    app.all("*", async (c) => c.text(`refused ${await c.req.text()}`, 400));
    const product = await listen(app);
    onTestFinished(() => product.close());

    const { code, stdout, stderr } = await probe(
      ["--tenant", "demo", "--items", "20", "--verbose", "--product-url", `${product.url}/`],
      { PRODUCT_USERNAME: "SECRET-USERNAME", PRODUCT_PASSWORD: password },
    );

    expect(code).toBe(2);
    expect(stdout).toMatch(
      /\nFAILED +product login +kong-rfid refused the credentials of tenant demo \(400\): refused/,
    );
    expect(`${stdout}\n${stderr}`).not.toContain("SECRET-");
  });

  it("--write: says where it writes before the report, leaves one inactive probe SKU, reused next time; without it, the journal shows no write", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "probe-write-"));
    const env = { SIESA_INTEGRATION_DATA_DIR: dataDir };

    const readOnly = await probe(["--tenant", "demo", "--items", "20"], env);
    const skusBefore = journalSkus(dataDir);
    const first = await probe(["--tenant", "demo", "--items", "20", "--write"], env);
    const second = await probe(["--tenant", "demo", "--items", "20", "--write", "--json"], env);

    expect(readOnly.code).toBe(0);
    expect(readOnly.stdout).toMatch(/\nskipped +product duplicate refused +skipped: needs --write/);
    expect(skusBefore).toEqual([]);
    expect(first.code).toBe(0);
    const [notice, title] = first.stdout.split("\n");
    expect(notice).toMatch(
      /^probe demo: writing to kong-rfid at 127\.0\.0\.1:\d+: one record, external_id siesa-integration-probe-demo, created inactive unless an earlier probe left it, and left inactive$/,
    );
    expect(title).toBe("probe demo");
    expect(first.stdout).toMatch(
      /\nok +product duplicate refused +a second create of external_id siesa-integration-probe-demo was refused/,
    );
    expect(journalSkus(dataDir)).toEqual([
      expect.objectContaining({ external_id: "siesa-integration-probe-demo", is_active: false }),
    ]);
    // --json: stdout is the report alone, the notice goes to stderr; the checks that wrote say so.
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/^probe demo: writing to kong-rfid at /m);
    const report = JSON.parse(second.stdout);
    expect(
      report.checks.filter((c: { wrote?: true }) => c.wrote).map((c: { name: string }) => c.name),
    ).toEqual(["product duplicate refused"]);
    expect(journalSkus(dataDir)).toHaveLength(1);
  });

  it("probes a tenant's real sides while npm start holds the local state: neither side is a sandbox, so it needs none of it", async () => {
    // prepare: the local state held by a live process (this one, as npm start would hold it), and
    // two APIs that are not the demo's sandboxes, given by URL with credentials, as a real tenant's
    const dataDir = mkdtempSync(join(tmpdir(), "siesa-integration-state-"));
    const holder = await openStore({ path: dynamoDir(dataDir) });
    onTestFinished(() => holder.close());
    const apis = await startSandboxes({ product: "kong-rfid", items: 20 });
    onTestFinished(() => apis.close());

    const { code, stdout, stderr } = await probe(
      ["--tenant", "demo", "--siesa-url", apis.siesaUrl, "--product-url", apis.productUrl],
      {
        SIESA_INTEGRATION_DATA_DIR: dataDir,
        SIESA_CONNI_KEY: apis.credentials.siesa.conniKey,
        SIESA_CONNI_TOKEN: apis.credentials.siesa.conniToken,
        PRODUCT_USERNAME: apis.credentials.product.username,
        PRODUCT_PASSWORD: apis.credentials.product.password,
      },
    );

    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trim().split("\n").at(-1)).toBe("every check ok");
  });

  it("an unknown tenant: one line naming it and the known ones, exit 1 (as sync)", async () => {
    const { code, stdout, stderr } = await probe(["--tenant", "nobody"]);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain('unknown tenant "nobody" (known tenants: ');
  });
});
