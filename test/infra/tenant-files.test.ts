import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPlan } from "../../infra/plan/format.js";
import type { Plan } from "../../infra/plan/run.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { FIXTURE_TENANT, FIXTURE_TENANTS_DIR, planOf } from "./plans.js";

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
  sync: { schedule: "cron(0 6 * * ? *)", retryAttempts: 3, concurrency: 2, maxRunMinutes: 45 },
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
  /** The same tenants plus zz-new-staging, as a tenant pull request would add it. */
  let withNew: Plan;

  /** Plans the staging stack over a tenants/ directory holding exactly these tenants. */
  async function planWith(tenants: readonly Tenant[]): Promise<Plan> {
    const dir = await tenantsDir(tenants);
    dirs.push(dir);
    return planOf("staging", { tenantsDir: dir });
  }

  beforeAll(async () => {
    current = (await loadTenants({ dir: FIXTURE_TENANTS_DIR })).all();
    baseline = await planWith(current);
    withNew = await planWith([...current, newTenant("zz-new-staging")]);
  });
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("adding one adds its schedule, its two secrets and its configuration item, and changes only the dashboard", async () => {
    expect(diff(baseline, withNew)).toEqual({
      added: [
        "tenant-zz-new-staging",
        "tenant-zz-new-staging/config",
        "tenant-zz-new-staging/schedule",
        "tenant-zz-new-staging/siesa-secret",
        "tenant-zz-new-staging/wms-secret",
      ],
      removed: [],
      changed: ["observability/dashboard"], // its new row
    });
  });

  it("the added tenant's resources carry its id, schedule and product", async () => {
    const inputs = (name: string) => withNew.resources.find((r) => r.name === name)?.inputs ?? {};
    expect(inputs("tenant-zz-new-staging/schedule")).toMatchObject({
      name: "siesa-integration-staging-sync-zz-new-staging",
      groupName: "siesa-integration-staging-schedules",
      scheduleExpression: "cron(0 6 * * ? *)",
      // Paused until its first probe passes (test/api/control.test.ts) or an operator resumes it.
      state: "DISABLED",
      target: { input: JSON.stringify({ tenantId: "zz-new-staging", trigger: "schedule" }) },
    });
    expect(inputs("tenant-zz-new-staging/siesa-secret").name).toBe("siesa-integration/zz-new-staging/siesa");
    expect(inputs("tenant-zz-new-staging/wms-secret").name).toBe("siesa-integration/zz-new-staging/wms");
    const item = JSON.parse(String(inputs("tenant-zz-new-staging/config").item));
    expect(item.tenantId).toEqual({ S: "zz-new-staging" });
    expect(item.config.M.product.M.type).toEqual({ S: "wms" });
    expect(String(inputs("observability/dashboard").dashboardBody)).toContain("zz-new-staging");
  });

  it("declaring streams adds one paused schedule per stream, its stream in the request, and nothing else", async () => {
    const withStreams = current.map((t) =>
      t.id === FIXTURE_TENANT.staging
        ? {
            ...t,
            streams: {
              warehouses: { schedule: "rate(1 day)", location: { type: "E1", parent: null } },
              stock: { schedule: "rate(15 minutes)", subtract: ["committed" as const, "pos" as const] },
            },
          }
        : t,
    );
    const plan = await planWith(withStreams);
    const inputs = (name: string) => plan.resources.find((r) => r.name === name)?.inputs ?? {};

    const changes = diff(baseline, plan);

    const tenant = `tenant-${FIXTURE_TENANT.staging}`;
    expect(changes.added).toEqual([`${tenant}/schedule-stock`, `${tenant}/schedule-warehouses`]);
    expect(changes.removed).toEqual([]);
    expect(changes.changed).not.toContain(`${tenant}/schedule`);
    expect(inputs(`${tenant}/schedule-stock`)).toMatchObject({
      name: `siesa-integration-staging-sync-${FIXTURE_TENANT.staging}.stock`,
      scheduleExpression: "rate(15 minutes)",
      state: "DISABLED",
      target: {
        input: JSON.stringify({ tenantId: FIXTURE_TENANT.staging, trigger: "schedule", stream: "stock" }),
      },
    });
  });

  it("removing one removes exactly its resources", async () => {
    const plan = await planWith(current.filter((t) => t.id !== FIXTURE_TENANT.staging));

    expect(diff(baseline, plan)).toEqual({
      added: [],
      removed: [
        `tenant-${FIXTURE_TENANT.staging}`,
        `tenant-${FIXTURE_TENANT.staging}/config`,
        `tenant-${FIXTURE_TENANT.staging}/kong-rfid-secret`,
        `tenant-${FIXTURE_TENANT.staging}/schedule`,
        `tenant-${FIXTURE_TENANT.staging}/siesa-secret`,
      ],
      changed: ["observability/dashboard"],
    });
  });

  it("a one-field change of a tenant file reads as one changed line of the plan", async () => {
    const edited = current.map((t) =>
      t.id === FIXTURE_TENANT.staging ? { ...t, siesa: { ...t.siesa, companyId: 4242 } } : t,
    );
    const before = formatPlan(baseline).split("\n");
    const after = formatPlan(await planWith(edited)).split("\n");

    const gone = before.filter((line) => !after.includes(line));
    const added = after.filter((line) => !before.includes(line));

    expect(gone).toEqual([expect.stringMatching(/^ +config\.siesa\.companyId: \d+$/)]);
    expect(added).toEqual(["      config.siesa.companyId: 4242"]);
  });

  it("a tenant of the other environment adds nothing to this stack", async () => {
    const prod: Tenant = {
      ...newTenant("zz-new-prod"),
      environment: "production",
      siesa: { ...newTenant("zz-new-prod").siesa, baseUrl: "https://servicios.siesacloud.com/api/siesa/v3/" },
    };
    const plan = await planWith([...current, prod]);

    expect(diff(baseline, plan)).toEqual({ added: [], removed: [], changed: [] });
  });
});
