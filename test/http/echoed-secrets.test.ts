import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { ProductClientOptions } from "../../runtime/core/ports/product.js";
import { KongClient, WmsClient } from "../../runtime/edges/http/products/index.js";
import { withoutSecrets } from "../../runtime/edges/http/secret-text.js";
import { SiesaConnection } from "../../runtime/edges/http/siesa/index.js";
import { drain, stepWorld } from "../pipeline/step-world.js";
import { clientOptions, kongRecord, recordingLog, recordingPolicy, serve } from "../products/support.js";

// Some servers and proxies quote the request back in their error answers: its headers, its body.
// Those words become log lines, error messages and a record's reason (stored, shown, exported), so
// every credential the request carried must be gone from them. Each fake secret starts with SECRET-.

const USERNAME = "SECRET-USERNAME";
const PASSWORD = 'SECRET-PASSWORD-"123"';
const TOKEN = "SECRET-AUTH-TOKEN-0123456789abcdef";
const CONNI_KEY = "SECRET-CONNI-KEY-123";
const CONNI_TOKEN = "eyJhbGciOiJIUzI1NiJ9.SECRET-CONNI-TOKEN-123.c2lnbmF0dXJl";

type Echo = "json" | "text";

/** What the request carried, as a server would quote it: its headers and its body as sent. */
async function quoted(c: {
  req: { raw: Request };
}): Promise<{ headers: Record<string, string>; body: string }> {
  return { headers: Object.fromEntries(c.req.raw.headers), body: await c.req.raw.text() };
}

/**
 * A product API (Kong's or the WMS's login paths both start /auth) that logs in, answering TOKEN,
 * unless told to refuse the login, and answers every other call with `status`; each refusal quotes
 * the request back, as DRF-style JSON or as plain text.
 */
async function echoingProduct(options: { login?: number; calls?: number; echo?: Echo }): Promise<string> {
  const app = new Hono();
  app.all("*", async (c) => {
    const isLogin = c.req.method === "POST" && /\/auth/.test(c.req.path);
    const status = isLogin ? options.login : options.calls;
    if (status === undefined) return c.json(isLogin ? { auth_token: TOKEN, token: TOKEN } : {}, 200);
    const request = await quoted(c);
    if (options.echo === "text") {
      return c.text(`refused ${JSON.stringify(request.headers)} ${request.body}`, status as 400);
    }
    return c.json({ non_field_errors: ["Request refused."], request }, status as 400);
  });
  return serve(app);
}

/** Everything a failure leaves behind: the error as thrown and serialised, its stack, and the log. */
function toldBy(failure: unknown, log: { lines: string[] }): string {
  const error = failure as Error;
  return [String(error), error.stack, JSON.stringify(failure), ...log.lines].join("\n");
}

function productClient(
  Client: typeof KongClient | typeof WmsClient,
  url: string,
): { client: KongClient | WmsClient; log: ReturnType<typeof recordingLog> } {
  const log = recordingLog();
  const options: ProductClientOptions = clientOptions(
    url,
    { username: USERNAME, password: PASSWORD },
    { log },
  );
  return { client: new Client(options), log };
}

describe("a product that quotes the request back in its error answers", () => {
  it.each([
    ["kong-rfid", "json", KongClient],
    ["wms", "text", WmsClient],
  ] as const)(
    "%s: a login refused with a 400 quoting it as %s keeps the product's words, never the password",
    async (_, echo, Client) => {
      const url = await echoingProduct({ login: 400, echo });
      const { client, log } = productClient(Client, url);

      const failure = await client.login().catch((error: unknown) => error);

      expect((failure as Error).message).toContain("refused the credentials of tenant acme-test");
      expect(toldBy(failure, log)).not.toContain("SECRET-");
    },
  );

  it("a login that keeps failing with a 500 quoting the raw body: neither the error nor the log holds the password", async () => {
    const url = await echoingProduct({ login: 500, echo: "text" });
    const { client, log } = productClient(KongClient, url);

    const failure = await client.login().catch((error: unknown) => error);

    expect((failure as Error).message).toMatch(/kong-rfid login failed \(500 from [^)]+\): refused/);
    expect(log.lines.length).toBeGreaterThan(1);
    expect(toldBy(failure, log)).not.toContain("SECRET-");
  });

  it("a record refused with a 400 quoting the Authorization header: its reason holds the product's words, never the token", async () => {
    const url = await echoingProduct({ calls: 400 });
    const { client, log } = productClient(KongClient, url);

    const result = await client.write(kongRecord("A-1"));

    expect(result.outcome).toBe("rejected");
    const reason = JSON.stringify(result);
    expect(reason).toContain("Request refused.");
    expect(`${reason}\n${log.lines.join("\n")}`).not.toContain("SECRET-");
  });

  it("a token refused twice by a 401 quoting it: the ProductAuthError does not hold the token", async () => {
    const url = await echoingProduct({ calls: 401, echo: "text" });
    const { client, log } = productClient(KongClient, url);

    const failure = await client.write(kongRecord("A-1")).catch((error: unknown) => error);

    expect((failure as Error).message).toContain("a fresh token was refused");
    expect(toldBy(failure, log)).not.toContain("SECRET-");
  });

  it("a create answered 200 by an echo of the request, without an id (a base URL that points at the wrong service): the error holds no token", async () => {
    const url = await echoingProduct({ calls: 200 });
    const { client, log } = productClient(KongClient, url);

    const failure = await client.write(kongRecord("A-1")).catch((error: unknown) => error);

    expect((failure as Error).message).toMatch(/create sku failed \(200\): answered without an id/);
    expect(toldBy(failure, log)).not.toContain("SECRET-");
  });

  it("a write that keeps failing with a 500 quoting the headers as text: the error and the log hold no token", async () => {
    const url = await echoingProduct({ calls: 500, echo: "text" });
    const { client, log } = productClient(KongClient, url);

    const failure = await client.write(kongRecord("A-1")).catch((error: unknown) => error);

    expect((failure as Error).message).toMatch(/create sku failed \(500 from [^)]+\)/);
    expect(toldBy(failure, log)).not.toContain("SECRET-");
  });
});

