import { afterEach, describe, expect, it } from "vitest";
import { runInProcess } from "../../runtime/cli/in-process.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import { defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import { markForRepair } from "../../runtime/core/verify/repair.js";
import { verifyTenant } from "../../runtime/core/verify/verify.js";
import { createProductClient } from "../../runtime/edges/http/products/index.js";
import { withSandboxUrls } from "../../runtime/edges/local/tenants.js";
import { dynamoPipelineStore } from "../../runtime/edges/store/dynamo.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import { quietLog } from "../support/log.js";
import { aTenant } from "../tenants/factories.js";

// Verify as an operator relies on it: a real sync into the Kong (or WMS) sandbox over HTTP, the ledger
// in DynamoDB (dynalite), then someone edits or deletes records in the product behind our back.

const fastPolicy = { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 10_000, sleep: async () => {} };

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

async function world(product: Tenant["product"]["type"], items: number) {
  const store: Store = await openStore({ prefix: `verify-${Math.random().toString(36).slice(2, 8)}` });
  opened.push(store);
  const sandboxes: LocalSandboxes = await startSandboxes({ product, items, seed: 5, malformedShare: 0 });
  opened.push(sandboxes);
  const tenant = withSandboxUrls(
    aTenant((t) => {
      if (product === "wms") {
        // The sandbox catalogue has KLS items too: the tenant's unit map names the WMS's unit for them.
        t.product = {
          type: "wms",
          baseUrl: "https://wms.example/",
          endpoints: {},
          defaults: { "inventory_unit.KLS": "KILOGRAM" },
        };
        t.mapping = "wms";
      }
    }),
    sandboxes,
  );
  const pipelineStore = dynamoPipelineStore(store.doc, store.names);
  const sync = (trigger?: "repair") =>
    runInProcess({
      tenant,
      credentials: sandboxes.credentials,
      store: pipelineStore,
      log: quietLog,
      policy: fastPolicy,
      retryBaseSeconds: 0,
      timeScale: 0.01,
      ...(trigger ? { trigger } : {}),
    });
  const verify = (options: Partial<Parameters<typeof verifyTenant>[0]> = {}) =>
    verifyTenant({
      ...options,
      tenant,
      ledger: pipelineStore.ledger,
      product: createProductClient(tenant.product.type, {
        baseUrl: tenant.product.baseUrl,
        endpoints: tenant.product.endpoints,
        credentials: sandboxes.credentials.product,
        policy: defaultPolicy(fastPolicy),
        tenantId: tenant.id,
        log: quietLog,
      }),
    });
  return { tenant, sandboxes, store: pipelineStore, sync, verify };
}

