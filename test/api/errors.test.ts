import { describe, expect, it } from "vitest";
import { apiUnderTest } from "./factories.js";

describe("API errors", () => {
  it("answers an unknown route 404 in the error shape", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/tenant");

    expect(status).toBe(404);
    expect(body).toEqual({
      error: {
        code: "not_found",
        message: "no route GET /tenant",
        details: { method: "GET", path: "/tenant" },
      },
    });
  });

  it("answers a wrong method on a known path 404 in the same shape", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("DELETE", "/tenants/acme-staging");

    expect(status).toBe(404);
    expect(body.error.code).toBe("not_found");
  });

  it("answers an unexpected failure 500 without its internals, and logs them", async () => {
    const { call, state, log } = apiUnderTest();
    state.explode = new Error("ECONNREFUSED 10.0.3.7:8000 table siesa-integration-prod-tenants");

    const { status, body } = await call("GET", "/tenants");

    expect(status).toBe(500);
    expect(body.error.code).toBe("internal_error");
    expect(JSON.stringify(body)).not.toContain("ECONNREFUSED");
    expect(log.lines.join("\n")).toContain("ECONNREFUSED");
  });
});
