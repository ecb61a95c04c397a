import type { HttpBindings } from "@hono/node-server";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { ProductAuthError } from "../../runtime/core/ports/product-auth-error.js";
import { WmsClient } from "../../runtime/edges/http/products/index.js";
import { createWmsSandbox, SANDBOX_WMS_CREDENTIALS, type WmsSandboxOptions } from "../../sandbox/wms.js";
import { clientOptions, recordingLog, recordingPolicy, serve, wmsRecord } from "./support.js";

async function wmsWithClient(sandboxOptions: WmsSandboxOptions = {}, policy = recordingPolicy()) {
  const wms = createWmsSandbox(sandboxOptions);
  const url = await serve(wms.app);
  const client = new WmsClient(clientOptions(url, SANDBOX_WMS_CREDENTIALS, { policy }));
  return { wms, client, url, policy };
}

const product = (externalId: string) => ({ external_id: externalId, name: `Item ${externalId}` });

describe("WmsClient writes", () => {
  it("creates a product the WMS does not have and returns its id", async () => {
    const { wms, client } = await wmsWithClient();

    const result = await client.write(wmsRecord("A-1"));

    const stored = wms.products.getByExternalId("A-1");
    expect(result).toEqual({ outcome: "created", productId: stored?.id });
    expect(stored).toMatchObject({
      name: "Item A-1",
      reference_id: "REF-A-1",
      inventory_unit: "UNIT",
      status: "ACTIVE",
    });
  });

  it.each(["", "/"])("joins the base URL safely when it ends with %j", async (suffix) => {
    const wms = createWmsSandbox();
    const url = await serve(wms.app);
    const client = new WmsClient(
      clientOptions(`${url}${suffix}`, SANDBOX_WMS_CREDENTIALS, { endpoints: { products: "products/" } }),
    );

    const result = await client.write(wmsRecord("A-1"));

    expect(result.outcome).toBe("created");
  });

  it("patches the product it already knows by id without creating another", async () => {
    const { wms, client } = await wmsWithClient();
    const existing = wms.products.insert(product("A-1"));

    const result = await client.write(wmsRecord("A-1", { name: "Renamed" }), existing.id);

    expect(result).toEqual({ outcome: "updated", productId: existing.id });
    expect(wms.products.get(existing.id)?.name).toBe("Renamed");
    expect(wms.stats.creates).toBe(0);
  });

  it("looks a record the ledger does not know up by external_id__eq and patches it, though the WMS would take a duplicate", async () => {
    const { wms, client } = await wmsWithClient({ duplicates: "accept" });
    const existing = wms.products.insert(product("A-1"));

    const result = await client.write(wmsRecord("A-1", { name: "Renamed" }));

    expect(result).toEqual({ outcome: "updated", productId: existing.id });
    expect(wms.products.allByExternalId("A-1")).toHaveLength(1);
    expect(wms.products.get(existing.id)?.name).toBe("Renamed");
    expect(wms.stats.creates).toBe(0);
  });

  it("finds a product the WMS holds INACTIVE, though its list shows only ACTIVE ones unless asked for both", async () => {
    // prepare: a product deactivated in the WMS, its id lost by the ledger
    const { wms, client } = await wmsWithClient({ duplicates: "accept" });
    const existing = wms.products.insert({ ...product("A-1"), status: "INACTIVE" });

    // act
    const result = await client.write(wmsRecord("A-1"));

    // assess: the same product, active again
    expect(result).toEqual({ outcome: "updated", productId: existing.id });
    expect(wms.products.allByExternalId("A-1")).toHaveLength(1);
    expect(wms.products.get(existing.id)?.status).toBe("ACTIVE");
  });

  it("updates the ACTIVE one of a product's duplicates, though an INACTIVE one is listed first", async () => {
    // prepare: duplicates made before the lookup existed, the older one set inactive by hand
    const { wms, client } = await wmsWithClient({ duplicates: "accept", pageSize: 2 });
    const stale = wms.products.insert({ ...product("A-1"), status: "INACTIVE" });
    wms.products.insert(product("B-1"));
    const live = wms.products.insert({ ...product("A-1"), status: "ACTIVE" }, { allowDuplicate: true });

    // act
    const result = await client.write(wmsRecord("A-1", { name: "Renamed" }));

    // assess: one ACTIVE product, the one users see, renamed
    expect(result).toEqual({ outcome: "updated", productId: live.id });
    expect(wms.products.get(live.id)?.name).toBe("Renamed");
    expect(wms.products.get(stale.id)).toMatchObject({ status: "INACTIVE", name: "Item A-1" });
  });

  it("writes each of 20 records the ledger does not know exactly once, however often it is written", async () => {
    const { wms, client } = await wmsWithClient({ duplicates: "accept" });
    const records = Array.from({ length: 20 }, (_, i) => wmsRecord(String(1000 + i)));

    await Promise.all(records.map((record) => client.write(record)));
    const again = await Promise.all(records.map((record) => client.write(record)));

    expect(wms.products.size).toBe(20);
    expect(again.every((result) => result.outcome === "updated")).toBe(true);
  });

  it("never creates when the lookup's matching row names no product: the write fails, nothing is created", async () => {
    const wms = createWmsSandbox({ duplicates: "accept" });
    wms.products.insert(product("A-1"));
    const app = new Hono();
    app.get("/products", async (c) => {
      const answer = await wms.app.request(c.req.raw);
      const page = (await answer.json()) as { results: Record<string, unknown>[] };
      return c.json({ ...page, results: page.results.map(({ variant_id: _, ...row }) => row) });
    });
    app.route("/", wms.app);
    const client = new WmsClient(clientOptions(await serve(app), SANDBOX_WMS_CREDENTIALS));

    const error = await client.write(wmsRecord("A-1")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ExternalCallError);
    expect(String((error as Error).message)).toContain("external_id A-1 is listed without a variant_id");
    expect(wms.stats.creates).toBe(0);
    expect(wms.products.allByExternalId("A-1")).toHaveLength(1);
  });

  it("never creates a second product when PATCH answers 404 to the id the lookup listed: the write fails, to be tried again", async () => {
    // prepare: a WMS whose list row names a variant_id that PATCH does not take
    const { wms, client } = await wmsWithClient({ duplicates: "accept" });
    const existing = wms.products.insert(product("A-1"));
    wms.separateVariantIds(true);

    // act: the ledger holds no id for it (a create whose answer was lost)
    const error = await client.write(wmsRecord("A-1", { name: "Renamed" })).catch((e: unknown) => e);

    // assess
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toContain("external_id A-1");
    expect(wms.products.allByExternalId("A-1")).toEqual([existing]);
    expect(wms.stats.creates).toBe(0);
  });

  it("still turns a 409 into find-and-patch when the product appears between the lookup and the create", async () => {
    const wms = createWmsSandbox({ duplicates: "refuse" });
    let raced: { id: string } | undefined;
    const app = new Hono();
    app.use("/products", async (c, next) => {
      if (c.req.method === "POST" && !raced) raced = wms.products.insert(product("A-1"));
      await next();
    });
    app.route("/", wms.app);
    const client = new WmsClient(clientOptions(await serve(app), SANDBOX_WMS_CREDENTIALS));

    const result = await client.write(wmsRecord("A-1", { name: "Renamed" }));

    expect(result).toEqual({ outcome: "updated", productId: raced?.id });
    expect(wms.products.size).toBe(1);
    expect(wms.products.get(raced?.id ?? "")?.name).toBe("Renamed");
  });

  it("creates the product again when the known id was deleted in the WMS", async () => {
    const { wms, client } = await wmsWithClient();
    const deleted = wms.products.insert(product("A-1"));
    wms.products.remove(deleted.id);

    const result = await client.write(wmsRecord("A-1"), deleted.id);

    const recreated = wms.products.getByExternalId("A-1");
    expect(result).toEqual({ outcome: "created", productId: recreated?.id });
    expect(recreated?.id).not.toBe(deleted.id);
  });

  it("updates the product a write before it created when the known id was deleted, rather than create a second", async () => {
    // prepare: the ledger's id was deleted in the WMS, and a delivery that died before telling the
    // ledger had already created the product again
    const { wms, client } = await wmsWithClient();
    const deleted = wms.products.insert(product("A-1"));
    wms.products.remove(deleted.id);
    const recreated = await client.write(wmsRecord("A-1"), deleted.id);

    // act: the chunk's next delivery, with the id the ledger still holds
    const result = await client.write(wmsRecord("A-1", { name: "Renamed" }), deleted.id);

    // assess
    expect(wms.products.allByExternalId("A-1")).toHaveLength(1);
    expect(result).toEqual({
      outcome: "updated",
      productId: recreated.outcome === "created" && recreated.productId,
    });
  });

  it("sets a product inactive by patching its status with its external_id, and says `gone` for a deleted one", async () => {
    const { wms, client } = await wmsWithClient();
    const kept = wms.products.insert({ ...product("A-1"), status: "ACTIVE" });
    const deleted = wms.products.insert(product("A-2"));
    wms.products.remove(deleted.id);
    const inactive = { key: "A-1", externalId: "A-1", payload: { status: "INACTIVE" } };

    expect(await client.patch(kept.id, inactive)).toEqual({ outcome: "updated" });
    expect(await client.patch(deleted.id, { ...inactive, key: "A-2", externalId: "A-2" })).toEqual({
      outcome: "gone",
    });
    expect(wms.products.get(kept.id)).toMatchObject({ status: "INACTIVE", name: "Item A-1" });
    expect(wms.stats.creates).toBe(0);
  });

  it("rejects a product the WMS refuses, keeping the WMS's messages", async () => {
    const { wms, client } = await wmsWithClient();

    const result = await client.write(wmsRecord("A-1", { name: "", status: "GONE" }));

    expect(result).toEqual({
      outcome: "rejected",
      reason: "Validation failed: name must not be empty; status must be one of ACTIVE, INACTIVE",
    });
    expect(wms.products.size).toBe(0);
  });
});

