import { describe, expect, it } from "vitest";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import { apiUnderTest, aRun, tenantNamed } from "./factories.js";

const hourly = (n: number, tenantId = "acme-staging") =>
  aRun({
    runId: `run-${n}`,
    tenantId,
    startedAt: `2025-03-10T${String(n).padStart(2, "0")}:00:00.000Z`,
    finishedAt: `2025-03-10T${String(n).padStart(2, "0")}:05:00.000Z`,
  });

describe("GET /tenants/:id/runs", () => {
  it("lists a tenant's runs newest first, in the documented shape", async () => {
    const { call, state } = apiUnderTest();
    state.runs.push(hourly(1), hourly(2), hourly(3, "globex-prod"));

    const { status, body } = await call("GET", "/tenants/acme-staging/runs");

    expect(status).toBe(200);
    expect(body.runs.map((r: { runId: string }) => r.runId)).toEqual(["run-2", "run-1"]);
    expect(body.cursor).toBeUndefined();
    expect(Object.keys(body.runs[0]).sort()).toEqual(
      [
        "runId",
        "tenantId",
        "trigger",
        "status",
        "startedAt",
        "finishedAt",
        "durationMs",
        "counts",
        "errors",
      ].sort(),
    );
    expect(body.runs[0].counts).toEqual({
      extracted: 3,
      created: 2,
      updated: 0,
      unchanged: 0,
      rejected: 1,
      failed: 0,
      deactivated: 0,
      reactivated: 0,
    });
    expect(body.runs[0].errors).toEqual([
      { key: "17", outcome: "rejected", reason: "f120_referencia: must not be empty" },
    ]);
  });

  it("pages with limit and the cursor of the previous page", async () => {
    const { call, state } = apiUnderTest();
    state.runs.push(hourly(1), hourly(2), hourly(3));

    const first = await call("GET", "/tenants/acme-staging/runs?limit=2");
    const second = await call("GET", `/tenants/acme-staging/runs?limit=2&cursor=${first.body.cursor}`);

    expect(first.body.runs.map((r: { runId: string }) => r.runId)).toEqual(["run-3", "run-2"]);
    expect(second.body.runs.map((r: { runId: string }) => r.runId)).toEqual(["run-1"]);
    expect(second.body.cursor).toBeUndefined();
  });

  it.each([
    ["limit=0", "limit", /must be an integer from 1 to 100/],
    ["limit=101", "limit", /must be an integer from 1 to 100/],
    ["limit=ten", "limit", /must be an integer from 1 to 100 \(got "ten"\)/],
    ["cursor=", "cursor", /must not be empty/],
    ["limt=5", "limt", /is not a known query parameter/],
  ])("answers 400 to ?%s naming the field %s", async (query, field, problem) => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", `/tenants/acme-staging/runs?${query}`);

    expect(status).toBe(400);
    expect(body.error.message).toContain(`invalid query parameter ${field}:`);
    expect(body.error.details.issues).toEqual([{ field, problem: expect.stringMatching(problem) }]);
  });

  it("answers 400 naming the cursor when it was not issued for this tenant", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/tenants/acme-staging/runs?cursor=globex-prod:2");

    expect(status).toBe(400);
    expect(body.error.details.issues[0].field).toBe("cursor");
  });
});

