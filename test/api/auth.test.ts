import { describe, expect, it } from "vitest";
import { apiUnderTest } from "./factories.js";

describe("API authentication", () => {
  it("answers 401 without an Authorization header, and says how to send one", async () => {
    const { call } = apiUnderTest();

    const { status, body, headers } = await call("GET", "/tenants", "nobody");

    expect(status).toBe(401);
    expect(body.error).toMatchObject({ code: "unauthorized", message: expect.stringContaining("Bearer") });
    expect(headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("answers 401 to a token it does not know", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/tenants", "nobody", { authorization: "Bearer guessed" });

    expect(status).toBe(401);
    expect(body.error.message).toBe("unknown or revoked token");
  });

  it("answers 401 to an Authorization header that is not a bearer token", async () => {
    const { call } = apiUnderTest();

    const { status } = await call("GET", "/tenants", "nobody", { authorization: "Basic dXNlcjpwYXNz" });

    expect(status).toBe(401);
  });

  it("asks for a token before saying whether a route exists", async () => {
    const { call } = apiUnderTest();

    expect((await call("GET", "/no-such-route", "nobody")).status).toBe(401);
    expect((await call("GET", "/no-such-route", "operator")).status).toBe(404);
  });
});

describe("API authorization: tenant tokens are read-only and see their own tenant only", () => {
  it("lets a tenant token read its own tenant", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/tenants/acme-staging", "acme");

    expect(status).toBe(200);
    expect(body.id).toBe("acme-staging");
  });

  it.each(["/tenants/globex-prod", "/tenants/globex-prod/status", "/tenants/globex-prod/runs"])(
    "refuses a tenant token on another tenant's %s with 403",
    async (path) => {
      const { call } = apiUnderTest();

      const { status, body } = await call("GET", path, "acme");

      expect(status).toBe(403);
      expect(body.error).toMatchObject({ code: "forbidden", details: { tenantId: "globex-prod" } });
    },
  );

  it("answers 403, not 404, for a tenant that does not exist, so a tenant token cannot list tenants", async () => {
    const { call } = apiUnderTest();

    expect((await call("GET", "/tenants/no-such-tenant", "acme")).status).toBe(403);
  });

  it.each(["runs", "pause", "resume", "check", "probe", "verify"])(
    "refuses POST /tenants/:id/%s with a tenant token, even on its own tenant",
    async (action) => {
      const { call, state } = apiUnderTest();

      const { status, body } = await call("POST", `/tenants/acme-staging/${action}`, "acme");

      expect(status).toBe(403);
      expect(body.error.message).toMatch(/only an operator token/);
      expect(state.started).toEqual([]);
      expect(state.checked).toEqual([]);
      expect(state.probed).toEqual([]);
      expect(state.verified).toEqual([]);
      expect(state.scheduleStates.get("acme-staging")).toBe("ENABLED");
    },
  );
});