describe("WmsClient finds an existing product by exact external_id", () => {
  it("follows the cursor past pages that hold none of the matches", async () => {
    const { wms, client } = await wmsWithClient({ pageSize: 2 });
    for (const id of ["100", "210", "310", "1010"]) wms.products.insert(product(id));
    const ten = wms.products.insert(product("10"));

    const result = await client.write(wmsRecord("10", { name: "Ten" }));

    expect(result).toEqual({ outcome: "updated", productId: ten.id });
    expect(wms.products.get(ten.id)?.name).toBe("Ten");
    expect(wms.products.getByExternalId("100")?.name).toBe("Item 100");
    expect(wms.stats.lists).toBe(3);
  });
});

describe("WmsClient authentication", () => {
  it("logs in once and reuses the token for later writes", async () => {
    const { wms, client } = await wmsWithClient();

    await client.login();
    await client.write(wmsRecord("A-1"));
    await client.write(wmsRecord("A-2"));

    expect(wms.stats.logins).toBe(1);
  });

  it("logs in again exactly once when the token is revoked", async () => {
    const { wms, client } = await wmsWithClient();
    await client.write(wmsRecord("A-1"));
    wms.invalidateTokens();

    const result = await client.write(wmsRecord("A-2"));

    expect(result.outcome).toBe("created");
    expect(wms.stats.logins).toBe(2);
  });

  it("logs in again when the token expires", async () => {
    let now = 1_000_000;
    const { wms, client } = await wmsWithClient({ tokenTtlSeconds: 60, now: () => now });
    await client.write(wmsRecord("A-1"));
    now += 61_000;

    const result = await client.write(wmsRecord("A-2"));

    expect(result.outcome).toBe("created");
    expect(wms.stats.logins).toBe(2);
  });

  it("shares one re-login among 50 parallel writes after the token is revoked", async () => {
    const { wms, client } = await wmsWithClient();
    await client.login();
    wms.invalidateTokens();
    const records = Array.from({ length: 50 }, (_, i) => wmsRecord(`P-${i}`));

    const results = await Promise.all(records.map((record) => client.write(record)));

    expect(results.every((r) => r.outcome === "created")).toBe(true);
    expect(wms.products.size).toBe(50);
    expect(wms.stats.logins).toBe(2);
  });

  it("refuses bad credentials with ProductAuthError naming product and tenant, never the password", async () => {
    const wms = createWmsSandbox();
    const url = await serve(wms.app);
    const log = recordingLog();
    const password = "fake-wrong-password-value";
    const client = new WmsClient(
      clientOptions(url, { username: SANDBOX_WMS_CREDENTIALS.username, password }, { log }),
    );

    const error = await client.write(wmsRecord("A-1")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProductAuthError);
    expect((error as Error).message).toContain("wms");
    expect((error as Error).message).toContain("acme-test");
    expect((error as Error).message).toContain("Invalid username or password");
    expect((error as Error).message).not.toContain(password);
    expect(log.lines.join("\n")).not.toContain(password);
    expect(wms.products.size).toBe(0);
  });

  it("stops with ProductAuthError when even a fresh token is refused", async () => {
    const { wms, client } = await wmsWithClient();
    await client.login();
    wms.refuseTokens(true);

    const error = await client.write(wmsRecord("A-1")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProductAuthError);
    expect(wms.stats.logins).toBe(2);
  });
});

