import { describe, expect, it } from "vitest";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import { CredentialsError } from "../../runtime/core/ports/pipeline.js";
import type { TenantCredentials } from "../../runtime/core/ports/tenant-clients.js";
import { createTenantProbe } from "../../runtime/wiring/probe.js";
import { freePort } from "../../sandbox/free-port.js";
import { recordingLog } from "../support/log.js";
import {
  check,
  failed,
  fastPolicy,
  KONG_CHECKS,
  probeWorld,
  SIESA_CHECKS,
  WMS_CHECKS,
} from "./probe-world.js";

// The contract probe, read-only, against the Siesa, Kong and WMS sandboxes over HTTP, with the real
// clients. Its --write checks: probe-write.test.ts.

describe("the contract probe", () => {
  it("finds every assumption of the sync true against the sandboxes, one named line each", async () => {
    const { probe } = await probeWorld({ siesa: { rateLimit: 600 } });

    const report = await probe();

    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(KONG_CHECKS);
    const [reads, writes] = [report.checks.slice(0, -3), report.checks.slice(-3)];
    expect(reads.every((c) => c.status === "ok")).toBe(true);
    for (const line of writes)
      expect(line).toEqual({
        name: line.name,
        status: "skipped",
        detail: expect.stringMatching(/^skipped: needs --write/),
      });
    // Reset as the sandbox sends it: whole seconds of the 60 s window, rounded down.
    expect(check(report, "siesa rate limit")?.detail).toMatch(
      /^after the probe: limit 600, remaining 593, reset (59|60)$/,
    );
    expect(check(report, "product lookup by external id")?.detail).toContain("external_id 7001 found as id");
    expect(check(report, "product search semantics")?.detail).toBe(
      'search "7001" lists 1 record, external_id 7001 on its first page; matches substrings too',
    );
  });

  it.each([
    ["an empty page", { endOfData: "short" }],
    ['HTTP 400 "No se encontraron registros"', { endOfData: "400" }],
    ['HTTP 200 "Consulta existente sin datos."', { endOfData: "200" }],
    ["the paged Datos envelope", { envelope: "Datos" }],
  ] as const)("takes %s as the end of the data", async (_form, siesa) => {
    const { probe } = await probeWorld({ siesa });

    const report = await probe();

    expect(failed(report)).toEqual([]);
    expect(check(report, "siesa end of data")?.detail).toBe("page 1000000 answered as no more rows");
  });

  it("says when Siesa answers fewer rows than tamPag asks while more follow", async () => {
    const { probe } = await probeWorld({ siesa: { pageCap: 20 } });

    const report = await probe();

    expect(failed(report)).toContain("siesa page size");
    expect(check(report, "siesa page size")?.detail).toMatch(
      /^tamPag 100 answered 20 rows and page 2 \d+ more: Siesa pages are smaller than asked, and the client takes a short page for the last$/,
    );
  });

  it.each(["kong-rfid", "wms"] as const)(
    "writes nothing to a %s product without --write",
    async (product) => {
      const { probe, sandboxes } = await probeWorld({ product });
      const records = () => JSON.stringify(sandboxes.kong?.skus.list() ?? sandboxes.wms?.products.list());
      const before = records();
      const announced: string[] = [];

      const report = await probe({ beforeWrite: (notice) => announced.push(notice) });

      expect(sandboxes.kong?.stats ?? sandboxes.wms?.stats).toMatchObject({ creates: 0, patches: 0 });
      expect(sandboxes.kong?.stats.puts ?? 0).toBe(0);
      expect(records()).toBe(before);
      expect(announced).toEqual([]);
      expect(report.checks.filter((c) => c.wrote)).toEqual([]);
    },
  );

  it("names a column the mapping reads that the items query lacks", async () => {
    const { probe } = await probeWorld({ siesa: { withoutColumns: ["f120_descripcion"] } });

    const report = await probe();

    expect(report.ok).toBe(false);
    expect(failed(report)).toEqual(["siesa item columns"]);
    expect(check(report, "siesa item columns")?.detail).toMatch(/^API_v2_Items lacks f120_descripcion \(/);
  });

  it("names a barcode column the barcodes query lacks", async () => {
    const { probe } = await probeWorld({ siesa: { withoutColumns: ["f131_id_unidad_medida"] } });

    const report = await probe();

    expect(failed(report)).toEqual(["siesa barcode columns"]);
    expect(check(report, "siesa barcode columns")?.detail).toContain(
      "API_v2_ItemsBarras lacks f131_id_unidad_medida",
    );
  });

  it("says when the ERP company has no items, and skips what needs one", async () => {
    const { probe } = await probeWorld({ tenant: (t) => ({ ...t, siesa: { ...t.siesa, erpCompany: 99 } }) });

    const report = await probe();

    expect(failed(report)).toEqual(["siesa erp company"]);
    expect(check(report, "siesa erp company")?.detail).toBe("no item of f120_id_cia 99 in API_v2_Items");
    expect(check(report, "siesa range filter")?.status).toBe("skipped");
    // Every Siesa check still has its line, in its place.
    expect(report.checks.map((c) => c.name).slice(0, 10)).toEqual(SIESA_CHECKS);
    expect(check(report, "siesa item columns")?.status).toBe("skipped");
    expect(check(report, "siesa rate limit")?.status).toBe("ok");
  });

  it("says Siesa ignores the filter when another company's rows come back", async () => {
    const { probe } = await probeWorld({ siesa: { ignoreFilter: true } });

    const report = await probe();

    expect(failed(report)).toContain("siesa erp company");
    expect(check(report, "siesa erp company")?.detail).toMatch(/the filter is not applied$/);
  });

  it("names a refused IN with Siesa's words, and checks the OR chains the sync asks by instead", async () => {
    const { probe } = await probeWorld({ siesa: { refuseOperators: ["IN"] } });

    const report = await probe();

    // The sync adapts to a refused IN (runtime/edges/http/siesa/README.md): nothing fails.
    expect(failed(report)).toEqual([]);
    expect(check(report, "siesa reference list")?.detail).toMatch(
      /^IN refused \(codigo 2: Error al ejecutar la consulta: Sintaxis incorrecta cerca de 'IN'\); the sync asks by OR chains of =, which answered \d+ barcode rows for \d+ references, consistent with = alone$/,
    );
    expect(check(report, "siesa barcode columns")?.status).toBe("ok");
  });

  it("says when a reference list and = answer one reference's barcodes differently", async () => {
    // Siesa's "no records" for a filter it mishandles (INT-001), here for every IN list.
    const { probe } = await probeWorld({
      siesa: { noRecords: ({ parametros }) => /\bIN \(/.test(parametros ?? "") },
    });

    const report = await probe();

    expect(failed(report)).toEqual(["siesa reference list"]);
    expect(check(report, "siesa reference list")?.detail).toMatch(
      /^reference \S+: IN \(…\) answered barcodes \[\], = answered \[\d+/,
    );
  });

  it("names the Siesa company (idCompania) Siesa does not know, in Siesa's words", async () => {
    const { probe } = await probeWorld({ tenant: (t) => ({ ...t, siesa: { ...t.siesa, companyId: 1234 } }) });

    const report = await probe();

    expect(failed(report)).toEqual(["siesa credentials"]);
    expect(check(report, "siesa credentials")?.detail).toContain("La compañía '1234' no existe");
  });

  it("names the range form when Siesa refuses >=", async () => {
    const { probe } = await probeWorld({ siesa: { refuseOperators: [">="] } });

    const report = await probe();

    expect(failed(report)).toEqual(["siesa range filter"]);
    expect(check(report, "siesa range filter")?.detail).toContain("Sintaxis incorrecta cerca de '>='");
  });

  it("reports refused credentials on each side without the secret, and skips what needs them", async () => {
    const { probe } = await probeWorld({
      credentials: (good) => ({
        siesa: { ...good.siesa, conniToken: "wrong-token-value" },
        product: { ...good.product, password: "wrong-password-value" },
      }),
    });

    const report = await probe();

    expect(failed(report)).toEqual(["siesa credentials", "product login"]);
    expect(check(report, "siesa credentials")?.detail).toBe("credentials refused (HTTP 401)");
    expect(check(report, "siesa item columns")?.status).toBe("skipped");
    expect(check(report, "product list")?.status).toBe("skipped");
    expect(JSON.stringify(report)).not.toMatch(/wrong-token-value|wrong-password-value/);
    expect(report.checks.map((c) => c.name)).toEqual(KONG_CHECKS);
  });

  it("names the host that does not answer", async () => {
    const port = await freePort();
    const { probe } = await probeWorld({
      tenant: (t) => ({ ...t, siesa: { ...t.siesa, baseUrl: `http://127.0.0.1:${port}/api/siesa/v3/` } }),
    });

    const report = await probe();

    expect(failed(report)).toEqual(["siesa credentials"]);
    expect(check(report, "siesa credentials")?.detail).toMatch(
      new RegExp(`^127\\.0\\.0\\.1:${port} did not answer`),
    );
  });

  it("skips the product's lines, when the product does not answer, saying its login failed rather than that it was refused", async () => {
    const port = await freePort();
    const { probe } = await probeWorld({
      tenant: (t) => ({ ...t, product: { ...t.product, baseUrl: `http://127.0.0.1:${port}/` } }),
    });

    const report = await probe();

    expect(failed(report)).toEqual(["product login"]);
    expect(check(report, "product list")?.detail).toBe("skipped: the product login failed");
  });

  it("says when Kong lists another customer's SKUs: the customer filter the lookup and verify rely on", async () => {
    const { probe, sandboxes } = await probeWorld();
    sandboxes.kong?.skus.insert({
      external_id: "9001",
      name: "Ajena",
      type_id: 4,
      group_id: 9,
      customer_id: 99,
    });
    sandboxes.kong?.ignoreCustomerFilter(true);

    const report = await probe();

    expect(failed(report)).toEqual(["product list"]);
    expect(check(report, "product list")?.detail).toBe(
      "asked for customer_id 17, listed external_id 9001 of customer_id 99: the customer filter is not applied",
    );
  });

  it("skips the lookup while the product lists nothing of the tenant", async () => {
    const { probe } = await probeWorld({ listed: false });

    const report = await probe();

    expect(report.ok).toBe(true);
    expect(check(report, "product lookup by external id")).toMatchObject({
      status: "skipped",
      detail: expect.stringContaining("lists no record"),
    });
    expect(report.checks.map((c) => c.name)).toEqual(KONG_CHECKS);
  });

  it("on a WMS finds a listed variant_id by external id, and says the PATCH id needs --write", async () => {
    const { probe } = await probeWorld({ product: "wms" });

    const report = await probe();

    expect(failed(report)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual(WMS_CHECKS);
    expect(check(report, "product lookup by external id")?.detail).toContain("(external_id__eq), as listed");
    expect(check(report, "wms variant_id is the PATCH id")).toMatchObject({
      status: "skipped",
      detail: expect.stringContaining("needs --write"),
    });
  });
});

describe("the probe as the API runs it, with the tenant's secrets", () => {
  const probeWith = (tenant: Tenant, secrets: () => Promise<TenantCredentials>) =>
    createTenantProbe({
      tenants: { get: async (id) => (id === tenant.id ? tenant : undefined), list: async () => [tenant] },
      credentials: { forTenant: secrets },
      policy: fastPolicy(),
      log: recordingLog(),
    });

  it("probes a known tenant with its secrets", async () => {
    const { tenant, sandboxes } = await probeWorld();

    const report = await probeWith(tenant, async () => sandboxes.credentials)(tenant.id);

    expect(report).toMatchObject({ tenantId: tenant.id, ok: true });
  });

  it("answers undefined for an unknown tenant, and one failed `secrets` check when they cannot be read", async () => {
    const { tenant } = await probeWorld();
    const probe = probeWith(tenant, async () => {
      throw new CredentialsError(`the Siesa secret of tenant ${tenant.id} is not set`);
    });

    expect(await probe("no-such-tenant")).toBeUndefined();
    expect(await probe(tenant.id)).toEqual({
      tenantId: tenant.id,
      ok: false,
      checks: [
        { name: "secrets", status: "failed", detail: `the Siesa secret of tenant ${tenant.id} is not set` },
      ],
    });
  });
});
