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

// Two whole runs each: more than the default timeout on a busy machine.
describe("a Siesa that stops answering in the middle of a run (after about 20:00 Colombia time)", {
  timeout: 90_000,
}, () => {
  it.each(["drop", "hang", "unavailable"] as const)(
    "ends the run failed naming Siesa's host and what happened (%s); the next run writes the rest, each record once",
    async (closed) => {
      // prepare: Siesa closes once it has answered the run's first units
      const { sandboxes, siesa, kong, run } = await world(1_000, { closed, closesAfterRequests: 30 });

      // act
      // A short timeout for the hang alone: on a busy machine it would cut short answers of a Siesa still open.
      const evening = await run(closed === "hang" ? { policy: { timeoutMs: 300 } } : {});
      siesa.setOptions({ closed: undefined });
      const morning = await run();

      // assess: the evening's run failed, saying which host did what; what it read was written once
      const host = new URL(sandboxes.siesaUrl).host;
      expect(evening.counts.extracted).toBeGreaterThan(0);
      expect(evening.status).toBe("failed");
      expect(evening.reason).toContain(`siesa ejecutarconsultaestandar`);
      const said = {
        drop: `(lost the connection to|could not connect to) ${host}`,
        hang: `no answer from ${host} within 300 ms`,
        unavailable: `\\(503 from ${host}\\): .*Service Unavailable`,
      };
      expect(evening.reason).toMatch(new RegExp(said[closed]));
      expect(evening.counts.extracted).toBeLessThan(1_000);
      expect(evening.counts.created).toBe(evening.counts.extracted);
      expect(evening.counts.deactivated).toBe(0);
      // the lease was given back: the morning's run started, and wrote the rest, none twice
      expect(morning.status).toBe("succeeded");
      expect(morning.counts.created).toBe(1_000 - evening.counts.created);
      expect(kong.skus.size).toBe(1_000);
      expect(kong.stats.creates).toBe(1_000);
    },
  );
});

describe("a Siesa that refuses the tenant's ConniKey/ConniToken pair", () => {
  it("stops the run at once, naming the secret to fix, after the first unit's few calls", async () => {
    // prepare
    const { sandboxes, siesa, kong, run } = await world(1_000);
    const wrong = { conniKey: "0123456789abcdef", conniToken: "eyJ.wrong.token" };

    // act
    const summary = await run({ credentials: { ...sandboxes.credentials, siesa: wrong } });

    // assess: one unit's opening calls (its first page, the check beyond the range, the count
    // probes), none retried, no other unit read
    expect(summary.status).toBe("failed");
    expect(summary.reason).toBe(
      "Siesa rejected the ConniKey/ConniToken pair of tenant 'demo' (HTTP 401): check the secret siesa-integration/demo/siesa",
    );
    expect(siesa.stats.total).toBeLessThanOrEqual(10);
    expect(kong.stats.creates).toBe(0);
    expect(JSON.stringify(summary)).not.toContain(wrong.conniToken);
  });
});

describe("a Siesa-side error answered HTTP 200 with codigo 2 (not the end of data)", () => {
  it("fails the units it hits instead of reading them as empty: nothing is taken for gone", async () => {
    // prepare: a first run writes every item; then Siesa errs on the upper half of the ids
    const { siesa, kong, run } = await world(600);
    const first = await run();
    const ids = siesa.catalogue.companyItemIds().sort((a, b) => a - b);
    const middle = ids[300] as number;
    siesa.setOptions({
      queryError: ({ parametros = "" }) => {
        const from = /f120_id >= (-?\d+)/.exec(parametros)?.[1];
        return from !== undefined && Number(from) >= middle;
      },
    });

    // act
    const second = await run();

    // assess
    expect(first.status).toBe("succeeded");
    expect(second.status).toBe("failed");
    expect(second.reason).toMatch(/codigo 2: Error al ejecutar la consulta: Timeout expired/);
    expect(second.counts.deactivated).toBe(0);
    expect(second.heldDeactivations).toBeUndefined();
    expect(kong.skus.list().every((sku) => sku.is_active)).toBe(true);
  });
});

describe("a Siesa that throttles with a Retry-After no run can wait", () => {
  it.each([
    ["in seconds", "seconds"],
    ["as an HTTP date", "date"],
  ] as const)(
    "ends the run failed in time, naming Siesa's host and the wait (%s)",
    async (_form, retryAfterAs) => {
      // prepare: every request after the run's first units is answered 429, come back in ~32 years
      const { sandboxes, siesa, kong, run } = await world(1_000);
      siesa.setFaults({ fromRequest: 30, rateLimitShare: 1, retryAfterSeconds: 1e9, retryAfterAs });

      // act
      const summary = await run();

      // assess
      const host = new URL(sandboxes.siesaUrl).host;
      expect(summary.status).toBe("failed");
      expect(summary.reason).toMatch(
        new RegExp(
          `^(\\d+ units of Siesa work could not be read; the first: )?${host} answered 429 and asked to wait \\d+ s, beyond this run's end`,
        ),
      );
      expect(kong.stats.creates).toBe(summary.counts.created);
      expect(summary.counts.created).toBe(summary.counts.extracted);
    },
  );

  it("without a Retry-After, backs off and reads every record once", async () => {
    // prepare: a third of the requests throttled, none saying for how long
    const { siesa, kong, run } = await world(600);
    siesa.setFaults({ rateLimitShare: 0.3, retryAfterAs: "absent", seed: 5 });

    // act
    const summary = await run();

    // assess
    expect(summary.status).toBe("succeeded");
    expect(summary.counts).toMatchObject({ extracted: 600, created: 600, failed: 0 });
    expect(kong.stats.creates).toBe(600);
  });
});
