import type { HttpBindings } from "@hono/node-server";
import { Hono } from "hono";
import { describe, expect, it, onTestFinished } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { type CallPolicy, defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import { withDeadline } from "../../runtime/core/ports/deadline.js";
import { retryAfterMs, send } from "../../runtime/edges/http/policy.js";
import { listen } from "../../sandbox/serve.js";
import { recordingLog } from "../siesa/helpers.js";
import { scriptedApi } from "./scripted-api.js";

/** A policy that never really waits and whose jitter is fixed (random() = 0.5). */
function testPolicy(overrides: Partial<CallPolicy> = {}) {
  const waits: number[] = [];
  const policy = defaultPolicy({
    baseDelayMs: 1_000,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...overrides,
  });
  return { policy, waits };
}

const context = (log = recordingLog()) => ({
  service: "kong-rfid" as const,
  operation: "get thing",
  tenantId: "acme",
  log,
});

describe("send() under the call policy", () => {
  it("returns a 2xx at once", async () => {
    const api = await scriptedApi({ status: 200, body: { id: 7 } });
    const { policy, waits } = testPolicy();

    const response = await send<{ id: number }>(api.url, {}, policy, context());

    expect(response.status).toBe(200);
    expect(response._data).toEqual({ id: 7 });
    expect(waits).toEqual([]);
  });

  it("returns a 4xx to the caller without retrying (the caller decides whether it is an error)", async () => {
    const api = await scriptedApi({ status: 400, body: { name: ["This field is required."] } });
    const { policy, waits } = testPolicy();
    const log = recordingLog();

    const response = await send(api.url, { method: "POST", body: {} }, policy, context(log));

    expect(response.status).toBe(400);
    expect(api.requests()).toBe(1);
    expect(waits).toEqual([]);
    expect(log.entries.filter((e) => e.level === "warn")).toEqual([]);
    expect(log.entries[0]?.data[0]).toMatchObject({ api: "kong-rfid", status: 400, tenantId: "acme" });
  });

  it("honours Retry-After in seconds on a 429", async () => {
    const api = await scriptedApi({ status: 429, headers: { "Retry-After": "2" } }, { status: 200 });
    const { policy, waits } = testPolicy();

    const response = await send(api.url, {}, policy, context());

    expect(response.status).toBe(200);
    expect(waits).toEqual([2_000]);
  });

  it("honours Retry-After as an HTTP date", async () => {
    const when = new Date(Date.now() + 30_000).toUTCString();
    const api = await scriptedApi({ status: 429, headers: { "Retry-After": when } }, { status: 200 });
    const { policy, waits } = testPolicy();

    await send(api.url, {}, policy, context());

    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(25_000);
    expect(waits[0]).toBeLessThanOrEqual(30_000);
  });

  it("backs off without Retry-After, caps a long Retry-After, and gives up after rateLimitRetries", async () => {
    const api = await scriptedApi(
      { status: 429 },
      { status: 429, headers: { "Retry-After": "3600" } },
      { status: 429, body: { detail: "Request was throttled." } },
    );
    const { policy, waits } = testPolicy({ rateLimitRetries: 2, maxDelayMs: 10_000 });

    const failure = await send(api.url, {}, policy, context()).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ExternalCallError);
    expect(failure).toMatchObject({ status: 429, retryable: true });
    expect((failure as ExternalCallError).apiMessage).toContain("throttled");
    expect(waits).toEqual([750, 10_000]);
    expect(api.requests()).toBe(3);
  });

  it("inside an invocation with a deadline, waits a Retry-After that fits and hands back one that does not", async () => {
    // 60 s left: a 20 s wait plus a 30 s call fits; a 120 s wait does not.
    const api = await scriptedApi(
      { status: 429, headers: { "Retry-After": "20" } },
      { status: 429, headers: { "Retry-After": "120" }, body: { detail: "Request was throttled." } },
    );
    const { policy, waits } = testPolicy({ timeoutMs: 30_000 });

    const failure = await withDeadline(Date.now() + 60_000, () => send(api.url, {}, policy, context())).catch(
      (error: unknown) => error,
    );

    expect(waits).toEqual([20_000]);
    expect(failure).toBeInstanceOf(ExternalCallError);
    // It names the host that asked, for the record's reason should the wait outlast the run.
    expect(failure).toMatchObject({
      status: 429,
      retryable: true,
      retryAfterMs: 120_000,
      host: new URL(api.url).host,
    });
    expect(api.requests()).toBe(2);
  });

  it("retries a 5xx with exponential backoff and jitter, then succeeds", async () => {
    const api = await scriptedApi({ status: 503 }, { status: 502 }, { status: 200 });
    const { policy, waits } = testPolicy();

    const response = await send(api.url, {}, policy, context());

    expect(response.status).toBe(200);
    // Equal jitter at random() = 0.5: three quarters of 1 s, then of 2 s.
    expect(waits).toEqual([750, 1_500]);
  });

  it("waits a 503's Retry-After (a maintenance window) instead of backing off, and names it when it gives up", async () => {
    // prepare: Siesa or a product down for maintenance, saying when to come back
    const api = await scriptedApi(
      { status: 503, headers: { "Retry-After": "5" } },
      { status: 503, headers: { "Retry-After": "900" }, body: { detail: "maintenance" } },
    );
    const { policy, waits } = testPolicy({ retryAttempts: 1, maxDelayMs: 10_000 });

    // act
    const failure = await send(api.url, {}, policy, context()).catch((error: unknown) => error);

    // assess: the asked wait, not the backoff's 750 ms; once given up, the wait it asked comes back
    expect(waits).toEqual([5_000]);
    expect(failure).toMatchObject({ status: 503, retryable: true, retryAfterMs: 900_000 });
  });

  it("keeps the backoff within half to all of each step whatever the jitter draws", async () => {
    const api = await scriptedApi({ status: 500 });
    const { policy, waits } = testPolicy({ random: Math.random });

    await send(api.url, {}, policy, context()).catch(() => undefined);

    [1_000, 2_000, 4_000].forEach((step, i) => {
      expect(waits[i]).toBeGreaterThanOrEqual(step / 2);
      expect(waits[i]).toBeLessThanOrEqual(step);
    });
  });

  it("gives up on a 5xx after retryAttempts retries with a retryable ExternalCallError", async () => {
    const api = await scriptedApi({ status: 500, body: { detail: "boom" } });
    const { policy, waits } = testPolicy({ retryAttempts: 3 });
    const log = recordingLog();

    const failure = await send(api.url, {}, policy, context(log)).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ExternalCallError);
    expect(failure).toMatchObject({
      service: "kong-rfid",
      operation: "get thing",
      status: 500,
      retryable: true,
    });
    expect(api.requests()).toBe(4);
    expect(waits).toHaveLength(3);
    expect(log.entries.at(-1)?.data[0]).toMatchObject({
      api: "kong-rfid",
      operation: "get thing",
      tenantId: "acme",
      action: "giving up",
      status: 500,
    });
  });

  it("retries a timeout exactly once", async () => {
    const api = await scriptedApi({ status: 200, hangMs: 1_000 });
    const { policy } = testPolicy({ timeoutMs: 50 });

    const failure = await send(api.url, {}, policy, context()).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: "ExternalCallError", status: "timeout", retryable: true });
    expect(String(failure)).toContain(
      `kong-rfid get thing failed (timeout): no answer from ${new URL(api.url).host} within 50 ms`,
    );
    expect(api.requests()).toBe(2);
  });

  it("inside an invocation with a deadline, sends no retry that could outlast it: the error comes back instead", async () => {
    // prepare: an API that does not answer; 300 ms left, each attempt may take 200 ms
    const api = await scriptedApi({ status: 200, hangMs: 2_000 });
    const { policy } = testPolicy({ timeoutMs: 200, baseDelayMs: 1 });

    // act
    const failure = await withDeadline(Date.now() + 300, () => send(api.url, {}, policy, context())).catch(
      (error: unknown) => error,
    );

    // assess: the worker fails the message itself, rather than be stopped in the middle of a retry
    expect(failure).toMatchObject({ name: "ExternalCallError", status: "timeout", retryable: true });
    expect(api.requests()).toBe(1);
  });

  it("succeeds when the retry after a timeout answers", async () => {
    const api = await scriptedApi({ status: 200, hangMs: 1_000 }, { status: 200, body: { late: false } });
    const { policy } = testPolicy({ timeoutMs: 50 });

    const response = await send(api.url, {}, policy, context());

    expect(response._data).toEqual({ late: false });
  });

  it("retries a network error with delay, up to retryAttempts", async () => {
    const app = new Hono();
    const server = await listen(app);
    await server.close();
    const { policy, waits } = testPolicy({ retryAttempts: 2 });

    const failure = await send(`${server.url}/gone`, {}, policy, context()).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: "ExternalCallError", status: "network", retryable: true });
    expect(String(failure)).toContain(
      `kong-rfid get thing failed (network): could not connect to ${new URL(server.url).host}`,
    );
    expect(waits).toEqual([750, 1_500]);
  });

  it("sends a `once` request again only when it never left: a refused connection, not one dropped after sending", async () => {
    // prepare: an address nobody listens on, and a server that drops every connection once it has the request
    const closed = await listen(new Hono());
    await closed.close();
    let received = 0;
    const dropping = new Hono();
    dropping.post("*", async (c) => {
      await c.req.text();
      received++;
      (c.env as HttpBindings).incoming.socket.destroy();
      return c.body(null);
    });
    const server = await listen(dropping);
    onTestFinished(() => server.close());
    const { policy, waits } = testPolicy({ retryAttempts: 2 });
    const post = { method: "POST" as const, body: { name: "A" }, once: true };

    // act
    const refused = await send(`${closed.url}/products`, post, policy, context()).catch((e: unknown) => e);
    const dropped = await send(`${server.url}/products`, post, policy, context()).catch((e: unknown) => e);

    // assess
    expect(refused).toMatchObject({ status: "network", retryable: true });
    expect(waits).toHaveLength(2);
    expect(dropped).toMatchObject({ status: "network", retryable: true });
    expect(String(dropped)).toContain(
      `lost the connection to ${new URL(server.url).host} before a whole answer`,
    );
    expect(received).toBe(1);
  });

  it("warns when a rate-limit header says less than 20 % remains", async () => {
    const api = await scriptedApi({
      status: 200,
      headers: { "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "19" },
    });
    const log = recordingLog();

    await send(api.url, {}, testPolicy().policy, context(log));

    expect(log.entries).toHaveLength(1);
    expect(log.entries[0]).toMatchObject({ level: "warn", message: "rate limit nearly used" });
    expect(log.entries[0]?.data[0]).toMatchObject({ limit: 100, remaining: 19, tenantId: "acme" });
  });

  it("never logs the request's credentials", async () => {
    const api = await scriptedApi({ status: 500 }, { status: 401, body: { detail: "Invalid token." } });
    const log = recordingLog();
    const headers = { Authorization: "Token 0123456789abcdef0123456789abcdef01234567" };

    await send(api.url, { headers }, testPolicy().policy, context(log));

    expect(log.entries.length).toBeGreaterThan(0);
    expect(JSON.stringify(log.entries)).not.toContain("0123456789abcdef");
  });
});