describe("a run against a product that rejects every record quoting the token", () => {
  it("keeps the product's words as each record's exception and the run's errors, never the token", async () => {
    // Prepare: logins succeed, every create is refused with a 400 quoting the request.
    const url = await echoingProduct({ calls: 400 });
    const world = stepWorld({ items: 5, productClient: productClient(KongClient, url).client });

    // Act: a whole run
    await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "manual" });
    await drain(world);

    // Assess: what the runs table keeps (shown in the console and the API, exported as CSV)
    const [run] = (await world.store.runs.list(world.tenant.id)).runs;
    const { exceptions } = await world.store.runs.exceptions(world.tenant.id, String(run?.runId));
    expect(run?.counts).toMatchObject({ extracted: 5, rejected: 5 });
    expect(exceptions).toHaveLength(5);
    expect(exceptions[0]?.reason).toContain("Request refused.");
    expect(JSON.stringify([run, exceptions])).not.toContain("SECRET-");
  });
});

/** A Siesa that answers every query with `status` and `body(quoted request)`. */
async function echoingSiesa(status: number, body: (request: string) => unknown) {
  const app = new Hono();
  app.all("*", async (c) => c.json(body(JSON.stringify(await quoted(c))) as object, status as 400));
  const url = await serve(app);
  const log = recordingLog();
  const siesa = new SiesaConnection({
    baseUrl: `${url}/api/siesa/v3/`,
    companyId: 1,
    erpCompany: 1,
    credentials: { conniKey: CONNI_KEY, conniToken: CONNI_TOKEN },
    policy: recordingPolicy(),
    tenantId: "acme-test",
    log,
  });
  return { siesa, log };
}

describe("a Siesa that quotes the ConniKey and ConniToken back", () => {
  it.each([
    [
      "a 500, until retries run out",
      500,
      (request: string) => ({ Message: `An error has occurred ${request}` }),
    ],
    ["a 400", 400, (request: string) => ({ codigo: 2, mensaje: "Solicitud inválida", detalle: request })],
    [
      "a 200 with codigo 2",
      200,
      (request: string) => ({ codigo: 2, mensaje: "Token inválido", detalle: request }),
    ],
  ])("%s: neither the error nor the log holds them", async (_, status, body) => {
    const { siesa, log } = await echoingSiesa(status, body);

    const failure = await siesa.ping().catch((error: unknown) => error);

    expect((failure as Error).message).toMatch(/siesa ejecutarconsultaestandar API_v2_Items failed/);
    expect(toldBy(failure, log)).not.toContain("SECRET-");
  });
});

describe("withoutSecrets", () => {
  it("masks a secret as sent, JSON-escaped and URL-encoded, in keys and values at any depth", () => {
    const secret = 'p@ss "word"/1';
    const body = {
      detail: `bad login ${secret}`,
      quoted: `{"password":${JSON.stringify(secret)}}`,
      form: `password=${encodeURIComponent(secret)}`,
      [secret]: ["invalid", { again: secret }],
    };

    expect(withoutSecrets(body, [secret])).toEqual({
      detail: "bad login ***",
      quoted: '{"password":"***"}',
      form: "password=***",
      "***": ["invalid", { again: "***" }],
    });
  });

  it("leaves a value shorter than 4 characters alone: masking it would mask the answer's own words", () => {
    expect(withoutSecrets("Invalid token.", ["in"])).toBe("Invalid token.");
  });
});
