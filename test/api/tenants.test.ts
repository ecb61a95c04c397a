import { describe, expect, it } from "vitest";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import { apiUnderTest, aRun, NOW } from "./factories.js";

const minutesBeforeNow = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();

/** A stock stream every 15 minutes, as a tenant file would declare it. */
const STOCK = { schedule: "rate(15 minutes)", subtract: ["committed" as const, "pos" as const] };

/** The tenant syncs stock too, its schedule enabled, and its catalogue's last run succeeded 25 minutes ago. */
function syncsStockToo(state: ReturnType<typeof apiUnderTest>["state"]) {
  state.tenants[0] = { ...(state.tenants[0] as Tenant), streams: { stock: STOCK } };
  state.scheduleStates.set("acme-staging#stock", "ENABLED");
  state.runs.push(aRun({ startedAt: minutesBeforeNow(30), finishedAt: minutesBeforeNow(25) }));
}

describe("GET /tenants", () => {
  it("lists every tenant for an operator, with its schedule and whether it is paused", async () => {
    const { call, state } = apiUnderTest();
    state.scheduleStates.set("globex-prod", "DISABLED");

    const { status, body } = await call("GET", "/tenants");

    expect(status).toBe(200);
    expect(body.tenants.map((t: { id: string }) => t.id)).toEqual(["acme-staging", "globex-prod"]);
    expect(body.tenants[1]).toMatchObject({
      schedule: { expression: "rate(1 hour)", state: "DISABLED" },
      paused: true,
    });
  });

  it("lists only its own tenant for a tenant token", async () => {
    const { call } = apiUnderTest();

    const { body } = await call("GET", "/tenants", "acme");

    expect(body.tenants.map((t: { id: string }) => t.id)).toEqual(["acme-staging"]);
  });
});

describe("GET /tenants/:id", () => {
  it("shows the tenant's configuration, its schedule and paused state", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/tenants/acme-staging");

    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: "acme-staging",
      environment: "staging",
      product: { type: "kong-rfid", endpoints: { skus: "/inventory/skus/" } },
      sync: { schedule: "rate(1 hour)" },
      schedule: { expression: "rate(1 hour)", state: "ENABLED" },
      paused: false,
    });
  });

  it("shows a null schedule state for a tenant whose schedule is not deployed", async () => {
    const { call, state } = apiUnderTest();
    state.scheduleStates.delete("acme-staging");

    const { body } = await call("GET", "/tenants/acme-staging");

    expect(body.schedule).toEqual({ expression: "rate(1 hour)", state: null });
  });

  it("answers 404 for an unknown tenant", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/tenants/no-such-tenant");

    expect(status).toBe(404);
    expect(body.error).toEqual({
      code: "not_found",
      message: "tenant no-such-tenant does not exist",
      details: { tenantId: "no-such-tenant" },
    });
  });

  it("answers 400 naming the id when it cannot be a tenant id", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/tenants/Not_A_Tenant");

    expect(status).toBe(400);
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toMatch(/^invalid path parameter id: must be a tenant id/);
    expect(body.error.details.issues).toEqual([
      { field: "id", problem: expect.stringContaining("Not_A_Tenant") },
    ]);
  });
});