describe("send() speaks HTTP as fetch does", () => {
  async function echoApi() {
    const app = new Hono()
      .post("/echo", async (c) =>
        c.json({ body: await c.req.json(), auth: c.req.header("authorization") }, 201, {
          "x-request-id": "r-7",
        }),
      )
      .delete("/gone", (c) => c.body(null, 204))
      .get("/bom", (c) =>
        c.body(Buffer.from('\uFEFF{"ok":true}', "utf8"), 200, { "content-type": "application/json" }),
      );
    const server = await listen(app);
    onTestFinished(() => server.close());
    return server.url;
  }

  it("sends method, headers and a JSON body, and reads status, headers and body back", async () => {
    const url = await echoApi();
    const request = {
      method: "POST",
      headers: { authorization: "Token abc" },
      body: { external_id: "REF-1" },
    };

    const response = await send(`${url}/echo`, request, testPolicy().policy, context());

    expect(response.status).toBe(201);
    expect(response.headers.get("x-request-id")).toBe("r-7");
    expect(response._data).toEqual({ body: { external_id: "REF-1" }, auth: "Token abc" });
  });

  it("drops a leading byte order mark before parsing", async () => {
    const url = await echoApi();

    const response = await send(`${url}/bom`, {}, testPolicy().policy, context());

    expect(response._data).toEqual({ ok: true });
  });

  it("gives no body for a 204", async () => {
    const url = await echoApi();

    const response = await send(`${url}/gone`, { method: "DELETE" }, testPolicy().policy, context());

    expect(response.status).toBe(204);
    expect(response._data).toBeUndefined();
  });
});

describe("retryAfterMs", () => {
  it.each([
    ["5", 5_000],
    ["0", 0],
    ["Thu, 01 Jan 2026 00:00:10 GMT", 10_000],
    ["Thu, 01 Jan 2026 00:00:00 GMT", 0],
    ["soon", undefined],
    [null, undefined],
  ])("reads %s as %s ms", (header, expected) => {
    expect(retryAfterMs(header, Date.parse("Thu, 01 Jan 2026 00:00:00 GMT"))).toBe(expected);
  });
});
