import { afterEach, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { MAPPINGS } from "../../mappings/index.js";
import kongMapping from "../../mappings/kong.js";
import { runInProcess } from "../../runtime/local/in-process.js";
import { withSandboxUrls } from "../../runtime/local/tenants.js";
import { dynamoPipelineStore } from "../../runtime/store/dynamo.js";
import { openStore, type Store } from "../../runtime/store/local.js";
import type { MappingDefinition } from "../../runtime/sync/mapping.js";
import { loadTenants } from "../../runtime/tenants/registry.js";
import type { Tenant } from "../../runtime/tenants/schema.js";
import { type LocalSandboxes, type LocalSandboxOptions, startSandboxes } from "../../sandbox/local.js";
import { quietLog } from "../support/log.js";

// The catalogue as Siesa really serves it (SYSTEM.md §4), synced by the one engine against the
// sandboxes: barcodes joined by reference reach Kong as ean and properties, and a record's identity
// is its f120_id, so a renamed reference updates the SKU it already has.

let demo: Tenant;
const opened: LocalSandboxes[] = [];

beforeAll(async () => {
  demo = (await loadTenants()).require("demo");
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** A fresh, empty ledger and run store. */
async function newStore(): Promise<Store> {
  const opened_ = await openStore({ prefix: `cat-${Math.random().toString(36).slice(2, 8)}` });
  stores.push(opened_);
  return opened_;
}

async function world(options: Partial<LocalSandboxOptions> = {}) {
  const sandboxes = await startSandboxes({ product: "kong-rfid", items: 600, seed: 21, ...options });
  opened.push(sandboxes);
  let ledger = await newStore();
  const run = async (options: { forgetLedger?: boolean; mapping?: string } = {}) => {
    if (options.forgetLedger) ledger = await newStore();
    return runInProcess({
      tenant: withSandboxUrls({ ...demo, mapping: options.mapping ?? demo.mapping }, sandboxes),
      credentials: sandboxes.credentials,
      store: dynamoPipelineStore(ledger.doc, ledger.names),
      log: quietLog,
      policy: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 10_000, sleep: async () => {} },
      retryBaseSeconds: 0,
      timeScale: 0.01,
    });
  };
  const kong = sandboxes.kong;
  if (!kong) throw new Error("demo is a Kong RFID tenant");
  return { kong, siesa: sandboxes.siesa, run };
}

describe("a catalogue with an item beyond a SQL int (f120_id 2^31)", () => {
  it("ends the run failed with a reason naming the id: no item disappears while the run says succeeded", async () => {
    const { kong, run } = await world({ items: 50, beyondIntIds: 1 });

    const summary = await run();

    expect(summary.status).toBe("failed");
    expect(summary.reason).toMatch(
      /Siesa holds items outside the f120_id range .*\(f120_id 2147483648, tenant demo\)/,
    );
    expect(kong.skus.size).toBe(0); // stopped before writing: the next run, once fixed, writes them all
  });
});

describe("the catalogue as Siesa serves it, synced to Kong", () => {
  it("gives every item its inventory unit's barcode as ean, and every barcode with its unit in properties", async () => {
    const { kong, siesa, run } = await world();
    const catalogue = siesa.catalogue;

    const summary = await run();

    expect(summary.status).toBe("succeeded");
    const ids = catalogue.companyItemIds();
    let withEan = 0;
    for (const id of ids) {
      const sku = kong.skus.getByExternalId(String(id));
      const barcodes = catalogue.barcodesOf(id).map((row) => ({
        barcode: String(row.f131_id).trim(),
        unit: String(row.f131_id_unidad_medida).trim(),
      }));
      // The generated catalogue's first barcode of an item is its inventory unit's, the second its pack's.
      expect(sku?.ean).toBe(barcodes[0]?.barcode ?? null);
      expect(sku?.properties.barcodes).toEqual(
        [...barcodes].sort((a, b) => (a.barcode < b.barcode ? -1 : a.barcode > b.barcode ? 1 : 0)),
      );
      if (sku?.ean) withEan += 1;
    }
    expect(withEan).toBeGreaterThan(ids.length / 2);
  });

  it("updates the same SKU in place when 3 references are renamed: no new SKU", async () => {
    const { kong, siesa, run } = await world();
    await run();
    const before = kong.skus.size;
    kong.resetStats();

    const renamed = siesa.catalogue.renameItems(3);
    const summary = await run();

    expect(summary.counts).toMatchObject({ created: 0, updated: 3 });
    expect(kong.stats.creates).toBe(0);
    expect(kong.skus.size).toBe(before);
    for (const id of renamed) {
      const sku = kong.skus.getByExternalId(String(id));
      expect(sku?.reference).toMatch(/-R\d+$/);
    }
  });

  it("updates the same SKUs even when the ledger has no entry for them (a new store, renamed references)", async () => {
    const { kong, siesa, run } = await world();
    await run();
    const before = kong.skus.size;
    kong.resetStats();

    const renamed = siesa.catalogue.renameItems(3);
    const summary = await run({ forgetLedger: true });

    expect(summary.counts).toMatchObject({ created: 0, updated: before });
    expect(kong.stats.creates).toBe(0);
    expect(kong.skus.size).toBe(before);
    for (const id of renamed) expect(kong.skus.getByExternalId(String(id))?.reference).toMatch(/-R\d+$/);
  });

  it("re-keys in place the SKUs it wrote under an older key (the reference) on the first run keyed on f120_id", async () => {
    // An earlier mapping keyed external_id on the reference; the ledger remembers each SKU's Kong id.
    const mappings = MAPPINGS as Record<string, MappingDefinition>;
    mappings["kong-by-reference"] = {
      ...kongMapping,
      name: "kong-by-reference",
      externalId: "sku",
      payload: { ...kongMapping.payload, external_id: "sku" },
    };
    onTestFinished(() => {
      delete mappings["kong-by-reference"];
    });
    const { kong, siesa, run } = await world();
    await run({ mapping: "kong-by-reference" });
    const before = kong.skus.size;
    kong.resetStats();

    const summary = await run();

    expect(summary.counts).toMatchObject({ created: 0, updated: before });
    expect(kong.stats.creates).toBe(0);
    expect(kong.skus.size).toBe(before);
    for (const id of siesa.catalogue.companyItemIds()) {
      expect(kong.skus.getByExternalId(String(id))).toBeDefined();
    }
  });
});
