import { describe, expect, it } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { ProductAuthError } from "../../runtime/core/ports/product-auth-error.js";
import { KongClient } from "../../runtime/edges/http/products/index.js";
import { createKongSandbox, type KongSandboxOptions, SANDBOX_KONG_CREDENTIALS } from "../../sandbox/kong.js";
import { clientOptions, kongRecord, recordingLog, recordingPolicy, serve } from "./support.js";

async function kongWithClient(sandboxOptions: KongSandboxOptions = {}, policy = recordingPolicy()) {
  const kong = createKongSandbox(sandboxOptions);
  const url = await serve(kong.app);
  const log = recordingLog();
  const client = new KongClient(clientOptions(url, SANDBOX_KONG_CREDENTIALS, { policy, log }));
  return { kong, client, url, log, policy };
}

const sku = (externalId: string, customerId = 7) => ({
  external_id: externalId,
  name: `Item ${externalId}`,
  type_id: 1,
  group_id: 2,
  customer_id: customerId,
});

describe("KongClient writes", () => {
  it("creates a SKU that Kong does not have and returns Kong's id", async () => {
    const { kong, client } = await kongWithClient();

    const result = await client.write(kongRecord("A-1"));

    const stored = kong.skus.getByExternalId("A-1");
    expect(result).toEqual({ outcome: "created", productId: String(stored?.id) });
    expect(stored).toMatchObject({ name: "Item A-1", reference: "REF-A-1", customer_id: 7 });
  });

  it.each(["", "/"])("joins the base URL safely when it ends with %j", async (suffix) => {
    const kong = createKongSandbox();
    const url = await serve(kong.app);
    const client = new KongClient(
      clientOptions(`${url}${suffix}`, SANDBOX_KONG_CREDENTIALS, { endpoints: { skus: "inventory/skus" } }),
    );

    const result = await client.write(kongRecord("A-1"));

    expect(result.outcome).toBe("created");
  });

  it("patches the SKU it already knows by id without creating another", async () => {
    const { kong, client } = await kongWithClient();
    const existing = kong.skus.insert(sku("A-1"));

    const result = await client.write(kongRecord("A-1", { name: "Renamed" }), String(existing.id));

    expect(result).toEqual({ outcome: "updated", productId: String(existing.id) });
    expect(kong.skus.get(existing.id)?.name).toBe("Renamed");
    expect(kong.stats.creates).toBe(0);
  });

  it("turns 'already exists' into find-and-patch when the caller does not know the id", async () => {
    const { kong, client } = await kongWithClient();
    const existing = kong.skus.insert(sku("A-1"));

    const result = await client.write(kongRecord("A-1", { name: "Renamed" }));

    expect(result).toEqual({ outcome: "updated", productId: String(existing.id) });
    expect(kong.skus.size).toBe(1);
    expect(kong.skus.get(existing.id)?.name).toBe("Renamed");
  });

  it("creates the SKU again when the known id was deleted in Kong", async () => {
    const { kong, client } = await kongWithClient();
    const deleted = kong.skus.insert(sku("A-1"));
    kong.skus.remove(deleted.id);

    const result = await client.write(kongRecord("A-1"), String(deleted.id));

    const recreated = kong.skus.getByExternalId("A-1");
    expect(result).toEqual({ outcome: "created", productId: String(recreated?.id) });
    expect(recreated?.id).not.toBe(deleted.id);
  });

  it("rejects a SKU Kong refuses, keeping Kong's message", async () => {
    const { kong, client } = await kongWithClient();

    const result = await client.write(kongRecord("A-1", { name: "x".repeat(256) }));

    expect(result).toEqual({
      outcome: "rejected",
      reason: "name: Ensure this field has no more than 255 characters.",
    });
    expect(kong.skus.size).toBe(0);
  });

  it("rejects with every field Kong complains about", async () => {
    const { client } = await kongWithClient();

    const result = await client.write(kongRecord("A-1", { type_id: "one", customer_id: undefined }));

    expect(result).toEqual({
      outcome: "rejected",
      reason: "type_id: A valid integer is required.; customer_id: This field is required.",
    });
  });
});

describe("KongClient finds an existing SKU by exact external_id", () => {
  it("patches the exact match although search also returns longer ids containing it", async () => {
    const { kong, client } = await kongWithClient();
    // Listed first, so a client that took search's first hit would patch the wrong SKU.
    const hundred = kong.skus.insert(sku("100"));
    const one = kong.skus.insert(sku("1"));
    const ten = kong.skus.insert(sku("10"));

    const result = await client.write(kongRecord("10", { name: "Ten" }));

    expect(result).toEqual({ outcome: "updated", productId: String(ten.id) });
    expect(kong.skus.get(ten.id)?.name).toBe("Ten");
    expect(kong.skus.get(one.id)?.name).toBe("Item 1");
    expect(kong.skus.get(hundred.id)?.name).toBe("Item 100");
  });

  it("follows the next pages when the exact match is not on the first one", async () => {
    const { kong, client } = await kongWithClient({ maxPageSize: 2 });
    for (const id of ["100", "210", "310", "1010"]) kong.skus.insert(sku(id));
    const ten = kong.skus.insert(sku("10"));

    const result = await client.write(kongRecord("10"));

    expect(result).toEqual({ outcome: "updated", productId: String(ten.id) });
    expect(kong.stats.lists).toBe(3);
  });

  it("never patches another customer's SKU with the same external_id", async () => {
    const { kong, client } = await kongWithClient();
    const foreign = kong.skus.insert(sku("A-1", 99));

    const result = await client.write(kongRecord("A-1", { customer_id: 7, name: "Mine" }));

    expect(result).toEqual({
      outcome: "rejected",
      reason: "external_id A-1 already exists in Kong but no SKU with it was found for customer_id 7",
    });
    expect(kong.skus.get(foreign.id)?.name).toBe("Item A-1");
  });
});

