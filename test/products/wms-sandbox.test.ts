import { describe, expect, it } from "vitest";
import { createWmsSandbox, SANDBOX_WMS_CREDENTIALS, type WmsSandboxOptions } from "../../sandbox/wms.js";
import { serve } from "./support.js";

/** A raw HTTP conversation with the sandbox, the way any WMS client would have it. */
async function wmsSession(options: WmsSandboxOptions = {}) {
  const wms = createWmsSandbox(options);
  const url = await serve(wms.app);
  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = response.headers.get("content-type")?.includes("json");
    return { status: response.status, body: (json ? await response.json() : await response.text()) as never };
  };
  const login = await call("POST", "/auth", SANDBOX_WMS_CREDENTIALS);
  const token = (login.body as { token: string }).token;
  const authed = (method: string, path: string, body?: unknown) => call(method, path, body, token);
  return { wms, call, authed, login };
}

describe("WMS sandbox", () => {
  it("logs in with a Bearer token and the user's attributes, as the collection shows", async () => {
    const { login } = await wmsSession({ tokenTtlSeconds: 900 });

    expect(login).toMatchObject({
      status: 200,
      body: {
        token: expect.any(String),
        attributes_user: [{ Name: expect.any(String), Value: "apes-sandbox" }],
      },
    });
  });

  it("answers 401 for bad credentials and for an expired token", async () => {
    let now = 0;
    const { call, authed } = await wmsSession({ tokenTtlSeconds: 60, now: () => now });

    const badLogin = await call("POST", "/auth", { username: "apes-sandbox", password: "nope" });
    now += 60_000;
    const expired = await authed("GET", "/products");

    expect(badLogin).toMatchObject({ status: 401, body: { message: "Invalid username or password" } });
    expect(expired).toMatchObject({ status: 401, body: { message: "Unauthorized" } });
  });

  it("lists each invalid field of a product, and refuses fields the collection does not document", async () => {
    const { authed } = await wmsSession();

    const answer = await authed("POST", "/products", { external_id: "A-1", status: "active", active: true });

    expect(answer).toMatchObject({
      status: 400,
      body: {
        message: "Validation failed",
        errors: [
          { field: "active", message: "is not a field of a product" },
          { field: "name", message: "is required" },
          { field: "status", message: "must be one of ACTIVE, INACTIVE" },
        ],
      },
    });
  });

  it("creates with 200 and the whole product, its id 32 hex characters", async () => {
    const { authed } = await wmsSession();

    const created = await authed("POST", "/products", { external_id: "A-1", name: "One", status: "ACTIVE" });

    expect(created).toMatchObject({
      status: 200,
      body: {
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        external_id: "A-1",
        name: "One",
        status: "ACTIVE",
      },
    });
  });

  it("refuses a PATCH without external_id in its body", async () => {
    const { authed } = await wmsSession();
    const created = await authed("POST", "/products", { external_id: "A-1", name: "One", status: "ACTIVE" });
    const id = (created.body as { id: string }).id;

    const without = await authed("PATCH", `/products/${id}`, { status: "INACTIVE" });
    const withIt = await authed("PATCH", `/products/${id}`, { status: "INACTIVE", external_id: "A-1" });

    expect(without).toMatchObject({
      status: 400,
      body: { errors: [{ field: "external_id", message: "is required" }] },
    });
    expect(withIt).toMatchObject({ status: 200, body: { status: "INACTIVE" } });
  });

  it("names a listed product variant_id, with only the list's fields", async () => {
    const { authed } = await wmsSession();
    const created = await authed("POST", "/products", {
      external_id: "A-1",
      name: "One",
      status: "ACTIVE",
      barcode: "7701",
      inventory_unit: "UNIT",
    });

    const listed = await authed("GET", "/products?external_id__eq=A-1");

    expect(listed.body).toEqual({
      results: [
        {
          variant_id: (created.body as { id: string }).id,
          name: "One",
          barcode: "7701",
          status: "ACTIVE",
          external_id: "A-1",
        },
      ],
      count: 1,
      warnings: [],
      limit: 50,
      last_evaluated_key_id: null,
    });
  });

  it("lists only ACTIVE products unless asked for others with status__in or status__eq, and refuses an unknown status", async () => {
    const { wms, authed } = await wmsSession();
    wms.products.insert({ external_id: "A-1", name: "Open", status: "ACTIVE" });
    wms.products.insert({ external_id: "A-2", name: "Closed", status: "INACTIVE" });
    const listed = async (query: string) =>
      ((await authed("GET", `/products${query}`)).body as { results: { external_id: string }[] }).results.map(
        (row) => row.external_id,
      );

    expect(await listed("")).toEqual(["A-1"]);
    expect(await listed("?status__in=ACTIVE,INACTIVE")).toEqual(["A-1", "A-2"]);
    expect(await listed("?status__eq=INACTIVE")).toEqual(["A-2"]);
    expect(await authed("GET", "/products?status__in=ACTIVE,CLOSED")).toEqual({
      status: 400,
      body: { message: "status 'CLOSED' must be one of ACTIVE, INACTIVE" },
    });
  });

  it("stores a second product with the same external_id by default: the collection promises no 409", async () => {
    const { wms, authed } = await wmsSession();
    const first = await authed("POST", "/products", { external_id: "A-1", name: "One" });

    const second = await authed("POST", "/products", { external_id: "A-1", name: "Again" });

    expect(first).toMatchObject({ status: 200, body: { id: expect.any(String), external_id: "A-1" } });
    expect(second.status).toBe(200);
    expect(wms.products.allByExternalId("A-1").map((p) => p.name)).toEqual(["One", "Again"]);
  });

  it("answers 409 for a second product with the same external_id when set to refuse duplicates", async () => {
    const { authed } = await wmsSession({ duplicates: "refuse" });
    const first = await authed("POST", "/products", { external_id: "A-1", name: "One" });

    const second = await authed("POST", "/products", { external_id: "A-1", name: "Again" });

    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
  });

  it("has no GET /products/{id}: the collection lists only the list with its filter", async () => {
    const { authed } = await wmsSession();
    const created = await authed("POST", "/products", { external_id: "A-1", name: "One" });

    const answer = await authed("GET", `/products/${(created.body as { id: string }).id}`);

    expect(answer.status).toBe(404);
  });

  it("filters after paging, like a DynamoDB scan: a page may be empty yet carry a cursor", async () => {
    const { wms, authed } = await wmsSession({ pageSize: 2 });
    const [, b] = ["A", "B", "C"].map((id) => wms.products.insert({ external_id: id, name: id }));

    const first = await authed("GET", "/products?external_id__eq=C");
    const second = await authed("GET", `/products?external_id__eq=C&last_evaluated_key_id=${b?.id}`);

    expect(first.body).toEqual({
      results: [],
      count: 0,
      warnings: [],
      limit: 2,
      last_evaluated_key_id: b?.id,
    });
    expect(second.body).toMatchObject({
      results: [{ external_id: "C" }],
      count: 1,
      last_evaluated_key_id: null,
    });
  });
});
