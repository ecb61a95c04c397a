import { describe, expect, it } from "vitest";
import { STACKS } from "../../infra/plan/snapshots.js";
import { SCHEDULE_NAME_MAX_LENGTH } from "../../runtime/core/domain/resource-names.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { FIXTURE_TENANT, fixturePlanOf, named, ofType, planOf, T } from "./plans.js";

const componentsOf = async (stack: string) =>
  (await fixturePlanOf(stack)).resources
    .filter((r) => !r.custom && r.name === r.component)
    .map((r) => `${r.type.split(":").pop()} ${r.name}`)
    .sort();

describe("each stack deploys the whole system for its own environment", () => {
  // Over the fixture tenants (one per environment), so the counts do not change with tenants/.
  it.each([
    ["staging", FIXTURE_TENANT.staging],
    ["prod", FIXTURE_TENANT.prod],
  ])(
    "%s has one component per concept and one Tenant per tenant file of its environment",
    async (stack, tenantId) => {
      expect(await componentsOf(stack)).toEqual(
        [
          "Api api",
          "Observability observability",
          "Pipeline pipeline",
          "Scheduling scheduling",
          "Storage storage",
          `Tenant tenant-${tenantId}`,
        ].sort(),
      );
    },
  );

  it.each(["staging", "prod"])("%s registers the expected number of each resource", async (stack) => {
    const plan = await fixturePlanOf(stack); // one tenant of each environment
    const count = (type: string) => ofType(plan, type).length;
    expect({
      tables: count(T.table),
      queues: count(T.queue),
      functions: count(T.function),
      logGroups: count(T.logGroup),
      roles: count(T.role),
      eventSourceMappings: count(T.eventSourceMapping),
      schedules: count(T.schedule),
      secrets: count(T.secret),
      tenantItems: count(T.tableItem),
      dashboards: count(T.dashboard),
    }).toEqual({
      tables: 5, // tenants, runs, ledger, the streams' ledger, audit
      queues: 10, // five queues, five dead-letter queues
      functions: 7, // dispatch, extract, load, settle, verify, notify, api
      logGroups: 8, // one per function, plus the API's access log
      roles: 8, // one per function, plus the scheduler's
      eventSourceMappings: 9, // each queue to its worker, each dead-letter queue but the notifications' to settle
      schedules: 2, // the tenant's, and the sweeper's

      secrets: 3, // the tenant's two, plus the API's token list
      tenantItems: 1,
      dashboards: 1,
    });
  });

  it("deploys no tenant of another environment", async () => {
    const registry = await loadTenants();
    for (const [stack, environment] of [
      ["staging", "staging"],
      ["prod", "production"],
    ] as const) {
      const plan = await planOf(stack);
      const deployed = ofType(plan, T.tableItem).map(
        (item) => JSON.parse(String(item.inputs.item)).tenantId.S,
      );
      const expected = registry.forEnvironment(environment).map((t) => t.id);
      expect(deployed.sort()).toEqual(expected.sort());
      const others = registry.all().filter((t) => t.environment !== environment);
      const text = JSON.stringify(plan.resources.map((r) => r.inputs));
      for (const other of others) expect(text).not.toContain(`"${other.id}"`);
    }
  });

  it("names every resource after its stack", async () => {
    for (const stack of ["staging", "prod"]) {
      const plan = await planOf(stack);
      const physicalNames = plan.resources
        .filter((r) => r.custom && typeof r.inputs.name === "string")
        .map((r) => String(r.inputs.name));
      expect(physicalNames.length).toBeGreaterThan(30);
      for (const name of physicalNames) {
        // Secrets are named siesa-integration/<tenantId>/… (docs/operations.md); everything else carries the
        // stack.
        if (name.startsWith("siesa-integration/")) continue;
        expect(name).toMatch(new RegExp(`siesa-integration-${stack}-|^\\$default$`));
      }
    }
  });

  it("names every schedule within EventBridge Scheduler's limit", async () => {
    for (const stack of STACKS) {
      for (const plan of [await planOf(stack), await fixturePlanOf(stack)]) {
        const names = ofType(plan, T.schedule).map((schedule) => String(schedule.inputs.name));
        expect(names.length).toBeGreaterThan(1); // the sweeper's, and at least one tenant's
        for (const name of names) expect(name.length, name).toBeLessThanOrEqual(SCHEDULE_NAME_MAX_LENGTH);
      }
    }
  });

  it("publishes the API URL, tables, queues, dashboard and each tenant's schedule as outputs", async () => {
    const plan = await fixturePlanOf("staging");
    expect(plan.outputs).toMatchObject({
      apiUrl: expect.stringMatching(/^https:\/\/.+execute-api\.us-east-1\.amazonaws\.com\/$/),
      tables: {
        tenants: "siesa-integration-staging-tenants",
        runs: "siesa-integration-staging-runs",
        ledger: "siesa-integration-staging-ledger",
        audit: "siesa-integration-staging-audit",
      },
      queues: {
        syncRequests: expect.stringContaining("siesa-integration-staging-sync-requests"),
        units: expect.stringContaining("siesa-integration-staging-units.fifo"),
        loads: expect.stringContaining("siesa-integration-staging-loads"),
      },
      dashboardUrl: expect.stringContaining("SiesaIntegration-Overview-staging"),
      schedules: { [FIXTURE_TENANT.staging]: `siesa-integration-staging-sync-${FIXTURE_TENANT.staging}` },
    });
    expect(named(plan, "observability/dashboard").inputs.dashboardName).toBe(
      "SiesaIntegration-Overview-staging",
    );
  });
});
