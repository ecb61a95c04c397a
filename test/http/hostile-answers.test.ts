import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import { MAX_ANSWER_BYTES } from "../../runtime/edges/http/bounded-fetch.js";
import { send } from "../../runtime/edges/http/policy.js";
import { KongClient } from "../../runtime/edges/http/products/kong-client.js";
import { drain, stepWorld } from "../pipeline/step-world.js";
import { recordingLog } from "../support/log.js";

// A hostile or broken API must cost a record (or a unit) its outcome, never the process: every
// answer below used to crash it or fill its memory. Served by a plain node:http server, which can
// send what Hono would refuse to (a status of 999, a body that never ends).

type Answer = (response: http.ServerResponse) => void;

const json =
  (status: number, body: string, type = "application/json"): Answer =>
  (response) => {
    response.writeHead(status, { "content-type": type });
    response.end(body);
  };

const ANSWERS: Record<string, Answer> = {
  "/ok": json(200, '{"ok":true}'),
  "/status-999": json(999, '{"ok":true}'),
  "/status-600": json(600, '{"ok":true}'),
  "/invalid-json": json(200, '{"id": 7,'),
  "/html": json(200, "<html><body>Maintenance</body></html>", "text/html; charset=utf-8"),
  "/too-large": (response) => {
    // No Content-Length: the size shows only while reading.
    response.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(1024 * 1024, " ");
    let sent = 0;
    const more = () => {
      while (sent <= MAX_ANSWER_BYTES) {
        sent += chunk.length;
        if (!response.write(chunk)) return void response.once("drain", more);
      }
      response.end("{}");
    };
    response.on("error", () => {});
    more();
  },
  "/endless": (response) => {
    // A body that only stops when the client hangs up (or, if the client never does, far past the cap).
    response.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(1024 * 1024, " ");
    endlessSent = 0;
    const more = () => {
      while (!response.destroyed) {
        if (endlessSent > 5 * MAX_ANSWER_BYTES) return void response.destroy();
        endlessSent += chunk.length;
        if (!response.write(chunk)) return void response.once("drain", more);
      }
    };
    response.on("error", () => {});
    more();
  },
  "/declared-too-large": (response) => {
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": String(MAX_ANSWER_BYTES + 1),
    });
    response.write("{");
  },
  "/hung-body": (response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.write('{"id":');
  },
  "/no-answer": () => {},
};

/** Bytes the endless answer sent before the client hung up. */
let endlessSent = 0;
let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((request, response) => {
    const answer = ANSWERS[new URL(request.url ?? "/", "http://x").pathname];
    if (answer) answer(response);
    else json(404, "{}")(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const policy = defaultPolicy({ timeoutMs: 300, retryAttempts: 1, sleep: async () => {} });
const context = (log = recordingLog()) => ({
  service: "kong-rfid" as const,
  operation: "get sku",
  tenantId: "acme",
  log,
});

describe("send() turns a hostile answer into an ExternalCallError naming the API and operation", () => {
  it.each([
    ["/status-999", "invalid-answer", /status 999 is outside 200-599/],
    ["/status-600", "invalid-answer", /status 600 is outside 200-599/],
    ["/too-large", "invalid-answer", /larger than 10485760 bytes/],
    ["/declared-too-large", "invalid-answer", /larger than 10485760 bytes/],
    ["/invalid-json", "invalid-answer", /invalid JSON/],
    ["/html", "invalid-answer", /answered text\/html, not JSON/],
    ["/hung-body", "timeout", /no answer from \S+ within 300 ms/],
    ["/no-answer", "timeout", /no answer from \S+ within 300 ms/],
  ])("%s → %s", async (path, status, message) => {
    const log = recordingLog();

    const attempt = send(`${base}${path}`, {}, policy, context(log));

    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalCallError);
    expect(error).toMatchObject({ service: "kong-rfid", operation: "get sku", status, retryable: true });
    expect((error as Error).message).toMatch(/^kong-rfid get sku failed/);
    expect((error as Error).message).toMatch(message);
    expect(log.entries.at(-1)).toMatchObject({
      level: "warn",
      data: [expect.objectContaining({ api: "kong-rfid", action: "giving up" })],
    });
  });

  it("stops reading a body that never ends once it passes the cap", async () => {
    const patient = { ...policy, timeoutMs: 10_000 };

    const error = await send(`${base}/endless`, {}, patient, context()).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: "invalid-answer", message: expect.stringMatching(/larger than/) });
    // What the socket buffers held besides the cap, never the rest of the answer.
    expect(endlessSent).toBeLessThan(3 * MAX_ANSWER_BYTES);
  });

  it("keeps serving after each of them", async () => {
    for (const path of ["/status-999", "/too-large", "/invalid-json"]) {
      await send(`${base}${path}`, {}, policy, context()).catch(() => undefined);
    }

    const response = await send(`${base}/ok`, {}, policy, context());

    expect(response._data).toEqual({ ok: true });
  });

  it("keeps the text of an error answer that is not JSON, for the caller's message", async () => {
    ANSWERS["/bad-gateway-page"] = json(404, "<html>Not Found</html>", "text/html");

    const response = await send(`${base}/bad-gateway-page`, {}, policy, context());

    expect(response.status).toBe(404);
    expect(response._data).toBe("<html>Not Found</html>");
  });
});

describe("a run against a product that answers 999", () => {
  it("counts each record failed with the API's error, and the run ends", async () => {
    // Prepare: logins succeed, every SKU create answers 999.
    ANSWERS["/auth/token/login/"] = json(200, '{"auth_token":"t"}');
    ANSWERS["/inventory/skus/"] = json(999, "{}");
    const product = new KongClient({
      baseUrl: base,
      endpoints: {},
      credentials: { username: "u", password: "p" },
      policy,
      tenantId: "acme",
      log: recordingLog(),
    });
    const world = stepWorld({ items: 3, productClient: product });

    // Act: a whole run, every message delivered until its retries run out
    await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "manual" });
    await drain(world);

    // Assess
    const [run] = (await world.store.runs.list(world.tenant.id)).runs;
    expect(run).toMatchObject({ status: "failed", counts: { extracted: 3, failed: 3, created: 0 } });
    expect(run?.errors[0]?.reason).toMatch(/kong-rfid .* failed \(invalid-answer\): HTTP status 999/);
  });
});