describe("GET /tenants/:id/status", () => {
  it("is 200 healthy after a recent successful run, with the last run and the next run time", async () => {
    const { call, state } = apiUnderTest();
    const run = aRun({ startedAt: minutesBeforeNow(30), finishedAt: minutesBeforeNow(25) });
    state.runs.push(run);

    const { status, body } = await call("GET", "/tenants/acme-staging/status");

    expect(status).toBe(200);
    expect(body).toMatchObject({
      tenantId: "acme-staging",
      verdict: "healthy",
      lastRun: { runId: run.runId, status: "succeeded", counts: run.counts },
      activeRun: null,
      lastSuccessAt: run.finishedAt,
      nextRunAt: minutesBeforeNow(30 - 60),
    });
  });

  it("shows the running run with its live counts", async () => {
    const { call, state } = apiUnderTest();
    state.runs.push(aRun({ startedAt: minutesBeforeNow(30), finishedAt: minutesBeforeNow(25) }));
    state.runs.push(
      aRun({
        runId: "live",
        status: "running",
        startedAt: minutesBeforeNow(1),
        finishedAt: undefined,
        counts: {
          extracted: 40,
          created: 10,
          updated: 0,
          unchanged: 25,
          rejected: 1,
          failed: 0,
          deactivated: 0,
          reactivated: 0,
        },
      }),
    );

    const { body } = await call("GET", "/tenants/acme-staging/status");

    expect(body.activeRun).toMatchObject({ runId: "live", status: "running", finishedAt: null });
    expect(body.activeRun.counts.unchanged).toBe(25);
  });

  it("is 503 failing when the last run failed, so a plain uptime check alerts", async () => {
    const { call, state } = apiUnderTest();
    state.runs.push(
      aRun({ status: "failed", reason: "siesa answered 401", startedAt: minutesBeforeNow(10) }),
    );

    const { status, body } = await call("GET", "/tenants/acme-staging/status");

    expect(status).toBe(503);
    expect(body.verdict).toBe("failing");
    expect(body.reason).toContain("siesa answered 401");
  });

  it("judges each stream the tenant syncs by its own runs, and is 503 naming the stream that fails", async () => {
    // prepare: a tenant syncing stock every 15 minutes; the catalogue's last run succeeded, the stock's failed
    const { call, state } = apiUnderTest();
    syncsStockToo(state);
    state.runs.push(
      aRun({
        runId: "stock-failed",
        stream: "stock",
        status: "failed",
        reason: "3 units of Siesa work could not be read",
        startedAt: minutesBeforeNow(10),
        finishedAt: minutesBeforeNow(9),
      }),
    );

    // act
    const { status, body } = await call("GET", "/tenants/acme-staging/status");

    // assess: the catalogue's own fields are unchanged; the stock stream's say why the tenant is not healthy
    expect(status).toBe(503);
    expect(body).toMatchObject({
      verdict: "failing",
      reason: expect.stringMatching(/^stock: the last run stock-failed failed: 3 units/),
      lastRun: { runId: expect.not.stringMatching("stock-failed") },
      streams: {
        stock: {
          verdict: "failing",
          lastRun: { runId: "stock-failed" },
          schedule: { expression: STOCK.schedule },
        },
      },
    });
  });

  it("is 200 when every stream the tenant syncs is healthy", async () => {
    const { call, state } = apiUnderTest();
    syncsStockToo(state);
    state.runs.push(
      aRun({
        runId: "stock-ok",
        stream: "stock",
        startedAt: minutesBeforeNow(10),
        finishedAt: minutesBeforeNow(9),
      }),
    );

    const { status, body } = await call("GET", "/tenants/acme-staging/status");

    expect(status).toBe(200);
    expect(body.streams.stock).toMatchObject({ verdict: "healthy", lastRun: { runId: "stock-ok" } });
  });

  it("is 503 late when nothing completed for two schedule periods", async () => {
    const { call, state } = apiUnderTest();
    state.runs.push(aRun({ startedAt: minutesBeforeNow(200), finishedAt: minutesBeforeNow(195) }));

    const { status, body } = await call("GET", "/tenants/acme-staging/status");

    expect(status).toBe(503);
    expect(body.verdict).toBe("late");
  });

  it("is not late right after a resume: the schedule has had no time to fire since", async () => {
    const { call, state } = apiUnderTest();
    state.runs.push(
      aRun({ startedAt: minutesBeforeNow(3 * 24 * 60), finishedAt: minutesBeforeNow(3 * 24 * 60 - 5) }),
    );
    state.scheduleStates.set("acme-staging", "DISABLED");
    await call("POST", "/tenants/acme-staging/resume");

    const { status, body } = await call("GET", "/tenants/acme-staging/status");

    expect(status).toBe(200);
    expect(body.verdict).toBe("healthy");
  });

  it("is 503 paused when the schedule is disabled, with no next run", async () => {
    const { call, state } = apiUnderTest();
    state.runs.push(aRun({ startedAt: minutesBeforeNow(30), finishedAt: minutesBeforeNow(25) }));
    state.scheduleStates.set("acme-staging", "DISABLED");

    const { status, body } = await call("GET", "/tenants/acme-staging/status");

    expect(status).toBe(503);
    expect(body).toMatchObject({ verdict: "paused", nextRunAt: null });
  });

  it("lets a tenant token read its own status", async () => {
    const { call, state } = apiUnderTest();
    state.runs.push(aRun({ startedAt: minutesBeforeNow(30), finishedAt: minutesBeforeNow(25) }));

    expect((await call("GET", "/tenants/acme-staging/status", "acme")).status).toBe(200);
  });
});
