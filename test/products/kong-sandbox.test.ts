import { describe, expect, it } from "vitest";
import { createKongSandbox, type KongSandboxOptions, SANDBOX_KONG_CREDENTIALS } from "../../sandbox/kong.js";
import { serve } from "./support.js";

/** A raw HTTP conversation with the sandbox, the way any Kong client would have it. */
async function kongSession(options: KongSandboxOptions = {}) {
  const kong = createKongSandbox(options);
  const url = await serve(kong.app);
  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Token ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as never };
  };
  const login = await call("POST", "/auth/token/login/", SANDBOX_KONG_CREDENTIALS);
  const token = (login.body as { auth_token: string }).auth_token;
  const authed = (method: string, path: string, body?: unknown) => call(method, path, body, token);
  return { kong, url, call, authed, token };
}

const skuBody = (externalId: string, overrides: Record<string, unknown> = {}) => ({
  external_id: externalId,
  name: `Item ${externalId}`,
  type_id: 1,
  group_id: 2,
  customer_id: 7,
  ...overrides,
});

describe("Kong sandbox login and auth", () => {
  it("issues a 40-hex Djoser token for good credentials", async () => {
    const { token } = await kongSession();

    expect(token).toMatch(/^[0-9a-f]{40}$/);
  });

  it("answers bad credentials with DRF's non_field_errors", async () => {
    const { call } = await kongSession();

    const answer = await call("POST", "/auth/token/login/", { username: "apes-sandbox", password: "nope" });

    expect(answer).toMatchObject({
      status: 400,
      body: { non_field_errors: ["Unable to log in with provided credentials."] },
    });
  });

  it("answers 401 Invalid token for an unknown token and after invalidateTokens()", async () => {
    const { kong, call, authed } = await kongSession();

    const forged = await call("GET", "/inventory/skus/", undefined, "f".repeat(40));
    kong.invalidateTokens();
    const revoked = await authed("GET", "/inventory/skus/");

    expect(forged).toMatchObject({ status: 401, body: { detail: "Invalid token." } });
    expect(revoked).toMatchObject({ status: 401, body: { detail: "Invalid token." } });
  });
});

describe("Kong sandbox SKU writes", () => {
  it("creates one SKU per POST and answers 201 with its integer id", async () => {
    const { authed } = await kongSession();

    const answer = await authed("POST", "/inventory/skus/", skuBody("A-1", { ean: "7701234567890" }));

    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ id: 1, external_id: "A-1", ean: "7701234567890", is_active: true });
  });

  it("refuses a list body the way DRF does", async () => {
    const { kong, authed } = await kongSession();

    const answer = await authed("POST", "/inventory/skus/", [skuBody("A-1"), skuBody("A-2")]);

    expect(answer).toMatchObject({
      status: 400,
      body: { non_field_errors: ["Invalid data. Expected a dictionary, but got list."] },
    });
    expect(kong.skus.size).toBe(0);
  });

  it("names every missing or invalid field in DRF's shape", async () => {
    const { authed } = await kongSession();

    const answer = await authed("POST", "/inventory/skus/", {
      external_id: "A-1",
      name: "n".repeat(256),
      type_id: "one",
      properties: [],
    });

    expect(answer).toMatchObject({
      status: 400,
      body: {
        name: ["Ensure this field has no more than 255 characters."],
        type_id: ["A valid integer is required."],
        group_id: ["This field is required."],
        customer_id: ["This field is required."],
        properties: ['Expected a dictionary of items but got type "list".'],
      },
    });
  });

  it("refuses a second SKU with the same external_id", async () => {
    const { authed } = await kongSession();
    await authed("POST", "/inventory/skus/", skuBody("A-1"));

    const answer = await authed("POST", "/inventory/skus/", skuBody("A-1"));

    expect(answer).toMatchObject({
      status: 400,
      body: { external_id: ["sku with this external id already exists."] },
    });
  });

  it("patches only the fields sent and answers 404 for an unknown id", async () => {
    const { kong, authed } = await kongSession();
    const existing = kong.skus.insert(skuBody("A-1"));

    const patched = await authed("PATCH", `/inventory/skus/${existing.id}/`, { name: "Renamed" });
    const missing = await authed("PATCH", "/inventory/skus/999/", { name: "Renamed" });

    expect(patched).toMatchObject({
      status: 200,
      body: { id: existing.id, name: "Renamed", customer_id: 7 },
    });
    expect(missing).toMatchObject({ status: 404, body: { detail: "Not found." } });
  });
});

