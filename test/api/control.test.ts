import { describe, expect, it } from "vitest";
import { apiUnderTest } from "./factories.js";

describe("POST /tenants/:id/pause and /resume", () => {
  it("pauses a tenant by disabling its schedule, and answers the new state", async () => {
    const { call, state } = apiUnderTest();

    const { status, body } = await call("POST", "/tenants/acme-staging/pause");

    expect(status).toBe(200);
    expect(body).toEqual({
      tenantId: "acme-staging",
      schedule: { expression: "rate(1 hour)", state: "DISABLED" },
      paused: true,
    });
    expect(state.scheduleStates.get("acme-staging")).toBe("DISABLED");
  });

  it("resumes a paused tenant", async () => {
    const { call, state } = apiUnderTest();
    state.scheduleStates.set("acme-staging", "DISABLED");

    const { status, body } = await call("POST", "/tenants/acme-staging/resume");

    expect(status).toBe(200);
    expect(body.paused).toBe(false);
    expect(state.scheduleStates.get("acme-staging")).toBe("ENABLED");
  });

  it("is idempotent: pausing a paused tenant answers 200 with the same state", async () => {
    const { call } = apiUnderTest();
    await call("POST", "/tenants/acme-staging/pause");

    const { status, body } = await call("POST", "/tenants/acme-staging/pause");

    expect(status).toBe(200);
    expect(body.schedule.state).toBe("DISABLED");
  });

  it("answers 409 when the tenant has no schedule deployed", async () => {
    const { call, state } = apiUnderTest();
    state.scheduleStates.delete("acme-staging");

    const { status, body } = await call("POST", "/tenants/acme-staging/pause");

    expect(status).toBe(409);
    expect(body.error.message).toBe("tenant acme-staging has no schedule to pause: it is not deployed here");
    expect(state.scheduleStates.has("acme-staging")).toBe(false);
  });

  it("answers 404 for an unknown tenant", async () => {
    const { call } = apiUnderTest();

    expect((await call("POST", "/tenants/no-such-tenant/resume")).status).toBe(404);
  });
});

describe("POST /tenants/:id/check", () => {
  it("answers 200 with each check, even when one fails: the report is the answer", async () => {
    const { call, state } = apiUnderTest();

    const { status, body } = await call("POST", "/tenants/acme-staging/check");

    expect(status).toBe(200);
    expect(body).toEqual({
      ok: false,
      checks: [
        { name: "secrets", ok: true },
        { name: "siesa", ok: true },
        { name: "product", ok: false, reason: "kong-rfid refused the credentials" },
      ],
    });
    expect(state.checked).toEqual(["acme-staging"]);
  });

  it("answers 404 for an unknown tenant without checking anything", async () => {
    const { call, state } = apiUnderTest();

    expect((await call("POST", "/tenants/no-such-tenant/check")).status).toBe(404);
    expect(state.checked).toEqual([]);
  });
});
