import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import type { ListedRecord } from "../../runtime/core/ports/product.js";
import { KongClient, WmsClient } from "../../runtime/edges/http/products/index.js";
import { createKongSandbox, SANDBOX_KONG_CREDENTIALS } from "../../sandbox/kong.js";
import { createWmsSandbox, SANDBOX_WMS_CREDENTIALS } from "../../sandbox/wms.js";
import { clientOptions, recordingPolicy, serve } from "./support.js";

// Reading a tenant's records back (verify): every record once, through the same call policy as writes.

async function readAll(pages: AsyncGenerator<ListedRecord[]>): Promise<ListedRecord[]> {
  const all: ListedRecord[] = [];
  for await (const page of pages) all.push(...page);
  return all;
}

const sku = (n: number, customerId: number) => ({
  external_id: `S-${n}`,
  name: `Item ${n}`,
  type_id: 1,
  group_id: 2,
  customer_id: customerId,
});

describe("KongClient.list", () => {
  it("reads every SKU of the customer, page after page, and none of another customer's", async () => {
    const kong = createKongSandbox({ maxPageSize: 10 });
    for (let n = 1; n <= 25; n++) kong.skus.insert(sku(n, 7));
    kong.skus.insert(sku(99, 8));
    const client = new KongClient(clientOptions(await serve(kong.app), SANDBOX_KONG_CREDENTIALS));

    const listed = await readAll(client.list({ customerId: "7" }));

    expect(listed.map((r) => r.externalId)).toEqual(Array.from({ length: 25 }, (_, i) => `S-${i + 1}`));
    expect(listed[0]).toEqual({
      id: "1",
      externalId: "S-1",
      fields: expect.objectContaining({ name: "Item 1" }),
    });
    expect(kong.stats.lists).toBe(3);
  });

  it("waits out a throttled page as the policy says, and goes on", async () => {
    const kong = createKongSandbox({ faults: { rateLimitShare: 1, retryAfterSeconds: 2 } });
    kong.skus.insert(sku(1, 7));
    const policy = recordingPolicy({}, () => kong.setFaults({ rateLimitShare: 0 }));
    const client = new KongClient(clientOptions(await serve(kong.app), SANDBOX_KONG_CREDENTIALS, { policy }));

    const listed = await readAll(client.list({ customerId: "7" }));

    expect(listed).toHaveLength(1);
    expect(policy.waits[0]).toBe(2_000);
  });

  it("fails naming the call when Kong refuses the list", async () => {
    const kong = createKongSandbox();
    const client = new KongClient(clientOptions(await serve(kong.app), SANDBOX_KONG_CREDENTIALS));

    const reading = readAll(client.list({ customerId: "seven" }));

    await expect(reading).rejects.toThrow(ExternalCallError);
    await expect(reading).rejects.toThrow("kong-rfid list skus failed (400)");
  });

  it("fails on a page without results instead of reading it as an empty catalogue", async () => {
    const app = new Hono()
      .post("/auth/token/login/", (c) => c.json({ auth_token: "a".repeat(40) }))
      .get("/inventory/skus/", (c) => c.json({ count: 3 }));
    const client = new KongClient(clientOptions(await serve(app), SANDBOX_KONG_CREDENTIALS));

    await expect(readAll(client.list({}))).rejects.toThrow(
      "kong-rfid list skus failed (invalid-answer): page without a results list",
    );
  });
});

describe("WmsClient.list", () => {
  it("follows last_evaluated_key_id until it is null", async () => {
    const wms = createWmsSandbox();
    for (let n = 1; n <= 130; n++) wms.products.insert({ external_id: `P-${n}`, name: `Product ${n}` });
    const client = new WmsClient(clientOptions(await serve(wms.app), SANDBOX_WMS_CREDENTIALS));

    const listed = await readAll(client.list({}));

    expect(listed).toHaveLength(130);
    expect(new Set(listed.map((r) => r.externalId)).size).toBe(130);
    expect(wms.stats.lists).toBe(2);
  });

  it("fails naming the call when a page's cursor is not a text, instead of ending the list there", async () => {
    // prepare: a WMS whose cursor is DynamoDB's key as an object
    const wms = createWmsSandbox();
    for (let n = 1; n <= 130; n++) wms.products.insert({ external_id: `P-${n}`, name: `Product ${n}` });
    const app = new Hono();
    app.get("/products", async (c) => {
      const page = (await (await wms.app.request(c.req.raw)).json()) as Record<string, unknown>;
      const cursor = page.last_evaluated_key_id;
      return c.json({
        ...page,
        last_evaluated_key_id: cursor === null ? null : { PK: "Tenant#1", SK: cursor },
      });
    });
    app.route("/", wms.app);
    const client = new WmsClient(clientOptions(await serve(app), SANDBOX_WMS_CREDENTIALS));

    // act
    const error = await readAll(client.list({})).catch((e: unknown) => e);

    // assess
    expect(error).toBeInstanceOf(ExternalCallError);
    expect(error).toMatchObject({ service: "wms", operation: "list products", status: "invalid-answer" });
    expect(String(error)).toContain('last_evaluated_key_id is not a text: {"PK":"Tenant#1"');
  });

  it("reads the INACTIVE products too, which the list leaves out unless asked for both", async () => {
    const wms = createWmsSandbox();
    wms.products.insert({ external_id: "P-1", name: "Open", status: "ACTIVE" });
    wms.products.insert({ external_id: "P-2", name: "Closed", status: "INACTIVE" });
    const client = new WmsClient(clientOptions(await serve(wms.app), SANDBOX_WMS_CREDENTIALS));

    const listed = await readAll(client.list({}));

    expect(listed.map((r) => [r.externalId, r.fields.status])).toEqual([
      ["P-1", "ACTIVE"],
      ["P-2", "INACTIVE"],
    ]);
  });
});