describe("WmsClient under the WMS's transient failures", () => {
  it("waits as long as Retry-After says when throttled, then writes", async () => {
    const wms = createWmsSandbox();
    const policy = recordingPolicy({}, () => wms.setFaults({ rateLimitShare: 0 }));
    const url = await serve(wms.app);
    const client = new WmsClient(clientOptions(url, SANDBOX_WMS_CREDENTIALS, { policy }));
    await client.login();
    wms.setFaults({ rateLimitShare: 1, retryAfterSeconds: 3 });

    const result = await client.write(wmsRecord("A-1"));

    expect(result.outcome).toBe("created");
    expect(policy.waits).toEqual([3000]);
  });

  it("gives up with ExternalCallError after retryAttempts retries of a 5xx", async () => {
    const { wms, client } = await wmsWithClient({}, recordingPolicy({ retryAttempts: 2 }));
    await client.login();
    wms.setFaults({ serverErrorShare: 1 });

    const error = await client.write(wmsRecord("A-1")).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ExternalCallError);
    expect(error).toMatchObject({ service: "wms", status: 500, retryable: true });
    expect(wms.stats.byStatus[500]).toBe(3);
    expect(wms.products.size).toBe(0);
  });

  it("never sends a create again within the call: a 5xx may come after the WMS applied it", async () => {
    // prepare: the WMS applies the first create, then its gateway answers 502
    const wms = createWmsSandbox();
    let failing = 1;
    const app = new Hono();
    app.post("/products", async (c) => {
      const answer = await wms.app.request(c.req.raw);
      return failing-- > 0 ? c.json({ message: "Bad gateway" }, 502) : answer;
    });
    app.route("/", wms.app);
    const client = new WmsClient(
      clientOptions(await serve(app), SANDBOX_WMS_CREDENTIALS, { policy: recordingPolicy() }),
    );

    // act: the write that failed, then the record written again (its chunk came back)
    const error = await client.write(wmsRecord("A-1")).catch((e: unknown) => e);
    const retried = await client.write(wmsRecord("A-1"));

    // assess: the second write looked the record up and updated it
    expect(error).toMatchObject({ service: "wms", status: 502, retryable: true });
    expect(retried.outcome).toBe("updated");
    expect(wms.products.allByExternalId("A-1")).toHaveLength(1);
  });

  it("never sends a create again when the connection drops after the WMS applied it", async () => {
    // prepare: the WMS applies the first create, then the connection closes before any answer
    const wms = createWmsSandbox();
    let dropping = 1;
    const app = new Hono();
    app.post("/products", async (c) => {
      const answer = await wms.app.request(c.req.raw);
      if (dropping-- > 0) (c.env as HttpBindings).incoming.socket.destroy();
      return answer;
    });
    app.route("/", wms.app);
    const client = new WmsClient(
      clientOptions(await serve(app), SANDBOX_WMS_CREDENTIALS, { policy: recordingPolicy() }),
    );

    // act: the write that failed, then the record written again (its chunk came back)
    const error = await client.write(wmsRecord("A-1")).catch((e: unknown) => e);
    const retried = await client.write(wmsRecord("A-1"));

    // assess
    expect(error).toMatchObject({ service: "wms", status: "network", retryable: true });
    expect(retried.outcome).toBe("updated");
    expect(wms.products.allByExternalId("A-1")).toHaveLength(1);
  });

  it("leaves one product when a create times out after the WMS applied it, and the record is written again", async () => {
    // prepare: the WMS applies the first create but answers it after the client's timeout
    const wms = createWmsSandbox();
    let late = 1;
    const app = new Hono();
    app.post("/products", async (c) => {
      const answer = await wms.app.request(c.req.raw);
      if (late-- > 0) await new Promise((resolve) => setTimeout(resolve, 300));
      return answer;
    });
    app.route("/", wms.app);
    const policy = recordingPolicy({ timeoutMs: 100 });
    const client = new WmsClient(clientOptions(await serve(app), SANDBOX_WMS_CREDENTIALS, { policy }));

    // act: the write that timed out, then the record written again (its chunk came back)
    const error = await client.write(wmsRecord("A-1")).catch((e: unknown) => e);
    const retried = await client.write(wmsRecord("A-1"));

    // assess
    expect(error).toMatchObject({ service: "wms", status: "timeout", retryable: true });
    expect(retried.outcome).toBe("updated");
    expect(wms.products.allByExternalId("A-1")).toHaveLength(1);
  });
});
