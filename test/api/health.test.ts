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
});