describe("Kong sandbox listing", () => {
  it("searches case-insensitive substrings of external_id, name and reference", async () => {
    const { kong, authed } = await kongSession();
    kong.skus.insert(skuBody("10"));
    kong.skus.insert(skuBody("100"));
    kong.skus.insert(skuBody("X", { name: "Box of 10" }));
    kong.skus.insert(skuBody("Y", { reference: "ref-10" }));
    kong.skus.insert(skuBody("Z"));

    const answer = await authed("GET", "/inventory/skus/?search=10");

    const found = (answer.body as { results: { external_id: string }[] }).results.map((s) => s.external_id);
    expect(found).toEqual(["10", "100", "X", "Y"]);
  });

  it("pages with DRF's count and absolute next/previous links", async () => {
    const { kong, url, authed } = await kongSession({ pageSize: 2 });
    for (const id of ["A", "B", "C", "D", "E"]) kong.skus.insert(skuBody(id));

    const second = await authed("GET", "/inventory/skus/?page=2&customer_id=7");

    expect(second.body).toMatchObject({
      count: 5,
      next: `${url}/inventory/skus/?page=3&customer_id=7`,
      previous: `${url}/inventory/skus/?customer_id=7`,
      results: [{ external_id: "C" }, { external_id: "D" }],
    });
  });

  it("ignores a filter INT-002 does not list, as DRF does: every SKU comes back", async () => {
    const { kong, authed } = await kongSession();
    for (const id of ["A", "B", "C"]) kong.skus.insert(skuBody(id));

    const answer = await authed("GET", "/inventory/skus/?external_id=A&is_active=false");

    expect(answer.body).toMatchObject({ count: 3 });
  });

  it("answers 404 Invalid page past the last page", async () => {
    const { authed } = await kongSession();

    const answer = await authed("GET", "/inventory/skus/?page=2");

    expect(answer).toMatchObject({ status: 404, body: { detail: "Invalid page." } });
  });
});

describe("Kong sandbox faults", () => {
  it("throttles with Kong's body and Retry-After, and counts answers by status", async () => {
    const { kong, authed } = await kongSession();
    kong.setFaults({ rateLimitShare: 1, retryAfterSeconds: 9 });

    const answer = await authed("GET", "/inventory/skus/");

    expect(answer.status).toBe(429);
    expect(answer.headers.get("retry-after")).toBe("9");
    expect(answer.body).toEqual({ detail: "Request was throttled. Expected available in 9 seconds." });
    expect(kong.stats.byStatus).toEqual({ 200: 1, 429: 1 });
  });

  it("throttles the writes of one SKU as often as asked, and no other request", async () => {
    // prepare: SKU-5's next write is throttled for 12 h; SKU-6 exists
    const { kong, authed } = await kongSession();
    const six = await authed("POST", "/inventory/skus/", skuBody("SKU-6"));
    kong.throttleSku("SKU-5", 43_200);
    kong.throttleSku("SKU-6", 30, 2);

    // act
    const first = await authed("POST", "/inventory/skus/", skuBody("SKU-5"));
    const second = await authed("POST", "/inventory/skus/", skuBody("SKU-5"));
    const sixPatches = [1, 2, 3].map(() =>
      authed("PATCH", `/inventory/skus/${(six.body as { id: number }).id}/`, { name: "renamed" }),
    );
    const others = await authed("POST", "/inventory/skus/", skuBody("SKU-7"));

    // assess
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("43200");
    expect(first.body).toEqual({ detail: "Request was throttled. Expected available in 43200 seconds." });
    expect(second.status).toBe(201);
    expect((await Promise.all(sixPatches)).map((a) => a.status).sort()).toEqual([200, 429, 429]);
    expect(others.status).toBe(201);
    expect(kong.skus.list().map((s) => s.external_id)).toEqual(["SKU-6", "SKU-5", "SKU-7"]);
  });
});
