import { Hono } from "hono";
import { describe, expect, it, onTestFinished } from "vitest";
import { ExternalCallError } from "../../runtime/http/errors.js";
import { defaultPolicy, longestCallMs, send } from "../../runtime/http/policy.js";
import { listen } from "../../sandbox/serve.js";
import { recordingLog } from "../siesa/helpers.js";

// longestCallMs bounds one send() (the verify worker asks for a page only when that bound fits): every
// kind of retry the policy allows, each attempt at most its timeout, each wait at most maxDelayMs.

type Scripted = { status: number; hangMs?: number; retryAfter?: string };

/** An API answering each request with the next scripted answer (the last one repeats). */
async function scriptedApi(script: Scripted[]) {
  let requests = 0;
  const app = new Hono();
  app.all("*", async (c) => {
    const answer = script[Math.min(requests, script.length - 1)] as Scripted;
    requests++;
    if (answer.hangMs) await new Promise((resolve) => setTimeout(resolve, answer.hangMs));
    if (answer.retryAfter) c.header("Retry-After", answer.retryAfter);
    return c.json({ detail: "scripted" }, answer.status as 200);
  });
  const server = await listen(app);
  onTestFinished(() => server.close());
  return { url: `${server.url}/thing`, requests: () => requests };
}

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
    const api = await scriptedApi([
      { status: 429, retryAfter: "3600" },
      { status: 429, retryAfter: "3600" },
      { status: 200, hangMs: 4_000 },
      { status: 503 },
    ]);

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
