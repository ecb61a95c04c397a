import { Hono } from "hono";
import { createFetch } from "ofetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeFetch } from "../../runtime/http/node-fetch.js";
import { listen, type RunningServer } from "../../sandbox/serve.js";

// The fetch our clients use (through ofetch): what they rely on must behave as the global fetch does.

let server: RunningServer;
beforeAll(async () => {
  const app = new Hono()
    .post("/echo", async (c) =>
      c.json({ body: await c.req.json(), auth: c.req.header("authorization") }, 201, {
        "x-ratelimit-remaining": "7",
      }),
    )
    .delete("/gone", (c) => c.body(null, 204))
    .get("/bom", (c) =>
      c.body(Buffer.from('\uFEFF{"ok":true}', "utf8"), 200, { "content-type": "application/json" }),
    )
    .get("/slow", async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      return c.text("late");
    });
  server = await listen(app);
});
afterAll(() => server.close());

describe("nodeFetch", () => {
  it("sends method, headers and body, and reads status, headers and body back", async () => {
    const response = await nodeFetch(`${server.url}/echo`, {
      method: "POST",
      headers: { authorization: "Token abc", "content-type": "application/json" },
      body: JSON.stringify({ external_id: "REF-1" }),
    });

    expect(response.status).toBe(201);
    expect(response.headers.get("x-ratelimit-remaining")).toBe("7");
    expect(await response.json()).toEqual({ body: { external_id: "REF-1" }, auth: "Token abc" });
  });

  it("hands ofetch the body it read, as text or bytes", async () => {
    const $fetch = createFetch({ fetch: nodeFetch });
    const request = { method: "POST", body: { external_id: "REF-2" }, headers: { authorization: "Token t" } };

    const text = await $fetch.raw<string, "text">(`${server.url}/echo`, { ...request, responseType: "text" });
    const bytes = await $fetch(`${server.url}/echo`, { ...request, responseType: "arrayBuffer" });

    const expected = { body: { external_id: "REF-2" }, auth: "Token t" };
    expect(JSON.parse(text._data ?? "")).toEqual(expected);
    expect(JSON.parse(Buffer.from(bytes).toString("utf8"))).toEqual(expected);
  });

  it("drops a leading byte order mark, as fetch does", async () => {
    const response = await nodeFetch(`${server.url}/bom`);

    expect(await response.json()).toEqual({ ok: true });
  });

  it("gives an empty body for 204", async () => {
    const response = await nodeFetch(`${server.url}/gone`, { method: "DELETE" });

    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
  });

  it("rejects with the signal's reason when it times out, as fetch does", async () => {
    const attempt = nodeFetch(`${server.url}/slow`, { signal: AbortSignal.timeout(50) });

    await expect(attempt).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("rejects when nothing listens", async () => {
    await expect(nodeFetch("http://127.0.0.1:1/")).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
