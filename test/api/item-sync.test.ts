import { describe, expect, it } from "vitest";
import { apiUnderTest } from "./factories.js";

// POST /tenants/:id/items/:f120Id/sync: a run of one item, started as a manual run is (same lease,
// same refusal); whether Siesa has the item, the run's outcome says (test/e2e/item-sync.test.ts).

describe("POST /tenants/:id/items/:f120Id/sync", () => {
  it("starts a run of that item and answers 202 with its id; GET /runs/:id names the item", async () => {
    const { call, state } = apiUnderTest();

    const { status, body } = await call("POST", "/tenants/acme-staging/items/1007/sync");

    expect(status).toBe(202);
    expect(body).toEqual({ runId: state.nextRunId, item: 1007 });
    expect(state.started).toEqual([{ tenantId: "acme-staging", trigger: "manual", item: 1007 }]);
    const run = await call("GET", `/runs/${state.nextRunId}`);
    expect(run.body).toMatchObject({ trigger: "manual", status: "running", item: 1007 });
  });

  it("is refused with 409 naming the active run while a run of the tenant holds the lease", async () => {
    const { call, state } = apiUnderTest();
    await call("POST", "/tenants/acme-staging/runs");

    const { status, body } = await call("POST", "/tenants/acme-staging/items/1007/sync");

    expect(status).toBe(409);
    expect(body.error.message).toBe(`tenant acme-staging already has an active run ${state.nextRunId}`);
    expect(state.started).toEqual([{ tenantId: "acme-staging", trigger: "manual" }]);
  });

  it.each([
    ["abc", '"abc"'],
    ["12.5", '"12.5"'],
    ["2147483648", '"2147483648"'],
    ["99999999999", '"99999999999"'],
  ])("answers 400 naming f120Id for %s and starts nothing", async (f120Id, shown) => {
    const { call, state } = apiUnderTest();

    const { status, body } = await call("POST", `/tenants/acme-staging/items/${f120Id}/sync`);

    expect(status).toBe(400);
    expect(body.error.message).toBe(
      `invalid path parameter f120Id: must be an f120_id: a whole number of a SQL int (got ${shown})`,
    );
    expect(state.started).toEqual([]);
  });

  it("answers 404 for an unknown tenant and starts nothing", async () => {
    const { call, state } = apiUnderTest();

    const { status, body } = await call("POST", "/tenants/no-such-tenant/items/1007/sync");

    expect(status).toBe(404);
    expect(body.error.message).toBe("tenant no-such-tenant does not exist");
    expect(state.started).toEqual([]);
  });

  it("refuses a tenant's read-only token with 403 and starts nothing", async () => {
    const { call, state } = apiUnderTest();

    const { status } = await call("POST", "/tenants/acme-staging/items/1007/sync", "acme");

    expect(status).toBe(403);
    expect(state.started).toEqual([]);
  });
});
