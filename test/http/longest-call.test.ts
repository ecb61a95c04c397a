import { describe, expect, it } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { defaultPolicy, longestCallMs } from "../../runtime/core/ports/call-policy.js";
import { send } from "../../runtime/edges/http/policy.js";
import { recordingLog } from "../siesa/helpers.js";
import { scriptedApi } from "./scripted-api.js";

// longestCallMs bounds one send() (the verify worker asks for a page only when that bound fits): every
// kind of retry the policy allows, each attempt at most its timeout, each wait at most maxDelayMs.

describe("longestCallMs", () => {
  it("covers the worst send the policy allows: every 429, 5xx and timeout retry, each wait capped", async () => {
    const waits: number[] = [];
    const policy = defaultPolicy({
      retryAttempts: 2,
      rateLimitRetries: 2,
      // Long enough that only the silent answer times out, on a busy machine too.
      timeoutMs: 2_000,
      maxDelayMs: 40,
      baseDelayMs: 1_000,
      random: () => 1,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    // Throttled (asking for an hour), then silent, then failing: each kind of retry used up.
    const api = await scriptedApi(
      { status: 429, headers: { "Retry-After": "3600" } },
      { status: 429, headers: { "Retry-After": "3600" } },
      { status: 200, hangMs: 4_000 },
      { status: 503 },
    );

    await expect(
      send(api.url, { method: "GET" }, policy, {
        service: "kong-rfid",
        operation: "list skus",
        tenantId: "acme",
        log: recordingLog(),
      }),
    ).rejects.toBeInstanceOf(ExternalCallError);

    const attempts = api.requests();
    expect(attempts).toBe(1 + 2 + 1 + 2);
    expect(waits).toHaveLength(attempts - 1);
    expect(Math.max(...waits)).toBeLessThanOrEqual(policy.maxDelayMs);
    expect(longestCallMs(policy)).toBe(attempts * policy.timeoutMs + waits.length * policy.maxDelayMs);
  });
});
