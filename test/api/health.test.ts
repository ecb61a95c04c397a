import { describe, expect, it } from "vitest";
import { HEALTH_CACHE_MS } from "../../runtime/api/routes/health.js";
import { apiUnderTest, NOW } from "./factories.js";

describe("GET /health, anonymous", () => {
  it("answers only the status: no names, version or errors", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/health", "nobody");

    expect(status).toBe(200);
    expect(body).toEqual({ status: "ok" });
  });

  it("answers 503 degraded, without saying what failed", async () => {
    const { call, state } = apiUnderTest();
    state.health["sync-requests-queue"] = "failed (AccessDeniedException)";

    const { status, body } = await call("GET", "/health", "nobody");

    expect(status).toBe(503);
    expect(body).toEqual({ status: "degraded" });
  });

  it("answers the same with a token: the details have their own route", async () => {
    const { call } = apiUnderTest();

    const { body } = await call("GET", "/health", "operator");

    expect(body).toEqual({ status: "ok" });
  });

  it("probes the tables and queues at most once every ten seconds, however many ask", async () => {
    const { call, deps } = apiUnderTest();
    let probes = 0;
    const probe = deps.health;
    deps.health = async () => {
      probes++;
      return probe();
    };

    await Promise.all(Array.from({ length: 20 }, () => call("GET", "/health", "nobody")));
    await call("GET", "/health/details", "operator");
    const cachedProbes = probes;
    deps.now = () => new Date(NOW.getTime() + HEALTH_CACHE_MS);
    await call("GET", "/health", "nobody");

    expect(cachedProbes).toBe(1);
    expect(probes).toBe(2);
  });
});

describe("GET /health/details", () => {
  it("needs a token", async () => {
    const { call } = apiUnderTest();

    const { status } = await call("GET", "/health/details", "nobody");

    expect(status).toBe(401);
  });

  it("is for operators only", async () => {
    const { call } = apiUnderTest();

    const { status } = await call("GET", "/health/details", "acme");

    expect(status).toBe(403);
  });

  it("reports version and every check to an operator", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/health/details", "operator");

    expect(status).toBe(200);
    expect(body).toEqual({
      status: "ok",
      version: "1.2.3",
      checks: { "runs-table": "ok", "sync-requests-queue": "ok" },
    });
  });

  it("answers 503 naming the table or queue that does not answer", async () => {
    const { call, state } = apiUnderTest();
    state.health["sync-requests-queue"] = "not found (QueueDoesNotExist)";

    const { status, body } = await call("GET", "/health/details", "operator");

    expect(status).toBe(503);
    expect(body.checks["sync-requests-queue"]).toBe("not found (QueueDoesNotExist)");
  });

  it("answers 503 when the probe itself fails, naming only the error's kind", async () => {
    const { call, deps } = apiUnderTest();
    deps.health = async () => {
      throw new TypeError("fetch failed: http://10.0.0.7:4566");
    };

    const { status, body } = await call("GET", "/health/details", "operator");

    expect(status).toBe(503);
    expect(body.checks).toEqual({ health: "the health probe failed: TypeError" });
  });
});