describe("GET /runs/:runId", () => {
  it("shows one run with its counts and first errors", async () => {
    const { call, state } = apiUnderTest();
    state.runs.push(hourly(1));

    const { status, body } = await call("GET", "/runs/run-1");

    expect(status).toBe(200);
    expect(body).toMatchObject({ runId: "run-1", tenantId: "acme-staging", status: "succeeded" });
  });

  it("shows why a run failed and the sync requests it skipped while active", async () => {
    const { call, state } = apiUnderTest();
    const skipped = [{ trigger: "schedule" as const, at: "2025-03-10T11:30:00.000Z" }];
    state.runs.push(
      aRun({ runId: "stopped", status: "failed", reason: "siesa keeps answering 503", skipped }),
    );

    const { body } = await call("GET", "/runs/stopped");

    expect(body).toMatchObject({ status: "failed", reason: "siesa keeps answering 503", skipped });
  });

  it("shows at most the first 50 errors", async () => {
    const { call, state } = apiUnderTest();
    const errors = Array.from({ length: 60 }, (_, i) => ({
      key: String(i),
      outcome: "failed" as const,
      reason: "kong-rfid 503",
    }));
    state.runs.push(aRun({ runId: "noisy", errors }));

    const { body } = await call("GET", "/runs/noisy");

    expect(body.errors).toHaveLength(50);
  });

  it("answers 404 for a run that does not exist", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/runs/no-such-run");

    expect(status).toBe(404);
    expect(body.error).toEqual({
      code: "not_found",
      message: "run no-such-run does not exist",
      details: { runId: "no-such-run" },
    });
  });

  it("answers a tenant token asking for another tenant's run exactly like a missing run (404)", async () => {
    const { call, state } = apiUnderTest();
    state.runs.push(hourly(1, "globex-prod"));

    const foreign = await call("GET", "/runs/run-1", "acme");
    const own = await call("GET", "/runs/run-1", "globex");

    expect(foreign.status).toBe(404);
    expect(foreign.body.error.message).toBe("run run-1 does not exist");
    expect(own.status).toBe(200);
  });

  it("answers 400 naming runId when it cannot be a run id", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/runs/%20bad%20id");

    expect(status).toBe(400);
    expect(body.error.details.issues[0].field).toBe("runId");
  });
});

