import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../sandbox/free-port.js";
import { runScript } from "../support/cli.js";

const TOKEN = "sit_the-operator-token-of-this-test";

/**
 * The API as console:shot first asks it, GET /tenants: 401 {"error":…} without the operator's token
 * (every path, as the real API's check runs before routing), else the tenants.
 */
async function fakeApi(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    response.setHeader("content-type", "application/json");
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      response.writeHead(401).end(
        JSON.stringify({
          error: { code: "unauthorized", message: "missing or unknown token", details: {} },
        }),
      );
      return;
    }
    if (request.url !== "/tenants") {
      response.writeHead(404).end(JSON.stringify({ error: { code: "not_found", message: "", details: {} } }));
      return;
    }
    response.end(JSON.stringify({ tenants: [{ id: "demo" }, { id: "acme-staging" }] }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** console:shot with the token of the shell left out, so only the test's is used. */
const shot = (args: string[]) =>
  runScript("console:shot", args, {
    env: { ...process.env, SIESA_INTEGRATION_TOKEN: "" },
    timeoutMs: 30_000,
  });

describe("npm run console:shot -- --url: the running API is checked before Chromium starts", () => {
  let api: { url: string; server: Server };
  beforeAll(async () => {
    api = await fakeApi();
  });
  afterAll(() => api.server.close());

  it("a --url that is not http(s) is named with its option, then the usage", async () => {
    const { code, stdout, stderr } = await shot(["--url", "127.0.0.1:8080", "--token", TOKEN]);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toBe('console:shot: --url must be an http(s) URL (got "127.0.0.1:8080")');
    expect(stderr).toContain("usage: npm run console:shot --");
  });

  it("an API that does not answer is named, in one line", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;

    const { code, stdout, stderr } = await shot(["--url", url, "--token", TOKEN]);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(new RegExp(`^console:shot: ${url} does not answer \\(.+\\)\\n$`));
  });

  it("a token the API refuses is said to be refused, in one line", async () => {
    const { code, stderr } = await shot(["--url", api.url, "--token", "sit_not-the-operator-token"]);

    expect(code).toBe(1);
    expect(stderr).toBe(
      `console:shot: ${api.url} refused the token (401): give a running npm start's operator token (--token or SIESA_INTEGRATION_TOKEN)\n`,
    );
  });

  it("an unknown --tenant is named with the tenants the API knows, then the usage", async () => {
    const { code, stderr } = await shot(["--url", api.url, "--token", TOKEN, "--tenant", "nope"]);

    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toBe(
      `console:shot: unknown tenant "nope" at ${api.url} (known tenants: demo, acme-staging)`,
    );
    expect(stderr).toContain("usage: npm run console:shot --");
  });
});
