import { describe, expect, it } from "vitest";
import { createWmsSandbox, SANDBOX_WMS_CREDENTIALS, type WmsSandboxOptions } from "../../sandbox/wms.js";
import type { NewWmsLocation } from "../../sandbox/wms-locations.js";

/**
 * The WMS sandbox's `/locations`, all assumed (docs/integrations/stock-and-locations.md, "WMS:
 * locations"): like the WMS's products, and strict where the WMS may be.
 */

type Answer = { status: number; body: never };

async function wmsSession(options: WmsSandboxOptions = {}) {
  const wms = createWmsSandbox(options);
  const call = async (method: string, path: string, body?: unknown, token?: string): Promise<Answer> => {
    const response = await wms.app.request(path, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as never };
  };
  const login = await call("POST", "/auth", SANDBOX_WMS_CREDENTIALS);
  const token = (login.body as { token: string }).token;
  const authed = (method: string, path: string, body?: unknown) => call(method, path, body, token);
  return { wms, call, authed };
}

const location = (externalId: string, overrides: Partial<NewWmsLocation> = {}): NewWmsLocation => ({
  external_id: externalId,
  code: externalId.split("-").at(-1) ?? externalId,
  name: `Bodega ${externalId}`,
  type: "WAREHOUSE",
  parent_external_id: null,
  status: "ACTIVE",
  ...overrides,
});

type Page = { results: Record<string, unknown>[]; last_evaluated_key_id: string | null };

describe("WMS sandbox locations", () => {
  it("creates a location under an existing parent and answers 200 with its id", async () => {
    const { wms, authed } = await wmsSession();
    await authed("POST", "/locations", location("STORE-1"));

    const answer = await authed("POST", "/locations", location("1-NB1", { parent_external_id: "STORE-1" }));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ...location("1-NB1", { parent_external_id: "STORE-1" }) });
    expect((answer.body as { id: string }).id).toMatch(/^[0-9a-f]{32}$/);
    expect(wms.locations.store.size).toBe(2);
  });

  it("refuses a body with missing or unknown fields, or an unknown parent, naming each field", async () => {
    const { wms, authed } = await wmsSession();

    const missing = await authed("POST", "/locations", { external_id: "1-NB1", is_active: true });
    const orphan = await authed("POST", "/locations", location("1-NB1", { parent_external_id: "STORE-9" }));

    expect(missing).toEqual({
      status: 400,
      body: {
        message: "Validation failed",
        errors: [
          { field: "is_active", message: "is not a field of a location" },
          { field: "code", message: "is required" },
          { field: "name", message: "is required" },
          { field: "type", message: "is required" },
        ],
      },
    });
    expect(orphan).toEqual({
      status: 400,
      body: {
        message: "Validation failed",
        errors: [{ field: "parent_external_id", message: "no location has external_id 'STORE-9'" }],
      },
    });
    expect(wms.locations.store.size).toBe(0);
  });

  it("needs external_id in every PATCH, answers 404 for an unknown id, and refuses a cycle", async () => {
    const { wms, authed } = await wmsSession();
    const store = wms.locations.store.insert(location("STORE-1"));
    const nb1 = wms.locations.store.insert(location("1-NB1", { parent_external_id: "STORE-1" }));

    const withoutId = await authed("PATCH", `/locations/${nb1.id}`, { status: "INACTIVE" });
    const unknown = await authed("PATCH", "/locations/0123", { external_id: "1-NB1", status: "INACTIVE" });
    const cycle = await authed("PATCH", `/locations/${store.id}`, {
      external_id: "STORE-1",
      parent_external_id: "1-NB1",
    });

    expect(withoutId.status).toBe(400);
    expect(withoutId.body).toMatchObject({ errors: [{ field: "external_id", message: "is required" }] });
    expect(unknown).toEqual({ status: 404, body: { message: "Location '0123' not found" } });
    expect(cycle.status).toBe(400);
    expect(wms.locations.store.get(nb1.id)?.status).toBe("ACTIVE");
    expect(wms.locations.store.get(store.id)?.parent_external_id).toBeNull();
  });

  it("stores a second location with the same external_id, unless told to refuse it with 409", async () => {
    const accepting = await wmsSession();
    const refusing = await wmsSession({ duplicates: "refuse" });
    for (const { authed } of [accepting, refusing]) await authed("POST", "/locations", location("1-NB1"));

    const accepted = await accepting.authed("POST", "/locations", location("1-NB1"));
    const refused = await refusing.authed("POST", "/locations", location("1-NB1"));

    expect(accepted.status).toBe(200);
    expect(accepting.wms.locations.store.allByExternalId("1-NB1")).toHaveLength(2);
    expect(refused).toEqual({
      status: 409,
      body: { message: "A location with external_id '1-NB1' already exists" },
    });
  });

  it("lists like the products: a page may hold no match and still carry a cursor, a row shows few fields", async () => {
    const { wms, authed } = await wmsSession({ pageSize: 2 });
    for (const id of ["1-A", "1-B", "1-C"]) wms.locations.store.insert(location(id));

    const first = (await authed("GET", "/locations?external_id__eq=1-C")).body as Page;
    const second = (
      await authed(
        "GET",
        `/locations?external_id__eq=1-C&last_evaluated_key_id=${first.last_evaluated_key_id}`,
      )
    ).body as Page;

    expect(first.results).toEqual([]);
    expect(first.last_evaluated_key_id).not.toBeNull();
    expect(second.results).toEqual([
      {
        id: wms.locations.store.getByExternalId("1-C")?.id,
        external_id: "1-C",
        code: "C",
        name: "Bodega 1-C",
        status: "ACTIVE",
      },
    ]);
    expect(second.last_evaluated_key_id).toBeNull();
  });

  it("answers 401 without a token", async () => {
    const { call } = await wmsSession();

    const answer = await call("GET", "/locations");

    expect(answer).toEqual({ status: 401, body: { message: "Unauthorized" } });
  });
});
