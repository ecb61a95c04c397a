import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import { runScript, withoutShellCredentials } from "../support/cli.js";

/** `npm run sync` with only the credentials a test passes (never the developer's shell's). */
const sync = (args: string[], env: Record<string, string> = {}) =>
  runScript("sync", args, { env: withoutShellCredentials(env) });

const lastJsonLine = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1) as string);

describe("npm run sync of a local tenant with one URL overridden", () => {
  let tenantId: string;
  /** The "real" side: a Siesa and a product of their own, elsewhere. */
  let elsewhere: LocalSandboxes;
  beforeAll(async () => {
    const [local] = (await loadTenants()).forEnvironment("local");
    if (!local) throw new Error("no local tenant under tenants/");
    tenantId = local.id;
    elsewhere = await startSandboxes({ product: local.product.type, items: 37, seed: 3, malformedShare: 0 });
  });
  afterAll(() => elsewhere.close());

  it("--siesa-url replaces only Siesa: the product sandbox stays, and only Siesa's variables are needed", async () => {
    const { code, stdout } = await sync(["--tenant", tenantId, "--siesa-url", elsewhere.siesaUrl, "--json"], {
      SIESA_CONNI_KEY: elsewhere.credentials.siesa.conniKey,
      SIESA_CONNI_TOKEN: elsewhere.credentials.siesa.conniToken,
    });

    expect(code).toBe(0);
    expect(lastJsonLine(stdout)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 37, created: 37 },
    });
    expect(elsewhere.kong?.skus.size ?? elsewhere.wms?.products.size ?? 0).toBe(0); // not written there
  });

  it("--product-url replaces only the product: the Siesa sandbox stays, and only the product's variables are needed", async () => {
    const { code, stdout } = await sync(
      ["--tenant", tenantId, "--product-url", elsewhere.productUrl, "--items", "12", "--json"],
      {
        PRODUCT_USERNAME: elsewhere.credentials.product.username,
        PRODUCT_PASSWORD: elsewhere.credentials.product.password,
      },
    );

    expect(code).toBe(0);
    expect(lastJsonLine(stdout)).toMatchObject({ status: "succeeded", counts: { extracted: 12 } });
  });

  it("asks only for the overridden side's variables", async () => {
    const { code, stderr } = await sync(["--tenant", tenantId, "--product-url", elsewhere.productUrl]);

    expect(code).toBe(1);
    expect(stderr).toBe(
      "sync: PRODUCT_USERNAME is not set (credentials of a side that is not a sandbox come from the environment)\n",
    );
  });

  it("a Siesa that does not answer is named with its host, in one line", async () => {
    const { code, stdout, stderr } = await sync(
      ["--tenant", tenantId, "--siesa-url", "http://127.0.0.1:1/"],
      {
        SIESA_CONNI_KEY: "key",
        SIESA_CONNI_TOKEN: "token",
      },
    );

    expect(code).toBe(1);
    expect(stderr).toMatch(/^sync: siesa .* failed \(network\): could not connect to 127\.0\.0\.1:1\n$/);
    expect(stdout).toBe("");
  });

  it("--verbose adds the logs and the details to that line", async () => {
    const { code, stdout, stderr } = await sync(
      ["--tenant", tenantId, "--siesa-url", "http://127.0.0.1:1/", "--verbose"],
      { SIESA_CONNI_KEY: "key", SIESA_CONNI_TOKEN: "token" },
    );

    expect(code).toBe(1);
    expect(stderr).toContain('"message":"external call failed"');
    expect(stderr.trimEnd().split("\n").at(-1)).toMatch(/could not connect to 127\.0\.0\.1:1$/);
    expect(stdout).toBe(""); // the run never started: the check before it failed
  });
});
