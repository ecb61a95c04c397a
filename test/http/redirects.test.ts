import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import type { ProductClient } from "../../runtime/core/ports/product.js";
import { send } from "../../runtime/edges/http/policy.js";
import { KongClient } from "../../runtime/edges/http/products/kong-client.js";
import { WmsClient } from "../../runtime/edges/http/products/wms-client.js";
import { drain, stepWorld } from "../pipeline/step-world.js";
import { kongRecord, wmsRecord } from "../products/support.js";
import { recordingLog } from "../support/log.js";

// A product behind a load balancer that sends every call to its login page (a session expired at
// the balancer, a maintenance switch): the product never saw the write, so the record is `failed`
// and tried again, never `rejected` (and never counted as drift). No client follows a redirect: a
// POST or PATCH sent on to another address could land its body anywhere.

const LOGIN_PAGE = "https://sso.example.com/login?next=/inventory&ticket=secret-ticket";

/** Every request the server saw, as "METHOD /path". */
const seen: string[] = [];
let redirectStatus = 302;

let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    seen.push(`${request.method} ${path}`);
    request.resume();
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (path === "/auth/token/login/") return json(200, { auth_token: "t" });
    if (path === "/auth") return json(200, { token: "t" });
    if (path === "/moved-here") return json(200, { id: 1 });
    const location = path === "/same-host" ? `${base}/moved-here` : LOGIN_PAGE;
    response.writeHead(redirectStatus, { location });
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
  redirectStatus = 302;
});

const policy = defaultPolicy({ retryAttempts: 2, sleep: async () => {} });
const context = () => ({
  service: "kong-rfid" as const,
  operation: "create sku",
  tenantId: "acme",
  log: recordingLog(),
});
const options = (log = recordingLog()) => ({
  baseUrl: base,
  endpoints: {},
  credentials: { username: "u", password: "p" },
  policy,
  tenantId: "acme",
  log,
});

describe("send() does not follow a redirect", () => {
  it.each([301, 302, 303, 307, 308])(
    "a %i is a retryable failure naming the status and where it pointed",
    async (status) => {
      redirectStatus = status;

      const error = await send(
        `${base}/inventory/skus/`,
        { method: "POST", body: { a: 1 } },
        policy,
        context(),
      )
        .then(() => undefined)
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ExternalCallError);
      expect(error).toMatchObject({ service: "kong-rfid", status, retryable: true });
      expect((error as Error).message).toContain(
        `HTTP ${status} redirect to https://sso.example.com/login, not followed`,
      );
      // The query of a Location may carry a ticket or token: never in a reason or a log.
      expect((error as Error).message).not.toContain("secret-ticket");
    },
  );

  it("sends a POST once and never on to the Location, even on the same host", async () => {
    const error = await send(
      `${base}/same-host`,
      { method: "POST", body: { a: 1 } },
      policy,
      context(),
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ExternalCallError);
    expect(seen).toEqual(["POST /same-host"]);
  });
});

describe.each<[string, (log: ReturnType<typeof recordingLog>) => ProductClient, typeof kongRecord]>([
  ["Kong", (log) => new KongClient(options(log)), kongRecord],
  ["the WMS", (log) => new WmsClient(options(log)), wmsRecord],
])("%s answering a redirect", (_, client, record) => {
  it("fails a create with a retryable error instead of rejecting the record", async () => {
    const result = await client(recordingLog())
      .write(record("A-1"))
      .catch((e: unknown) => e);

    expect(result).toBeInstanceOf(ExternalCallError);
    expect(result).toMatchObject({ status: 302, retryable: true });
  });

  it("fails an update of a known id the same way", async () => {
    const result = await client(recordingLog())
      .write(record("A-1"), "17")
      .catch((e: unknown) => e);

    expect(result).toMatchObject({ status: 302, retryable: true });
  });

  it("fails a deactivation's patch the same way", async () => {
    const result = await client(recordingLog())
      .patch("17", record("A-1"))
      .catch((e: unknown) => e);

    expect(result).toMatchObject({ status: 302, retryable: true });
  });
});

describe("a run against a product that redirects every write", () => {
  it("counts each record failed with the redirect, none rejected, and does not call it drift", async () => {
    // Prepare: enough records that rejecting them all for one reason would be drift.
    const world = stepWorld({ items: 30, productClient: new KongClient(options()) });

    // Act: a whole run, every message delivered until its retries run out
    await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "manual" });
    await drain(world);

    // Assess
    const [run] = (await world.store.runs.list(world.tenant.id)).runs;
    expect(run?.counts).toMatchObject({ extracted: 30, failed: 30, rejected: 0, created: 0 });
    expect(run?.reason ?? "").not.toMatch(/^drift/);
    expect(run?.errors[0]?.reason).toMatch(/HTTP 302 redirect to https:\/\/sso\.example\.com\/login/);
  });
});
