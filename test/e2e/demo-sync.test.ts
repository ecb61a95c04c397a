import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { type RunSummary, runInProcess } from "../../runtime/cli/in-process.js";
import type { Counts } from "../../runtime/core/domain/model.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import { withSandboxUrls } from "../../runtime/edges/local/tenants.js";
import { dynamoPipelineStore } from "../../runtime/edges/store/dynamo.js";
import { RunStore } from "../../runtime/edges/store/runs.js";
import { openStore } from "../../runtime/wiring/local-store.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { itemId } from "../../sandbox/catalogue.js";
import { type LocalSandboxOptions, startSandboxes } from "../../sandbox/local.js";
import { quietLog } from "../support/log.js";

// The whole sync of the demo tenant as `npm run sync` runs it: the pipeline's steps over in-process
// queues, real Siesa and Kong sandboxes over HTTP, the real clients and mapping, the record ledger and
// run records in DynamoDB (embedded dynalite).

// Retries and Retry-After waits are honoured, just scaled down: a test should not sleep for seconds.
// The timeout stays generous (a loaded CI machine is slow) except where hangs are injected on purpose.
const fastPolicy = (timeoutMs = 10_000) => ({
  baseDelayMs: 1,
  maxDelayMs: 5,
  timeoutMs,
  sleep: async () => {},
});

const invariantHolds = (c: Counts) =>
  c.extracted === c.created + c.updated + c.unchanged + c.rejected + c.failed;

let demo: Tenant;

beforeAll(async () => {
  demo = (await loadTenants()).require("demo");
});

async function demoWorld(options: Partial<LocalSandboxOptions> = {}, timeoutMs?: number) {
  const store = await openStore({ prefix: `e2e-${Math.random().toString(36).slice(2, 8)}` });
  const sandboxes = await startSandboxes({ product: "kong-rfid", items: 1_000, seed: 7, ...options });
  const close = async () => {
    await sandboxes.close();
    await store.close();
  };
  const runs = new RunStore(store.doc, store.names.runs);
  const run = (dryRun = false) =>
    runInProcess({
      tenant: withSandboxUrls(demo, sandboxes),
      credentials: sandboxes.credentials,
      store: dynamoPipelineStore(store.doc, store.names),
      log: quietLog,
      dryRun,
      policy: fastPolicy(timeoutMs),
      // Failed messages come back at once instead of after their backoff.
      retryBaseSeconds: 0,
      timeScale: 0.01,
    });
  const kong = sandboxes.kong;
  if (!kong) throw new Error("demo is a Kong RFID tenant");
  return { sandboxes, kong, siesa: sandboxes.siesa, runs, run, close };
}

describe("demo sync, end to end", () => {
  // One world synced once: every test starts from the catalogue in Kong and ends with it there again,
  // so each pays for its own runs only, not for a first sync of 1,000 items.
  let world: Awaited<ReturnType<typeof demoWorld>>;
  let first: RunSummary;
  let skusAfterFirst: number;
  beforeAll(async () => {
    world = await demoWorld();
    first = await world.run();
    skusAfterFirst = world.kong.skus.size;
  });
  afterAll(async () => {
    await world?.close();
  });
  beforeEach(() => {
    world.kong.resetStats();
  });

  it("creates all 1,000 items in Kong and records the run", async () => {
    const { runs } = world;

    expect(first.status).toBe("succeeded");
    expect(first.counts).toEqual({
      extracted: 1000,
      created: 1000,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      failed: 0,
      deactivated: 0,
      reactivated: 0,
    });
    expect(skusAfterFirst).toBe(1000);
    const stored = await runs.get(demo.id, first.runId);
    expect(stored).toMatchObject({ status: "succeeded", trigger: "cli", counts: first.counts });
  });

  it("writes nothing on a second run: every record is unchanged", async () => {
    const { kong, run } = world;

    const second = await run();

    expect(second.counts).toEqual({
      extracted: 1000,
      created: 0,
      updated: 0,
      unchanged: 1000,
      rejected: 0,
      failed: 0,
      deactivated: 0,
      reactivated: 0,
    });
    expect(kong.stats.creates + kong.stats.patches + kong.stats.puts).toBe(0);
  });

  it("updates exactly the 10 items changed in Siesa", async () => {
    const { kong, siesa, run } = world;
    const changed = siesa.catalogue.changeItems(10);

    const summary = await run();

    expect(summary.counts).toMatchObject({ extracted: 1000, updated: 10, unchanged: 990, created: 0 });
    expect(kong.stats.patches).toBe(10);
    const changedRow = siesa.catalogue.items.find((r) => itemId(r) === changed[0] && r.f120_id_cia === 1);
    const sku = kong.skus.getByExternalId(String(changed[0]));
    expect(sku?.name).toBe(String(changedRow?.f120_descripcion ?? changedRow?.["f120_descripcion  "]).trim());
  });

  it("dry run reports what would change and writes nothing", async () => {
    const { kong, siesa, run } = world;
    siesa.catalogue.changeItems(3);

    const summary = await run(true);

    expect(summary.counts).toMatchObject({ updated: 3, unchanged: 997 });
    expect(summary.changes).toHaveLength(3);
    expect(kong.stats.patches + kong.stats.creates).toBe(0);
    expect((await run()).counts.updated).toBe(3); // the ledger did not learn anything from the dry run
  });
});

describe("demo sync, end to end, against failing APIs", () => {
  it("keeps every record accounted for under 429s, 500s, timeouts and malformed rows", async () => {
    // A hung request is abandoned after 1.5 s: far above a normal answer even on a busy machine.
    const faults = { rateLimitShare: 0.08, serverErrorShare: 0.08, timeoutShare: 0.02, hangMs: 6_000 };
    const { kong, siesa, run, close } = await demoWorld(
      { malformedShare: 0.02, siesaFaults: { seed: 3, ...faults }, productFaults: { seed: 5, ...faults } },
      1_500,
    );
    onTestFinished(close);
    const malformed = siesa.catalogue.malformedIds;

    const faulty = await run();

    expect(invariantHolds(faulty.counts)).toBe(true);
    expect(faulty.counts.extracted).toBe(1000); // Siesa's failures were retried: nothing lost
    expect(faulty.counts.rejected).toBeGreaterThanOrEqual(malformed.size);
    // A write that timed out may still have landed; it is then found and patched on retry.
    expect(kong.skus.size).toBeGreaterThanOrEqual(faulty.counts.created + faulty.counts.updated);
    const rejectedKeys = faulty.errors.filter((e) => e.outcome === "rejected").map((e) => Number(e.key));
    expect(rejectedKeys).toEqual(expect.arrayContaining([...malformed].slice(0, 10)));

    // Once the APIs recover, everything that failed goes through and nothing is written twice.
    siesa.setFaults({ rateLimitShare: 0, serverErrorShare: 0, timeoutShare: 0 });
    kong.setFaults({ rateLimitShare: 0, serverErrorShare: 0, timeoutShare: 0 });
    const healed = await run();

    expect(invariantHolds(healed.counts)).toBe(true);
    expect(healed.counts.rejected).toBe(malformed.size);
    expect(healed.counts.failed).toBe(0);
    expect(kong.skus.size).toBe(1000 - malformed.size);
  });
});
