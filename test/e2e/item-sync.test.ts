import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runInProcess } from "../../runtime/cli/in-process.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import type { LedgerEntry } from "../../runtime/core/ports/records.js";
import { withSandboxUrls } from "../../runtime/edges/local/tenants.js";
import { type MemoryPipelineStore, memoryPipelineStore } from "../../runtime/edges/store/memory.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import { quietLog } from "../support/log.js";

// A run of one item on demand (`sync --item`, POST /tenants/:id/items/:f120Id/sync), through the
// pipeline's steps against the sandboxes: it reads that one f120_id and its barcodes, writes it to
// Kong, and touches no other record of the ledger or the product (deactivating none).

let demo: Tenant;
const opened: LocalSandboxes[] = [];

beforeAll(async () => {
  demo = (await loadTenants()).require("demo");
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function world() {
  const sandboxes = await startSandboxes({ product: "kong-rfid", items: 60, seed: 24, malformedShare: 0 });
  opened.push(sandboxes);
  const store: MemoryPipelineStore = memoryPipelineStore();
  const run = (item?: number) =>
    runInProcess({
      // No limit to hide behind: were the run to deactivate, it would apply what it found.
      tenant: withSandboxUrls({ ...demo, sync: { ...demo.sync, maxDeactivations: 1_000 } }, sandboxes),
      credentials: sandboxes.credentials,
      store,
      log: quietLog,
      ...(item !== undefined ? { item } : {}),
      policy: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 10_000, sleep: async () => {} },
      retryBaseSeconds: 0,
      timeScale: 0.01,
    });
  const kong = sandboxes.kong;
  if (!kong) throw new Error("demo is a Kong RFID tenant");
  const ledger = async () => {
    const entries = new Map<string, LedgerEntry>();
    for await (const page of store.ledger.all(demo.id)) for (const e of page) entries.set(e.key, e);
    return entries;
  };
  return { kong, siesa: sandboxes.siesa, store, run, ledger };
}

const barcodesOf = (rows: { f131_id?: unknown; f131_id_unidad_medida?: unknown }[]) =>
  rows
    .map((row) => ({ barcode: String(row.f131_id).trim(), unit: String(row.f131_id_unidad_medida).trim() }))
    .sort((a, b) => (a.barcode < b.barcode ? -1 : a.barcode > b.barcode ? 1 : 0));

describe("a run of one item", () => {
  it("writes that item with its barcodes to an empty product, with its ledger entry and audit lines", async () => {
    const { kong, siesa, store, run, ledger } = await world();
    const [item] = siesa.catalogue.companyItemIds().slice(7, 8) as [number];

    const summary = await run(item);

    expect(summary.status).toBe("succeeded");
    expect(summary.counts).toMatchObject({ extracted: 1, created: 1, updated: 0, deactivated: 0 });
    expect(kong.skus.size).toBe(1);
    const sku = kong.skus.getByExternalId(String(item));
    expect(sku?.properties.barcodes).toEqual(barcodesOf(siesa.catalogue.barcodesOf(item)));
    expect([...(await ledger()).keys()]).toEqual([String(item)]);
    expect((await ledger()).get(String(item))?.runId).toBe(summary.runId);
    expect((await store.runs.get(demo.id, summary.runId))?.item).toBe(item);
    const audit = store.audit.entries.filter((e) => e.runId === summary.runId);
    expect(audit.map((e) => e.action)).toEqual(["run requested", "run finished"]);
    expect(audit[0]?.detail).toMatchObject({ item });
  });

  it("rewrites the item now, leaves every other ledger record as it was and deactivates none of the items gone from Siesa", async () => {
    const { kong, siesa, run, ledger } = await world();
    expect((await run()).status).toBe("succeeded");
    const [renamed] = siesa.catalogue.renameItems(1) as [number];
    const gone = siesa.catalogue
      .companyItemIds()
      .filter((id) => id !== renamed)
      .slice(0, 3);
    siesa.catalogue.removeItems(gone); // a full run would deactivate these three
    const before = await ledger();
    kong.resetStats();

    const summary = await run(renamed);

    expect(summary.status).toBe("succeeded");
    expect(summary.counts).toMatchObject({ extracted: 1, updated: 1, created: 0, deactivated: 0 });
    expect(kong.stats.creates).toBe(0);
    expect(kong.skus.getByExternalId(String(renamed))?.reference).toMatch(/-R\d+$/);
    for (const id of gone) expect(kong.skus.getByExternalId(String(id))?.is_active).toBe(true);
    expect(kong.skus.list().every((sku) => sku.is_active)).toBe(true);
    const after = await ledger();
    expect(after.get(String(renamed))?.runId).toBe(summary.runId);
    after.delete(String(renamed));
    before.delete(String(renamed));
    expect(after).toEqual(before);
  });

  it("writes an unchanged item again: the operator asked for it now", async () => {
    const { kong, siesa, run } = await world();
    expect((await run()).status).toBe("succeeded");
    const [item] = siesa.catalogue.companyItemIds().slice(3, 4) as [number];
    kong.resetStats();

    const summary = await run(item);

    expect(summary.counts).toMatchObject({ extracted: 1, updated: 1, unchanged: 0 });
    expect(kong.stats.patches + kong.stats.puts).toBe(1);
  });

  it("fails naming the item when Siesa does not have it, and writes nothing", async () => {
    const { kong, run, ledger } = await world();

    const summary = await run(999_999);

    expect(summary.status).toBe("failed");
    expect(summary.reason).toBe("item 999999 not found in Siesa (ERP company 1)");
    expect(kong.skus.size).toBe(0);
    expect((await ledger()).size).toBe(0);
  });
});
