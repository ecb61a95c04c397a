import { afterEach, describe, expect, it } from "vitest";
import { runInProcess } from "../../runtime/cli/in-process.js";
import { defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import type { Ledger } from "../../runtime/core/ports/pipeline.js";
import { markForRepair } from "../../runtime/core/verify/repair.js";
import { verifyTenant } from "../../runtime/core/verify/verify.js";
import { createProductClient } from "../../runtime/edges/http/products/index.js";
import { withSandboxUrls } from "../../runtime/edges/local/tenants.js";
import { memoryPipelineStore } from "../../runtime/edges/store/memory.js";
import { startSandboxes } from "../../sandbox/local.js";
import { quietLog } from "../support/log.js";
import { aTenant } from "../tenants/factories.js";

// A WMS tenant as a pull request would add it, synced from the Siesa sandbox into a WMS sandbox that
// answers as the WMS team's collection shows (200 on create, `variant_id` rows, duplicates accepted,
// `external_id` required on PATCH, `status` only).

const fastPolicy = { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 10_000, sleep: async () => {} };
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

async function wmsWorld(items: number) {
  const sandboxes = await startSandboxes({ product: "wms", items, seed: 11, malformedShare: 0 });
  opened.push(sandboxes);
  const wms = sandboxes.wms;
  if (!wms) throw new Error("a WMS world");
  const tenant = withSandboxUrls(
    aTenant((t) => {
      t.product = {
        type: "wms",
        baseUrl: "https://wms.example/",
        endpoints: {},
        defaults: { "inventory_unit.KLS": "KILOGRAM", reception_type: "GENERAL" },
      };
      t.mapping = "wms";
    }),
    sandboxes,
  );
  let store = memoryPipelineStore();
  const sync = (options: { trigger?: "repair"; ledger?: Ledger } = {}) =>
    runInProcess({
      tenant,
      credentials: sandboxes.credentials,
      store: options.ledger ? { ...store, ledger: options.ledger } : store,
      log: quietLog,
      policy: fastPolicy,
      retryBaseSeconds: 0,
      timeScale: 0.01,
      ...(options.trigger ? { trigger: options.trigger } : {}),
    });
  const verify = () =>
    verifyTenant({
      tenant,
      ledger: store.ledger,
      product: createProductClient("wms", {
        baseUrl: tenant.product.baseUrl,
        endpoints: tenant.product.endpoints,
        credentials: sandboxes.credentials.product,
        policy: defaultPolicy(fastPolicy),
        tenantId: tenant.id,
        log: quietLog,
      }),
    });
  /** The local state is lost: a new, empty store (the product keeps what it holds). */
  const loseState = () => {
    store = memoryPipelineStore();
  };
  const perExternalId = () => {
    const counts = new Map<string, number>();
    for (const p of wms.products.list()) counts.set(p.external_id, (counts.get(p.external_id) ?? 0) + 1);
    return counts;
  };
  return { sandboxes, wms, tenant, sync, verify, loseState, perExternalId, store: () => store };
}

describe("a WMS tenant", () => {
  it("creates one product per item with the documented body, and after the local state is lost creates none again", async () => {
    const { wms, sync, loseState, perExternalId } = await wmsWorld(60);

    const first = await sync();
    loseState();
    const afterLoss = await sync();

    expect(first.status).toBe("succeeded");
    expect(first.counts.created).toBe(60);
    expect(wms.products.size).toBe(60);
    expect(afterLoss.counts).toMatchObject({ created: 0, updated: 60 });
    expect([...perExternalId().values()].every((n) => n === 1)).toBe(true);
    const [one] = wms.products.list();
    expect(Object.keys(one ?? {}).sort()).toEqual(
      expect.arrayContaining([
        "name",
        "display_name",
        "external_id",
        "reference_id",
        "status",
        "inventory_unit",
      ]),
    );
    expect(one).not.toHaveProperty("active");
    expect(one).toMatchObject({ status: "ACTIVE", reception_type: "GENERAL" });
  });

  it("deactivates a removed item by its status, and reactivates it when it comes back", async () => {
    const { sandboxes, wms, sync } = await wmsWorld(40);
    await sync();
    const [gone] = sandboxes.siesa.catalogue.companyItemIds();
    if (gone === undefined) throw new Error("an empty catalogue");

    sandboxes.siesa.catalogue.removeItems([gone]);
    const removed = await sync();
    const whileGone = wms.products.allByExternalId(String(gone));
    sandboxes.siesa.catalogue.restoreItems([gone]);
    const back = await sync();

    expect(removed.counts.deactivated).toBe(1);
    expect(whileGone.map((p) => p.status)).toEqual(["INACTIVE"]);
    expect(back.counts).toMatchObject({ reactivated: 1 });
    expect(wms.products.allByExternalId(String(gone)).map((p) => p.status)).toEqual(["ACTIVE"]);
  });

  it("verifies what the WMS lists, and a repair run restores an edited and a deleted product", async () => {
    const { wms, sync, verify, store } = await wmsWorld(30);
    await sync();
    const [edited, deleted] = wms.products.list();
    if (!edited || !deleted) throw new Error("fewer than 2 products");
    wms.products.edit(edited.id, { name: "renamed in the WMS", external_id: edited.external_id });
    wms.products.remove(deleted.id);

    const found = await verify();
    await markForRepair(store().ledger, found, new Date());
    await sync({ trigger: "repair" });
    const after = await verify();

    expect(found.counts).toEqual({ ok: 28, missing: 1, drifted: 1, unknown: 0 });
    expect(after.counts).toEqual({ ok: 30, missing: 0, drifted: 0, unknown: 0 });
    expect(wms.products.allByExternalId(edited.external_id).map((p) => p.name)).not.toContain(
      "renamed in the WMS",
    );
  });

  it("creates nothing twice when a chunk's ledger write fails after its products were created", async () => {
    const { wms, sync, store, perExternalId } = await wmsWorld(30);
    const real = store().ledger;
    let failures = 1;
    const failingOnce: Ledger = {
      getMany: (tenantId, keys) => real.getMany(tenantId, keys),
      all: (tenantId) => real.all(tenantId),
      putMany: async (tenantId, entries) => {
        if (failures-- > 0) throw new Error("DynamoDB: the connection was reset");
        return real.putMany(tenantId, entries);
      },
    };

    const run = await sync({ ledger: failingOnce });

    expect(run.status).toBe("succeeded");
    expect(wms.products.size).toBe(30);
    expect([...perExternalId().values()].every((n) => n === 1)).toBe(true);
  });
});
