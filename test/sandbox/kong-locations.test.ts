import { describe, expect, it } from "vitest";
import { createKongSandbox, type KongSandboxOptions, SANDBOX_KONG_CREDENTIALS } from "../../sandbox/kong.js";
import type { KongLocation } from "../../sandbox/kong-locations.js";

/**
 * The Kong sandbox's `/inventory/locations/`: the loader's create body, and what a sync needs to
 * find a location by its external id and change it in place. Strict where Kong may be: an unknown
 * type or parent, a duplicate external id, a missing field are 400s that name the field.
 */

type Answer = { status: number; body: never; headers: Headers };

async function kongSession(options: KongSandboxOptions = {}) {
  const kong = createKongSandbox(options);
  const call = async (method: string, path: string, body?: unknown, token?: string): Promise<Answer> => {
    const response = await kong.app.request(path, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Token ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as never };
  };
  const login = await call("POST", "/auth/token/login/", SANDBOX_KONG_CREDENTIALS);
  const token = (login.body as { auth_token: string }).auth_token;
  const authed = (method: string, path: string, body?: unknown) => call(method, path, body, token);
  return { kong, call, authed };
}

/** The loader's body, plus the external id a sync finds the location by. */
const location = (externalId: string, overrides: Record<string, unknown> = {}) => ({
  external_id: externalId,
  type_external_id: "E1",
  customer_ids: [7],
  parent_external_id: null,
  name: `Bodega ${externalId}`,
  display_name: `Bodega ${externalId}`,
  is_active: true,
  zone_type: null,
  ...overrides,
});

type Page = { count: number; next: string | null; previous: string | null; results: KongLocation[] };

describe("Kong sandbox locations: create", () => {
  it("creates a warehouse under a store from the loader's body and answers 201 with its id", async () => {
    const { authed } = await kongSession();

    const store = await authed(
      "POST",
      "/inventory/locations/",
      location("STORE-1", { type_external_id: "M1" }),
    );
    const warehouse = await authed(
      "POST",
      "/inventory/locations/",
      location("1-NB1", { parent_external_id: "STORE-1", zone_type: "STORAGE" }),
    );

    expect(store.status).toBe(201);
    expect(warehouse.status).toBe(201);
    expect(warehouse.body).toEqual({
      id: 2,
      external_id: "1-NB1",
      type_external_id: "E1",
      customer_ids: [7],
      parent_external_id: "STORE-1",
      name: "Bodega 1-NB1",
      display_name: "Bodega 1-NB1",
      is_active: true,
      zone_type: "STORAGE",
    });
  });

  it("refuses an unknown type_external_id with a 400 that names it", async () => {
    const { kong, authed } = await kongSession();

    const answer = await authed(
      "POST",
      "/inventory/locations/",
      location("1-NB1", { type_external_id: "Z9" }),
    );

    expect(answer).toMatchObject({
      status: 400,
      body: { type_external_id: ["Object with external_id=Z9 does not exist."] },
    });
    expect(kong.locations.store.size).toBe(0);
  });

  it("refuses a parent that does not exist yet with a 400 that names it: parents are created first", async () => {
    const { kong, authed } = await kongSession();

    const answer = await authed(
      "POST",
      "/inventory/locations/",
      location("1-NB1", { parent_external_id: "STORE-9" }),
    );

    expect(answer).toMatchObject({
      status: 400,
      body: { parent_external_id: ["Object with external_id=STORE-9 does not exist."] },
    });
    expect(kong.locations.store.size).toBe(0);
  });

  it("refuses a second location with the same external_id, as it does a SKU's", async () => {
    const { kong, authed } = await kongSession();

    await authed("POST", "/inventory/locations/", location("1-NB1"));
    const again = await authed("POST", "/inventory/locations/", location("1-NB1", { name: "Otra" }));

    expect(again).toMatchObject({
      status: 400,
      body: { external_id: ["location with this external id already exists."] },
    });
    expect(kong.locations.store.list().map((l) => l.name)).toEqual(["Bodega 1-NB1"]);
  });

  it("requires external_id, type_external_id, name and a non-empty list of customer ids", async () => {
    const { kong, authed } = await kongSession();

    const empty = await authed("POST", "/inventory/locations/", {});
    const noCustomers = await authed("POST", "/inventory/locations/", location("A", { customer_ids: [] }));
    const oneCustomer = await authed("POST", "/inventory/locations/", location("B", { customer_ids: 7 }));
    const textCustomer = await authed(
      "POST",
      "/inventory/locations/",
      location("C", { customer_ids: ["7"] }),
    );
    const list = await authed("POST", "/inventory/locations/", [location("D")]);

    expect(empty).toMatchObject({
      status: 400,
      body: {
        external_id: ["This field is required."],
        type_external_id: ["This field is required."],
        name: ["This field is required."],
        customer_ids: ["This field is required."],
      },
    });
    expect(noCustomers.body).toEqual({ customer_ids: ["This list may not be empty."] });
    expect(oneCustomer.body).toEqual({ customer_ids: ['Expected a list of items but got type "int".'] });
    expect(textCustomer.body).toEqual({ customer_ids: ["Incorrect type. Expected pk value, received str."] });
    expect(list).toMatchObject({
      status: 400,
      body: { non_field_errors: ["Invalid data. Expected a dictionary, but got list."] },
    });
    expect(kong.locations.store.size).toBe(0);
  });

  it("needs the login token, like every /inventory/ endpoint", async () => {
    const { call } = await kongSession();

    const answer = await call("POST", "/inventory/locations/", location("1-NB1"));

    expect(answer).toMatchObject({
      status: 401,
      body: { detail: "Authentication credentials were not provided." },
    });
  });
});

