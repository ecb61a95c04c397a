import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runInProcess } from "../../runtime/cli/in-process.js";
import type { Counts } from "../../runtime/core/domain/model.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import type { CallPolicy } from "../../runtime/core/ports/call-policy.js";
import { withSandboxUrls } from "../../runtime/edges/local/tenants.js";
import { dynamoPipelineStore } from "../../runtime/edges/store/dynamo.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import type { SiesaSandboxOptions } from "../../sandbox/siesa.js";
import { quietLog } from "../support/log.js";

// Whole runs of the demo tenant against a Siesa that misbehaves as the real Siesa Cloud may
// (docs/integrations/INT-001-siesa.md): each run ends in an outcome an operator can act on, and
// no record is lost, written twice, or taken for gone on Siesa's word alone.

let demo: Tenant;
beforeAll(async () => {
  demo = (await loadTenants()).require("demo");
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface RunOptions {
  policy?: Partial<CallPolicy>;
  credentials?: LocalSandboxes["credentials"];
  onProgress?: (counts: Readonly<Counts>) => void;
}

/** Sandboxes holding `items` items, Siesa told to behave as `siesa` says, and runs of demo against them. */
async function world(items: number, siesa: Partial<Omit<SiesaSandboxOptions, "catalogue" | "faults">> = {}) {
  const sandboxes: LocalSandboxes = await startSandboxes({ product: "kong-rfid", items, seed: 21 });
  closers.push(() => sandboxes.close());
  sandboxes.siesa.setOptions(siesa);
  const store: Store = await openStore({ prefix: `faults-${Math.random().toString(36).slice(2, 8)}` });
  closers.push(() => store.close());
  const kong = sandboxes.kong;
  if (!kong) throw new Error("demo is a Kong RFID tenant");
  const run = (options: RunOptions = {}) =>
    runInProcess({
      tenant: withSandboxUrls({ ...demo, sync: { ...demo.sync, concurrency: 4 } }, sandboxes),
      credentials: options.credentials ?? sandboxes.credentials,
      store: dynamoPipelineStore(store.doc, store.names),
      log: quietLog,
      policy: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 2_000, sleep: async () => {}, ...options.policy },
      retryBaseSeconds: 0,
      timeScale: 0.01,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  return { sandboxes, siesa: sandboxes.siesa, kong, run };
}

describe("a Siesa that answers 'no records' to the f120_id ranges the reading filters on", () => {
  it("fails a first sync naming the query, instead of succeeding with an empty catalogue", async () => {
    // prepare: a Siesa whose >= answers "No se encontraron registros" (a refused operator or a
    // column the query lacks may be answered so), yet holding 300 items of the tenant's company
    const { kong, run } = await world(300, { noRecords: (r) => (r.parametros ?? "").includes(">=") });

    // act
    const summary = await run();

    // assess: absence needs evidence; asked without the ranges, Siesa holds items
    expect(summary.status).toBe("failed");
    expect(summary.reason).toMatch(
      /API_v2_Items answered no item of company \d+ in ranges of f120_id, yet holds f120_id \d+ when asked without them \(tenant demo\)/,
    );
    expect(kong.skus.size).toBe(0);
  });
});