describe("verify against Kong RFID", () => {
  it("finds every record ok right after a sync, reading the customer's SKUs over several pages", async () => {
    const { sandboxes, sync, verify } = await world("kong-rfid", 150);
    await sync();
    sandboxes.kong?.resetStats();

    const report = await verify();

    expect(report.counts).toEqual({ ok: 150, missing: 0, drifted: 0, unknown: 0 });
    expect(report.read).toEqual({ product: 150, ledger: 150 });
    expect(report.differences).toEqual([]);
    expect(sandboxes.kong?.stats.lists).toBe(2); // 100 per page
  });

  it("finds 3 edited and 2 deleted SKUs, and a repair run restores them", async () => {
    const { sandboxes, store, sync, verify } = await world("kong-rfid", 60);
    await sync();
    const kong = sandboxes.kong;
    if (!kong) throw new Error("a Kong world");
    const [a, b, c, d, e] = kong.skus.list();
    if (!a || !b || !c || !d || !e) throw new Error("the sync wrote fewer than 5 SKUs");
    const original = { a: a.name, b: b.ean, c: c.is_active };
    kong.skus.edit(a.id, { name: "renamed in Kong's console" });
    kong.skus.edit(b.id, { ean: "0000000000000" });
    kong.skus.edit(c.id, { is_active: !c.is_active });
    kong.skus.remove(d.id);
    kong.skus.remove(e.id);

    const found = await verify();

    expect(found.counts).toEqual({ ok: 55, missing: 2, drifted: 3, unknown: 0 });
    const byStatus = (status: string) =>
      found.differences
        .filter((x) => x.status === status)
        .map((x) => x.productId)
        .sort();
    expect(byStatus("drifted")).toEqual([a.id, b.id, c.id].map(String).sort());
    expect(byStatus("missing")).toEqual([d.id, e.id].map(String).sort());
    expect(found.differences.find((x) => x.productId === String(a.id))).toMatchObject({
      externalId: a.external_id,
      detail: expect.stringMatching(/^changed in the product since run \S+ wrote it/),
    });

    expect(await markForRepair(store.ledger, found, new Date())).toBe(5);
    const repair = await sync("repair");

    expect(await store.runs.get(repair.tenantId, repair.runId)).toMatchObject({ trigger: "repair" });
    expect(repair).toMatchObject({
      status: "succeeded",
      counts: { extracted: 60, updated: 3, created: 2, unchanged: 55, rejected: 0, failed: 0 },
    });
    expect(kong.skus.get(a.id)?.name).toBe(original.a);
    expect(kong.skus.get(b.id)?.ean).toBe(original.b);
    expect(kong.skus.get(c.id)?.is_active).toBe(original.c);
    expect(kong.skus.getByExternalId(d.external_id)).toMatchObject({
      name: d.name,
      customer_id: d.customer_id,
    });
    expect(kong.skus.getByExternalId(e.external_id)).toMatchObject({ name: e.name });
    expect((await verify()).counts).toEqual({ ok: 60, missing: 0, drifted: 0, unknown: 0 });
  });

  it("counts SKUs a run set inactive as ok, and one made active again in Kong as drifted, which repair deactivates again", async () => {
    const { sandboxes, store, sync, verify } = await world("kong-rfid", 60);
    await sync();
    const kong = sandboxes.kong;
    if (!kong) throw new Error("a Kong world");
    const gone = sandboxes.siesa.catalogue.companyItemIds().slice(0, 3);
    sandboxes.siesa.catalogue.removeItems(gone);
    expect((await sync()).counts.deactivated).toBe(3);
    const [first] = gone.map((id) => kong.skus.getByExternalId(String(id)));
    if (!first) throw new Error("no SKU for a removed item");

    expect((await verify()).counts).toEqual({ ok: 60, missing: 0, drifted: 0, unknown: 0 });

    kong.skus.edit(first.id, { is_active: true });
    const found = await verify();

    expect(found.counts).toEqual({ ok: 59, missing: 0, drifted: 1, unknown: 0 });
    expect(found.differences[0]).toMatchObject({
      productId: String(first.id),
      detail: expect.stringMatching(/^active again in the product since run \S+ set it inactive/),
    });
    expect(await markForRepair(store.ledger, found, new Date())).toBe(1);
    const repair = await sync("repair");
    expect(repair.counts).toMatchObject({ deactivated: 1, created: 0, updated: 0 });
    expect(kong.skus.get(first.id)?.is_active).toBe(false);
    expect((await verify()).counts).toEqual({ ok: 60, missing: 0, drifted: 0, unknown: 0 });
  });

  it("reports the customer's SKUs we never wrote as unknown, and ignores other customers'", async () => {
    const { tenant, sandboxes, sync, verify } = await world("kong-rfid", 20);
    await sync();
    const customer = Number(tenant.product.defaults.customer_id);
    const base = { type_id: 1, group_id: 1 };
    const theirs = sandboxes.kong?.skus.insert({
      ...base,
      external_id: "HAND-1",
      name: "made by hand",
      customer_id: customer,
    });
    sandboxes.kong?.skus.insert({
      ...base,
      external_id: "OTHER-1",
      name: "someone else's",
      customer_id: customer + 1,
    });

    const report = await verify();

    expect(report.counts).toEqual({ ok: 20, missing: 0, drifted: 0, unknown: 1 });
    expect(report.differences).toEqual([
      expect.objectContaining({ status: "unknown", productId: String(theirs?.id), externalId: "HAND-1" }),
    ]);
  });

  it("leaves other customers' SKUs out even when Kong ignores the list's customer filter", async () => {
    const { tenant, sandboxes, sync, verify } = await world("kong-rfid", 20);
    await sync();
    sandboxes.kong?.skus.insert({
      type_id: 1,
      group_id: 1,
      external_id: "OTHER-1",
      name: "someone else's",
      customer_id: Number(tenant.product.defaults.customer_id) + 1,
    });
    sandboxes.kong?.ignoreCustomerFilter(true);

    const report = await verify();

    expect(report.counts).toEqual({ ok: 20, missing: 0, drifted: 0, unknown: 0 });
    expect(report.read.product).toBe(20);
  });

  it("does not take Kong's own normalising (trimmed text, its extra fields) for drift", async () => {
    const { sandboxes, sync, verify } = await world("kong-rfid", 10);
    await sync();
    const [sku] = sandboxes.kong?.skus.list() ?? [];
    if (!sku) throw new Error("no SKU written");
    sandboxes.kong?.skus.edit(sku.id, {
      name: `  ${sku.name}  `,
      upc: "012345678905",
      params: { shelf: "B4" },
    });

    const report = await verify();

    expect(report.counts).toEqual({ ok: 10, missing: 0, drifted: 0, unknown: 0 });
  });

  it("counts a record the engine rewrote after a Siesa change as ok", async () => {
    const { sandboxes, sync, verify } = await world("kong-rfid", 30);
    await sync();
    sandboxes.siesa.catalogue.changeItems(4);
    expect((await sync()).counts.updated).toBe(4);

    expect((await verify()).counts).toEqual({ ok: 30, missing: 0, drifted: 0, unknown: 0 });
  });
});

describe("verify before a deadline (the verify worker's)", () => {
  it("asks for no page that might end after it, and stops with an error naming the command to use", async () => {
    const { tenant, sync, verify } = await world("kong-rfid", 120);
    await sync();
    let clock = 0;
    const now = () => {
      clock += 1_000; // every look at the clock, a second later
      return new Date(clock);
    };

    // The first page fits (asked at 2 s, may take 1 s), the second would not (asked at 3 s).
    await expect(verify({ deadline: { at: 3_500, pageMs: 1_000 }, now })).rejects.toThrow(
      `stopped with 100 records read, 0 s before its time ran out (a page may take 1 s): too many to verify here, use npm run verify -- --tenant ${tenant.id}`,
    );
  });
});

describe("verify against the WMS", () => {
  it("follows the cursor through every product and finds the edited and the deleted one, comparing what the list shows", async () => {
    const { sandboxes, sync, verify } = await world("wms", 130);
    await sync();
    const wms = sandboxes.wms;
    if (!wms) throw new Error("a WMS world");
    const [edited, deleted] = wms.products.list();
    if (!edited || !deleted) throw new Error("the sync wrote fewer than 2 products");
    wms.products.edit(edited.id, { name: "RENAMED IN THE WMS" });
    wms.products.remove(deleted.id);

    const report = await verify();

    expect(report.read).toEqual({ product: 129, ledger: 130 });
    expect(report.counts).toEqual({ ok: 128, missing: 1, drifted: 1, unknown: 0 });
    expect(report.differences.map((x) => [x.status, x.productId])).toEqual([
      ["drifted", edited.id],
      ["missing", deleted.id],
    ]);
  });
});