describe("POST /tenants/:id/runs (manual trigger)", () => {
  it("starts a manual run and answers 202 with its id", async () => {
    const { call, state } = apiUnderTest();

    const { status, body } = await call("POST", "/tenants/acme-staging/runs");

    expect(status).toBe(202);
    expect(body).toEqual({ runId: state.nextRunId });
    expect(state.started).toEqual([{ tenantId: "acme-staging", trigger: "manual" }]);
  });

  it("starts a run of one of the tenant's other streams, and refuses one its file does not declare", async () => {
    const { call, state } = apiUnderTest();
    state.tenants[0] = {
      ...(state.tenants[0] as Tenant),
      streams: { stock: { schedule: "rate(15 minutes)", subtract: ["committed", "pos"] } },
    };

    const stock = await call("POST", "/tenants/acme-staging/runs", "operator", {}, { stream: "stock" });
    const warehouses = await call(
      "POST",
      "/tenants/acme-staging/runs",
      "operator",
      {},
      { stream: "warehouses" },
    );

    expect(stock.status).toBe(202);
    expect(state.started).toEqual([{ tenantId: "acme-staging", trigger: "manual", stream: "stock" }]);
    expect(warehouses.status).toBe(400);
    expect(warehouses.body.error.details.issues).toEqual([
      {
        field: "stream",
        problem: "tenant acme-staging syncs no warehouses: its file has no streams.warehouses",
      },
    ]);
  });

  /** A finished run that held `count` deactivations (the first 50 keys kept), and the API over it. */
  const withHeldRun = (count = 600) => {
    const api = apiUnderTest();
    const keys = Array.from({ length: Math.min(count, 50) }, (_, i) => String(1_000 + i));
    const held = aRun({
      runId: "20250310T100000.000Z-hhhhhhhhhhhh",
      status: "partial",
      reason: `held ${count} deactivations, limit 125`,
      heldDeactivations: { count, limit: 125, fingerprint: "f".repeat(32), keys },
    });
    api.state.runs.push(held);
    return { ...api, held, keys };
  };

  it("refuses a WMS tenant's warehouses run, naming the tenant and why, until its file records the locations endpoint confirmed", async () => {
    const { call, state } = apiUnderTest();
    state.tenants[0] = tenantNamed("acme-staging", (input) => {
      input.product = { type: "wms", baseUrl: "https://wms.example/", endpoints: {}, defaults: {} };
      input.mapping = "wms";
      input.streams = { warehouses: { schedule: "rate(1 day)", location: { type: "E1", parent: null } } };
    });

    const { status, body } = await call(
      "POST",
      "/tenants/acme-staging/runs",
      "operator",
      {},
      { stream: "warehouses" },
    );

    expect(status).toBe(409);
    expect(body.error.message).toMatch(
      /^tenant acme-staging may not sync its warehouses yet: .*WMS.*locations.*assumed.*streams\.warehouses\.locationsConfirmed/,
    );
    expect(state.started).toEqual([]);
  });

  it("starts a run that applies the deactivations a named run held", async () => {
    const { call, state, held } = withHeldRun();

    const { status } = await call(
      "POST",
      "/tenants/acme-staging/runs",
      "operator",
      {},
      { approveDeactivationsOf: held.runId },
    );

    expect(status).toBe(202);
    expect(state.started).toEqual([
      { tenantId: "acme-staging", trigger: "manual", approveDeactivationsOf: held.runId },
    ]);
  });

  it("refuses an approval naming a run that held nothing, naming the field, and starts nothing", async () => {
    const { call, state } = withHeldRun();
    state.runs.push(aRun({ runId: "20250310T090000.000Z-nnnnnnnnnnnn" }));

    const { status, body } = await call(
      "POST",
      "/tenants/acme-staging/runs",
      "operator",
      {},
      { approveDeactivationsOf: "20250310T090000.000Z-nnnnnnnnnnnn" },
    );

    expect(status).toBe(400);
    expect(body.error.message).toBe(
      "invalid body parameter approveDeactivationsOf: run 20250310T090000.000Z-nnnnnnnnnnnn of tenant acme-staging held no deactivations",
    );
    expect(state.started).toEqual([]);
  });

  it("refuses an approval naming another tenant's held run", async () => {
    const { call, state, held } = withHeldRun();

    const { status } = await call(
      "POST",
      "/tenants/globex-prod/runs",
      "operator",
      {},
      { approveDeactivationsOf: held.runId },
    );

    expect(status).toBe(400);
    expect(state.started).toEqual([]);
  });

  it.each([600, 1e20, "all", -1])(
    "refuses the older count approval (%s) with a 400 naming it and the field to use, and starts nothing",
    async (count) => {
      const { call, state } = withHeldRun();

      const { status, body } = await call(
        "POST",
        "/tenants/acme-staging/runs",
        "operator",
        {},
        { approveDeactivations: count },
      );

      expect(status).toBe(400);
      expect(body.error.message).toMatch(
        /^invalid body parameter approveDeactivations: is no longer accepted: .*approveDeactivationsOf/,
      );
      expect(body.error.details.issues[0].field).toBe("approveDeactivations");
      expect(state.started).toEqual([]);
    },
  );

  it("refuses an approval that is not a run id, naming the field", async () => {
    const { call } = withHeldRun();

    const { status, body } = await call(
      "POST",
      "/tenants/acme-staging/runs",
      "operator",
      {},
      { approveDeactivationsOf: 600 },
    );

    expect(status).toBe(400);
    expect(body.error.details.issues[0].field).toBe("approveDeactivationsOf");
  });

  it("shows what a run held on GET /runs/:id: the count, the limit and the first 50 keys, never the set's fingerprint", async () => {
    const { call, held, keys } = withHeldRun(600);

    const { status, body } = await call("GET", `/runs/${held.runId}`);

    expect(status).toBe(200);
    expect(body.heldDeactivations).toEqual({ count: 600, limit: 125, keys });
    expect(body.heldDeactivations.keys).toHaveLength(50);
  });

  it("answers 409 naming the active run when one is running", async () => {
    const { call, state } = apiUnderTest();
    await call("POST", "/tenants/acme-staging/runs");

    const { status, body } = await call("POST", "/tenants/acme-staging/runs");

    expect(status).toBe(409);
    expect(body.error).toEqual({
      code: "conflict",
      message: `tenant acme-staging already has an active run ${state.nextRunId}`,
      details: { tenantId: "acme-staging", activeRunId: state.nextRunId },
    });
    expect(state.started).toHaveLength(1);
  });

  it("answers 404 for an unknown tenant and starts nothing", async () => {
    const { call, state } = apiUnderTest();

    expect((await call("POST", "/tenants/no-such-tenant/runs")).status).toBe(404);
    expect(state.started).toEqual([]);
  });
});