describe("Kong sandbox locations: find and change one", () => {
  it("finds a location by its exact external_id; a part of it finds nothing", async () => {
    const { authed } = await kongSession();
    for (const code of ["1-NB1", "1-NB10", "1-PPAL"])
      await authed("POST", "/inventory/locations/", location(code));

    const exact = await authed("GET", "/inventory/locations/?external_id=1-NB1");
    const part = await authed("GET", "/inventory/locations/?external_id=1-NB");

    expect((exact.body as Page).results.map((l) => l.external_id)).toEqual(["1-NB1"]);
    expect((part.body as Page).count).toBe(0);
  });

  it("lists everything when Kong has no external_id filter, so a client must keep the exact match itself", async () => {
    const { kong, authed } = await kongSession();
    for (const code of ["1-NB1", "1-PPAL"]) await authed("POST", "/inventory/locations/", location(code));
    kong.locations.ignoreExternalIdFilter(true);

    const answer = await authed("GET", "/inventory/locations/?external_id=1-NB1");

    expect((answer.body as Page).count).toBe(2);
  });

  it("lists one customer's locations with customer_id", async () => {
    const { authed } = await kongSession();
    await authed("POST", "/inventory/locations/", location("1-NB1", { customer_ids: [7] }));
    await authed("POST", "/inventory/locations/", location("2-NB1", { customer_ids: [8, 9] }));

    const answer = await authed("GET", "/inventory/locations/?customer_id=9");
    const bad = await authed("GET", "/inventory/locations/?customer_id=nine");

    expect((answer.body as Page).results.map((l) => l.external_id)).toEqual(["2-NB1"]);
    expect(bad).toMatchObject({ status: 400, body: { customer_id: ["Enter a whole number."] } });
  });

  it("pages by limit and offset, with next links to follow, and cuts a limit over the maximum", async () => {
    const { authed } = await kongSession({ pageSize: 4, maxPageSize: 10 });
    for (let i = 1; i <= 12; i++) await authed("POST", "/inventory/locations/", location(`1-B${i}`));

    const first = (await authed("GET", "/inventory/locations/")).body as Page;
    const seen: string[] = [];
    let next: string | null = "/inventory/locations/?limit=5";
    while (next) {
      const page = (await authed("GET", next.replace(/^https?:\/\/[^/]+/, ""))).body as Page;
      seen.push(...page.results.map((l) => l.external_id));
      next = page.next;
    }
    const capped = (await authed("GET", "/inventory/locations/?limit=50")).body as Page;

    expect(first.results).toHaveLength(4);
    expect(first.count).toBe(12);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `1-B${i + 1}`));
    expect(capped.results).toHaveLength(10);
  });

  it("renames a location and sets it inactive in place with PATCH, keeping its id and external_id", async () => {
    const { kong, authed } = await kongSession();
    const created = (await authed("POST", "/inventory/locations/", location("1-NB1"))).body as KongLocation;

    const patched = await authed("PATCH", `/inventory/locations/${created.id}/`, {
      name: "Bodega Norte",
      is_active: false,
    });
    const read = await authed("GET", `/inventory/locations/${created.id}/`);

    expect(patched.status).toBe(200);
    expect(read.body).toMatchObject({
      id: created.id,
      external_id: "1-NB1",
      name: "Bodega Norte",
      is_active: false,
    });
    expect(kong.locations.store.size).toBe(1);
    expect(kong.locations.stats.patches).toBe(1);
  });

  it("refuses a PATCH to an unknown type or parent, another location's external_id, or a parent below itself", async () => {
    const { kong, authed } = await kongSession();
    await authed("POST", "/inventory/locations/", location("STORE-1", { type_external_id: "M1" }));
    await authed("POST", "/inventory/locations/", location("1-NB1", { parent_external_id: "STORE-1" }));
    const store = kong.locations.store.getByExternalId("STORE-1") as KongLocation;
    const path = `/inventory/locations/${store.id}/`;

    const type = await authed("PATCH", path, { type_external_id: "Q7" });
    const parent = await authed("PATCH", path, { parent_external_id: "NOPE" });
    const duplicate = await authed("PATCH", path, { external_id: "1-NB1" });
    const cycle = await authed("PATCH", path, { parent_external_id: "1-NB1" });
    const missing = await authed("PATCH", "/inventory/locations/99/", { name: "x" });

    expect(type).toMatchObject({
      status: 400,
      body: { type_external_id: ["Object with external_id=Q7 does not exist."] },
    });
    expect(parent).toMatchObject({
      status: 400,
      body: { parent_external_id: ["Object with external_id=NOPE does not exist."] },
    });
    expect(duplicate).toMatchObject({
      status: 400,
      body: { external_id: ["location with this external id already exists."] },
    });
    expect(cycle.status).toBe(400);
    expect(missing).toMatchObject({ status: 404, body: { detail: "Not found." } });
    expect(kong.locations.store.getByExternalId("STORE-1")).toEqual(store);
  });

  it("keeps a location's children when its external_id changes", async () => {
    const { kong, authed } = await kongSession();
    const store = (
      await authed("POST", "/inventory/locations/", location("STORE-1", { type_external_id: "M1" }))
    ).body as KongLocation;
    await authed("POST", "/inventory/locations/", location("1-NB1", { parent_external_id: "STORE-1" }));

    await authed("PATCH", `/inventory/locations/${store.id}/`, { external_id: "STORE-A" });

    expect(kong.locations.store.getByExternalId("1-NB1")?.parent_external_id).toBe("STORE-A");
  });

  it("does not allow PUT or DELETE: a sync changes a location with PATCH and closes it with is_active", async () => {
    const { kong, authed } = await kongSession();
    const created = (await authed("POST", "/inventory/locations/", location("1-NB1"))).body as KongLocation;

    const put = await authed("PUT", `/inventory/locations/${created.id}/`, location("1-NB1", { name: "x" }));
    const removed = await authed("DELETE", `/inventory/locations/${created.id}/`);

    expect(put).toMatchObject({ status: 405, body: { detail: 'Method "PUT" not allowed.' } });
    expect(removed).toMatchObject({ status: 405, body: { detail: 'Method "DELETE" not allowed.' } });
    expect(kong.locations.store.get(created.id)?.name).toBe("Bodega 1-NB1");
  });
});