describe("KongClient authentication", () => {
  it("logs in once and reuses the token for later writes", async () => {
    const { kong, client } = await kongWithClient();

    await client.login();
    await client.write(kongRecord("A-1"));
    await client.write(kongRecord("A-2"));

    expect(kong.stats.logins).toBe(1);
  });

  it("logs in again exactly once when Kong stops accepting the token", async () => {
    const { kong, client } = await kongWithClient();
    await client.write(kongRecord("A-1"));
    kong.invalidateTokens();

    const result = await client.write(kongRecord("A-2"));

    expect(result.outcome).toBe("created");
    expect(kong.stats.logins).toBe(2);
  });

  it("shares one re-login among 50 parallel writes after the token is invalidated", async () => {
    const { kong, client } = await kongWithClient();
    await client.login();
    kong.invalidateTokens();
    const records = Array.from({ length: 50 }, (_, i) => kongRecord(`P-${i}`));

    const results = await Promise.all(records.map((record) => client.write(record)));

    expect(results.every((r) => r.outcome === "created")).toBe(true);
    expect(kong.skus.size).toBe(50);
    expect(kong.stats.logins).toBe(2);
  });

  it("refuses bad credentials with ProductAuthError naming product and tenant, never the password", async () => {
    const kong = createKongSandbox();
    const url = await serve(kong.app);
    const log = recordingLog();
    const password = "fake-wrong-password-value";
    const client = new KongClient(
      clientOptions(url, { username: SANDBOX_KONG_CREDENTIALS.username, password }, { log }),
    );

    const error = await client.login().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProductAuthError);
    expect((error as Error).message).toContain("kong-rfid");
    expect((error as Error).message).toContain("acme-test");
    expect((error as Error).message).toContain("Unable to log in with provided credentials.");
    expect((error as Error).message).not.toContain(password);
    expect(log.lines.join("\n")).not.toContain(password);
  });

  it("stops with ProductAuthError when even a fresh token is refused", async () => {
    const { kong, client } = await kongWithClient();
    await client.login();
    kong.refuseTokens(true);

    const error = await client.write(kongRecord("A-1")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProductAuthError);
    expect((error as Error).message).toContain("Invalid token.");
    expect(kong.stats.logins).toBe(2);
  });
});

describe("KongClient under Kong's transient failures", () => {
  it("waits as long as Retry-After says when throttled, then writes", async () => {
    const kong = createKongSandbox();
    const policy = recordingPolicy({}, () => kong.setFaults({ rateLimitShare: 0 }));
    const url = await serve(kong.app);
    const client = new KongClient(clientOptions(url, SANDBOX_KONG_CREDENTIALS, { policy }));
    await client.login();
    kong.setFaults({ rateLimitShare: 1, retryAfterSeconds: 7 });

    const result = await client.write(kongRecord("A-1"));

    expect(result.outcome).toBe("created");
    expect(policy.waits).toEqual([7000]);
    expect(kong.stats.byStatus[429]).toBe(1);
  });

  it("retries a 5xx and writes once Kong recovers", async () => {
    const kong = createKongSandbox();
    const policy = recordingPolicy({}, () => kong.setFaults({ serverErrorShare: 0 }));
    const url = await serve(kong.app);
    const client = new KongClient(clientOptions(url, SANDBOX_KONG_CREDENTIALS, { policy }));
    await client.login();
    kong.setFaults({ serverErrorShare: 1 });

    const result = await client.write(kongRecord("A-1"));

    expect(result.outcome).toBe("created");
    expect(kong.skus.size).toBe(1);
  });

  it("retries a write that timed out, once", async () => {
    const kong = createKongSandbox({ faults: { hangMs: 300 } });
    const policy = recordingPolicy({ timeoutMs: 100 }, () => kong.setFaults({ timeoutShare: 0 }));
    const url = await serve(kong.app);
    const client = new KongClient(clientOptions(url, SANDBOX_KONG_CREDENTIALS, { policy }));
    await client.login();
    kong.setFaults({ timeoutShare: 1 });

    const result = await client.write(kongRecord("A-1"));

    expect(result.outcome).toBe("created");
    expect(policy.waits).toHaveLength(1);
    expect(kong.skus.size).toBe(1);
  });

  it("gives up with ExternalCallError after retryAttempts retries of a 5xx", async () => {
    const { kong, client } = await kongWithClient({}, recordingPolicy({ retryAttempts: 2 }));
    await client.login();
    kong.setFaults({ serverErrorShare: 1 });

    const error = await client.write(kongRecord("A-1")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ExternalCallError);
    expect(error).toMatchObject({ service: "kong-rfid", status: 500, retryable: true });
    expect(kong.stats.byStatus[500]).toBe(3);
    expect(kong.skus.size).toBe(0);
  });
});
