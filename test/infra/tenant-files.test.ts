import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../infra/plan/run.js";
import { loadTenants } from "../../runtime/tenants/registry.js";
import type { Tenant } from "../../runtime/tenants/schema.js";
import { planOf } from "./plans.js";

/** A staging tenant file as a reviewer would see it in a pull request. */
const newTenant = (id: string): Tenant => ({
  id,
  environment: "staging",
  clientAccount: "123456789012",
  siesa: { baseUrl: "https://serviciosqa.siesacloud.com/api/siesa/v3/", companyId: 9001, erpCompany: 1 },
  product: {
    type: "wms",
    baseUrl: "https://wms.example.com/",
    endpoints: { products: "/products" },
    defaults: {},
  },
  sync: { schedule: "cron(0 6 * * ? *)", batchSize: 50, retryAttempts: 3, concurrency: 2, maxRunMinutes: 45 },
  mapping: "wms",
});

/** A tenants/ directory holding these tenants (as plain default exports: defineTenant is the identity). */
async function tenantsDir(tenants: readonly Tenant[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "tenants-"));
  for (const tenant of tenants) {
    await writeFile(
      path.join(dir, `${tenant.id}.ts`),
      `export default ${JSON.stringify(tenant, null, 2)};\n`,
    );
  }
  return dir;
}

/** Resource name → its registered inputs, to compare two plans. */
const byName = (plan: Plan) => new Map(plan.resources.map((r) => [r.name, JSON.stringify(r.inputs)]));

function diff(before: Plan, after: Plan) {
  const a = byName(before);
  const b = byName(after);
  return {
    added: [...b.keys()].filter((name) => !a.has(name)).sort(),
    removed: [...a.keys()].filter((name) => !b.has(name)).sort(),
    changed: [...b.keys()].filter((name) => a.has(name) && a.get(name) !== b.get(name)).sort(),
  };
}

describe("a tenant file is exactly its own resources", () => {
  const dirs: string[] = [];
  let current: Tenant[];
  let baseline: Plan;
  /** The same tenants plus acme-staging, as a tenant pull request would add it. */
  let withAcme: Plan;

  /** Plans the staging stack over a tenants/ directory holding exactly these tenants. */
  async function planWith(tenants: readonly Tenant[]): Promise<Plan> {
    const dir = await tenantsDir(tenants);
    dirs.push(dir);
    return planOf("staging", { tenantsDir: dir });
  }

  beforeAll(async () => {
    current = (await loadTenants()).all();
    baseline = await planWith(current);
    withAcme = await planWith([...current, newTenant("acme-staging")]);
  });
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("adding one adds its schedule, its two secrets and its configuration item, and changes only the dashboard", async () => {
    expect(diff(baseline, withAcme)).toEqual({
      added: [
        "tenant-acme-staging",
        "tenant-acme-staging/config",
        "tenant-acme-staging/schedule",
        "tenant-acme-staging/siesa-secret",
        "tenant-acme-staging/wms-secret",
      ],
      removed: [],
      changed: ["observability/dashboard"], // its new row
    });
  });

  it("the added tenant's resources carry its id, schedule and product", async () => {
    const inputs = (name: string) => withAcme.resources.find((r) => r.name === name)?.inputs ?? {};
    expect(inputs("tenant-acme-staging/schedule")).toMatchObject({
      name: "siesa-integration-staging-sync-acme-staging",
      groupName: "siesa-integration-staging-schedules",
      scheduleExpression: "cron(0 6 * * ? *)",
      target: { input: JSON.stringify({ tenantId: "acme-staging", trigger: "schedule" }) },
    });
    expect(inputs("tenant-acme-staging/siesa-secret").name).toBe("siesa-integration/acme-staging/siesa");
    expect(inputs("tenant-acme-staging/wms-secret").name).toBe("siesa-integration/acme-staging/wms");
    const item = JSON.parse(String(inputs("tenant-acme-staging/config").item));
    expect(item.tenantId).toEqual({ S: "acme-staging" });
    expect(item.config.M.product.M.type).toEqual({ S: "wms" });
    expect(String(inputs("observability/dashboard").dashboardBody)).toContain("acme-staging");
  });

  it("removing one removes exactly its resources", async () => {
    const plan = await planWith(current.filter((t) => t.id !== "parchita-staging"));

    expect(diff(baseline, plan)).toEqual({
      added: [],
      removed: [
        "tenant-parchita-staging",
        "tenant-parchita-staging/config",
        "tenant-parchita-staging/kong-rfid-secret",
        "tenant-parchita-staging/schedule",
        "tenant-parchita-staging/siesa-secret",
      ],
      changed: ["observability/dashboard"],
    });
  });

  it("a tenant of the other environment adds nothing to this stack", async () => {
    const plan = await planWith([...current, { ...newTenant("acme-prod"), environment: "production" }]);

    expect(diff(baseline, plan)).toEqual({ added: [], removed: [], changed: [] });
  });
});
