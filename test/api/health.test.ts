import { describe, expect, it } from "vitest";
import { apiUnderTest } from "./factories.js";

describe("GET /health", () => {
  it("needs no token and reports version and every check", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/health", "nobody");

    expect(status).toBe(200);
    expect(body).toEqual({
      status: "ok",
      version: "1.2.3",
      checks: { "runs-table": "ok", "sync-requests-queue": "ok" },
    });
  });

  it("answers 503 naming the table or queue that does not answer", async () => {
    const { call, state } = apiUnderTest();
    state.health["sync-requests-queue"] = "QueueDoesNotExist";

    const { status, body } = await call("GET", "/health", "nobody");

    expect(status).toBe(503);
    expect(body.checks["sync-requests-queue"]).toBe("QueueDoesNotExist");
  });

  it("answers 503 when the probe itself fails, naming only the error's kind", async () => {
    const { call, deps } = apiUnderTest();
    deps.health = async () => {
      throw new TypeError("fetch failed: http://10.0.0.7:4566");
    };

    const { status, body } = await call("GET", "/health", "nobody");

    expect(status).toBe(503);
    expect(body.checks).toEqual({ health: "the health probe failed: TypeError" });
  });
});
