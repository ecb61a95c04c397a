import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runInProcess } from "../../runtime/cli/in-process.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import type { CallPolicy } from "../../runtime/core/ports/call-policy.js";
import { withSandboxUrls } from "../../runtime/edges/local/tenants.js";
import { dynamoPipelineStore } from "../../runtime/edges/store/dynamo.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import type { SiesaSandboxOptions } from "../../sandbox/siesa.js";
import { quietLog } from "../support/log.js";

// Whole runs of the demo tenant against a Siesa that refuses a filter form the client writes, or that
// enforces a rate limit: the client adapts (docs/integrations/INT-001-siesa.md, "Filter forms" and
// "Pacing") and every record still ends in one outcome.

let demo: Tenant;
beforeAll(async () => {
  demo = (await loadTenants()).require("demo");
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Sandboxes holding `items` items, Siesa told to behave as `siesa` says, and a run of demo against them. */
async function world(items: number, siesa: Partial<Omit<SiesaSandboxOptions, "catalogue" | "faults">>) {
  const sandboxes: LocalSandboxes = await startSandboxes({ product: "kong-rfid", items, seed: 21 });
  closers.push(() => sandboxes.close());
  sandboxes.siesa.setOptions(siesa);
  const store: Store = await openStore({ prefix: `adapt-${Math.random().toString(36).slice(2, 8)}` });
  closers.push(() => store.close());
  const kong = sandboxes.kong;
  if (!kong) throw new Error("demo is a Kong RFID tenant");
  const run = (options: { concurrency?: number; policy?: Partial<CallPolicy> } = {}) =>
    runInProcess({
      tenant: withSandboxUrls(
        { ...demo, sync: { ...demo.sync, concurrency: options.concurrency ?? demo.sync.concurrency } },
        sandboxes,
      ),
      credentials: sandboxes.credentials,
      store: dynamoPipelineStore(store.doc, store.names),
      log: quietLog,
      policy: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 10_000, sleep: async () => {}, ...options.policy },
      retryBaseSeconds: 0,
      timeScale: 0.01,
    });
  return { siesa: sandboxes.siesa, kong, run };
}

describe("a Siesa that refuses IN lists", () => {
  it("syncs every item with every barcode through OR chains, one refused request in the run", async () => {
    // prepare
    const { siesa, kong, run } = await world(400, { refuseOperators: ["IN"] });
    const catalogue = siesa.catalogue;

    // act
    const summary = await run();

    // assess: every item written once, with its inventory unit's barcode as ean and all its barcodes
    expect(summary.status).toBe("succeeded");
    expect(summary.counts).toMatchObject({ extracted: 400, created: 400, rejected: 0, failed: 0 });
    for (const id of catalogue.companyItemIds()) {
      const sku = kong.skus.getByExternalId(String(id));
      const barcodes = catalogue.barcodesOf(id).map((row) => String(row.f131_id).trim());
      expect(sku?.ean).toBe(barcodes[0] ?? null);
      const written = (sku?.properties.barcodes ?? []) as { barcode: string }[];
      expect(written.map((b) => b.barcode).sort()).toEqual([...barcodes].sort());
    }
    // The run's extract worker holds one client for the tenant: it learnt from one refusal.
    expect(siesa.stats.refused).toBe(1);
  });
});

describe("a Siesa that refuses >=", () => {
  it("ends the run failed, naming the operator and the probe line to read, having written nothing", async () => {
    const { kong, run } = await world(50, { refuseOperators: [">="] });

    const summary = await run();

    expect(summary.status).toBe("failed");
    expect(summary.reason).toMatch(
      /Siesa refused the filter operator '>=' of API_v2_Items \(tenant demo\).*read its "siesa range filter" line/,
    );
    expect(kong.skus.size).toBe(0);
  });
});

describe("a Siesa that enforces its rate limit", () => {
  it("syncs the whole catalogue with units in parallel, slowing down before a 429", async () => {
    // prepare: 10 calls a second, which the run needs several windows for; waits that really wait
    const { siesa, kong, run } = await world(400, { rateLimit: 10, rateLimitWindowMs: 1_000 });
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

    // act
    const summary = await run({ concurrency: 4, policy: { maxDelayMs: 5_000, sleep } });

    // assess: every record one outcome, and Siesa never had to refuse a call. The client counts its
    // calls in flight against what the headers said and keeps room for the tenant's other workers;
    // the first unit's opening burst (ten calls at once, before any answer) fits the limit exactly.
    expect(summary.status).toBe("succeeded");
    expect(summary.counts).toMatchObject({ extracted: 400, created: 400, rejected: 0, failed: 0 });
    expect(kong.skus.size).toBe(400);
    expect(siesa.stats.total).toBeGreaterThan(2 * 10);
    expect(siesa.stats.rateLimited).toBe(0);
  });
});
