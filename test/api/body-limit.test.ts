import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../runtime/api/app.js";
import { apiUnderTest, TOKENS } from "./factories.js";

/** Valid JSON for every body route, padded with whitespace to `bytes`: only its size can refuse it. */
const paddedJson = (bytes: number) => `{}${" ".repeat(bytes - 2)}`;

const operator = { authorization: `Bearer ${TOKENS.operator}`, "content-type": "application/json" };

/** A body that arrives in 64 KB pieces with no Content-Length; counts how much of it was pulled. */
function streamedBody(totalBytes: number) {
  const piece = new Uint8Array(64 * 1024).fill(0x20);
  const pulled = { bytes: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.bytes >= totalBytes) return controller.close();
      pulled.bytes += piece.length;
      controller.enqueue(piece);
    },
  });
  return { body, pulled };
}

const BODY_ROUTES = [
  "/tenants/acme-staging/runs",
  "/tenants/acme-staging/verify",
  "/tenants/acme-staging/pause",
  "/tenants/acme-staging/resume",
  "/tenants/acme-staging/check",
];

describe("request bodies over the limit", () => {
  it.each(BODY_ROUTES)(
    "POST %s over 256 KB answers 413 in the API's error shape and does nothing",
    async (path) => {
      const { app, state } = apiUnderTest();

      const response = await app.request(path, {
        method: "POST",
        headers: operator,
        body: paddedJson(MAX_BODY_BYTES + 1),
      });

      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({
        error: {
          code: "payload_too_large",
          message: `the request body is over ${MAX_BODY_BYTES} bytes`,
          details: { limitBytes: MAX_BODY_BYTES },
        },
      });
      expect(state.started).toEqual([]);
      expect(state.verified).toEqual([]);
      expect(state.checked).toEqual([]);
      expect(state.scheduleStates.get("acme-staging")).toBe("ENABLED");
    },
  );

  it("refuses a streamed body without Content-Length once it passes the limit, without reading the rest", async () => {
    const { app, state } = apiUnderTest();
    const { body, pulled } = streamedBody(20 * 1024 * 1024);

    const response = await app.request("/tenants/acme-staging/runs", {
      method: "POST",
      headers: operator,
      body,
      duplex: "half",
    } as RequestInit);

    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    // Read up to the limit and at most a few pieces beyond (the stream's read-ahead), never the 20 MB.
    expect(pulled.bytes).toBeLessThan(MAX_BODY_BYTES + 4 * 64 * 1024);
    expect(state.started).toEqual([]);
  });

  it("accepts a body of exactly the limit, streamed or not", async () => {
    const { app, state } = apiUnderTest();
    const { body } = streamedBody(MAX_BODY_BYTES);

    const sized = await app.request("/tenants/acme-staging/check", {
      method: "POST",
      headers: operator,
      body: paddedJson(MAX_BODY_BYTES),
    });
    const streamed = await app.request("/tenants/acme-staging/runs", {
      method: "POST",
      headers: operator,
      body,
      duplex: "half",
    } as RequestInit);

    expect(sized.status).toBe(200);
    expect(streamed.status).toBe(202);
    expect(state.started).toHaveLength(1);
  });

  it("answers a caller without a token 401 before looking at its body", async () => {
    const { app } = apiUnderTest();
    const { body, pulled } = streamedBody(20 * 1024 * 1024);

    const response = await app.request("/tenants/acme-staging/runs", {
      method: "POST",
      body,
      duplex: "half",
    } as RequestInit);

    expect(response.status).toBe(401);
    expect(pulled.bytes).toBeLessThan(4 * 64 * 1024);
  });
});
