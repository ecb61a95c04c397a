import { describe, expect, it } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import { withDeadline } from "../../runtime/core/ports/deadline.js";
import { CALLS_AT_ONCE } from "../../runtime/edges/http/siesa/connection.js";
import { SiesaPace } from "../../runtime/edges/http/siesa/pace.js";
import { clientsFor, streamClientsFor } from "../../runtime/wiring/compose.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { SANDBOX_SIESA_COMPANY_ID, SANDBOX_SIESA_CREDENTIALS } from "../../sandbox/siesa.js";
import { recordingLog, recordingSleep, startSiesa } from "./helpers.js";

// Siesa's Connekta-Rate-Limit-* headers say how many calls remain in the window and when it resets:
// the client pauses before the window runs out, instead of running into a 429.

/** A Siesa allowing 5 calls a minute, and a client whose sleeps are recorded (they return at once). */
async function limitedSiesa() {
  const { client, sandbox } = await startSiesa({ rateLimit: 5, rateLimitWindowMs: 60_000 });
  const { sleep, waits } = recordingSleep();
  const log = recordingLog();
  const reader = client({ policy: defaultPolicy({ sleep, maxDelayMs: 120_000 }), log });
  return { reader, sandbox, waits, log };
}

describe("pacing by Siesa's rate-limit headers", () => {
  it("waits for the window's reset once one call is left, before Siesa answers 429", async () => {
    const { reader, sandbox, waits, log } = await limitedSiesa();

    // Four calls leave one of five: the fifth waits for the reset first.
    for (let i = 0; i < 4; i++) await reader.queryPage("API_v2_Items", 1);
    const before = [...waits];
    await reader.queryPage("API_v2_Items", 1);

    expect(before).toEqual([]);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(55_000);
    // To the window's end: Reset's whole seconds (rounded down by the sandbox) and the second after.
    expect(waits[0]).toBeLessThanOrEqual(61_000);
    expect(sandbox.stats.rateLimited).toBe(0);
    // Less than a fifth of the limit left after the fifth call: a warning, as for any API.
    const warnings = log.entries.filter((entry) => entry.message === "rate limit nearly used");
    expect(warnings.map((entry) => entry.data[0])).toEqual([
      expect.objectContaining({ api: "siesa", tenantId: "acme-test", limit: 5, remaining: 0 }),
    ]);
  });

  it("hands the work back with the wait, instead of sleeping, when the wait outlasts the invocation", async () => {
    const { reader, sandbox, waits } = await limitedSiesa();
    for (let i = 0; i < 4; i++) await reader.queryPage("API_v2_Items", 1);
    const asked = sandbox.stats.total;

    const failure = await withDeadline(Date.now() + 20_000, () => reader.queryPage("API_v2_Items", 1)).catch(
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(ExternalCallError);
    expect(failure).toMatchObject({ service: "siesa", status: "rate-limit", retryable: true });
    expect((failure as ExternalCallError).retryAfterMs).toBeGreaterThan(55_000);
    expect((failure as ExternalCallError).message).toMatch(/resets in (60|61) s \(limit 5\)/);
    expect(waits).toEqual([]);
    expect(sandbox.stats.total).toBe(asked);
  });

  it("takes a pause another worker learnt, and tells what it learnt itself", async () => {
    const { reader, waits } = await limitedSiesa();
    const until = Date.now() + 30_000;

    reader.pace.pauseUntil(until);
    for (let i = 0; i < 4; i++) await reader.queryPage("API_v2_Items", 1);

    expect(waits[0]).toBeGreaterThan(25_000);
    expect(waits[0]).toBeLessThanOrEqual(30_000);
    // Four of five used: the next calls wait for the reset, which other workers should know.
    expect(reader.pace.pausedUntil()).toBeGreaterThan(Date.now() + 55_000);
  });

  it("counts calls in flight as used: a burst never runs past the limit", async () => {
    // A window of a second, waited for real.
    const { client, sandbox } = await startSiesa({ rateLimit: 5, rateLimitWindowMs: 1_000 });
    const reader = client({ policy: defaultPolicy() });
    await reader.queryPage("API_v2_Items", 1);

    await Promise.all([1, 2, 3, 4, 5, 6].map(() => reader.queryPage("API_v2_Items", 1)));

    expect(sandbox.stats.total).toBe(7);
    expect(sandbox.stats.rateLimited).toBe(0);
  });
});

describe("a 429 without Retry-After, beside Connekta's rate-limit headers", () => {
  it("waits for the window's reset the headers name, or hands the work back for that long", async () => {
    // prepare: a Siesa that answers a call beyond its limit 429 with no Retry-After; one worker used
    // the window up, and another, which has heard nothing yet, calls
    const { client, sandbox } = await startSiesa({
      rateLimit: 2,
      rateLimitWindowMs: 60_000,
      rateLimitRetryAfter: false,
    });
    const first = client({ policy: defaultPolicy({ sleep: recordingSleep().sleep }) });
    for (let i = 0; i < 2; i++) await first.queryPage("API_v2_Items", 1);
    const { sleep, waits } = recordingSleep();
    const other = client({ policy: defaultPolicy({ sleep, maxDelayMs: 120_000, rateLimitRetries: 1 }) });
    const late = client({ policy: defaultPolicy({ sleep, maxDelayMs: 120_000 }) });

    // act
    await other.queryPage("API_v2_Items", 1).catch(() => undefined);
    const handedBack = await withDeadline(Date.now() + 20_000, () => late.queryPage("API_v2_Items", 1)).catch(
      (error: unknown) => error,
    );

    // assess: the wait is the window's (Reset, and the second after it), not a backoff of a second
    expect(sandbox.stats.rateLimited).toBeGreaterThan(0);
    expect(waits[0]).toBeGreaterThan(55_000);
    expect(waits[0]).toBeLessThanOrEqual(61_000);
    expect(handedBack).toBeInstanceOf(ExternalCallError);
    expect((handedBack as ExternalCallError).retryAfterMs).toBeGreaterThan(55_000);
  });
});

describe("a 429 the client could not wait for", () => {
  it("still teaches the pace its window: the pause is there to be shared with the other workers", async () => {
    // prepare: one worker used the window up; another, which has heard nothing yet, runs into it
    // with too little time left to wait for the reset
    const { client } = await startSiesa({ rateLimit: 2, rateLimitWindowMs: 60_000 });
    const first = client({ policy: defaultPolicy({ sleep: recordingSleep().sleep }) });
    for (let i = 0; i < 2; i++) await first.queryPage("API_v2_Items", 1);
    const other = client({ policy: defaultPolicy({ sleep: recordingSleep().sleep }) });

    // act
    const failure = await withDeadline(Date.now() + 20_000, () => other.queryPage("API_v2_Items", 1)).catch(
      (error: unknown) => error,
    );

    // assess: handed back for the wait, and the pause learnt from the 429's headers
    expect(failure).toMatchObject({ status: 429, retryable: true });
    expect(other.pace.pausedUntil()).toBeGreaterThan(Date.now() + 55_000);
  });
});

describe("pacing across the workers of a tenant", () => {
  it("keeps room for the calls the other workers have in flight: four workers never run into a 429", async () => {
    // prepare: four workers (a client each, as four Lambda containers), each reading one call after
    // another as a unit does; Siesa allows 10 calls a second for all of them together
    const { client, sandbox } = await startSiesa({ rateLimit: 10, rateLimitWindowMs: 1_000 });
    const workers = Array.from({ length: 4 }, () => client({ policy: defaultPolicy(), workers: 4 }));

    // act: 24 calls in all, over several windows
    await Promise.all(
      workers.map(async (reader) => {
        for (let i = 0; i < 6; i++) await reader.queryPage("API_v2_Items", 1);
      }),
    );

    // assess
    expect(sandbox.stats.total).toBe(24);
    expect(sandbox.stats.rateLimited).toBe(0);
  });
});

describe("pacing across the workers of a tenant, each with several calls at once", () => {
  it("keeps room for as many calls as each other worker may have in flight: no 429", async () => {
    // prepare: four workers, each asking CALLS_AT_ONCE pages at once (a unit's barcode queries);
    // Siesa allows 40 calls a second for all of them together
    const { client, sandbox } = await startSiesa({ rateLimit: 40, rateLimitWindowMs: 1_000 });
    const workers = Array.from({ length: 4 }, () => client({ policy: defaultPolicy(), workers: 4 }));

    // act: 96 calls in all, over several windows
    await Promise.all(
      workers.map(async (reader) => {
        for (let i = 0; i < 6; i++) {
          await Promise.all(Array.from({ length: CALLS_AT_ONCE }, () => reader.queryPage("API_v2_Items", 1)));
        }
      }),
    );

    // assess
    expect(sandbox.stats.total).toBe(96);
    expect(sandbox.stats.rateLimited).toBe(0);
  });
});

describe("pacing across the runs of a tenant's streams", () => {
  it("keeps room for the workers of the tenant's other streams, whose runs may overlap: no 429", async () => {
    // prepare: a tenant syncing its catalogue and its stock, two workers each; Siesa counts the
    // calls of one Connekta company, whichever stream makes them: 40 a second for all four workers
    const { sandbox, baseUrl } = await startSiesa({ rateLimit: 40, rateLimitWindowMs: 1_000 });
    const demo = (await loadTenants()).require("demo");
    const tenant = {
      ...demo,
      siesa: { ...demo.siesa, companyId: SANDBOX_SIESA_COMPANY_ID, erpCompany: sandbox.catalogue.erpCompany },
      sync: { ...demo.sync, concurrency: 2 },
      streams: { stock: { schedule: "rate(1 hour)", subtract: [] } },
    };
    const credentials = {
      siesa: SANDBOX_SIESA_CREDENTIALS,
      product: { username: "unused", password: "unused" },
    };
    const options = { policy: defaultPolicy(), log: recordingLog(), siesaUrl: baseUrl };
    const workers = [
      ...Array.from({ length: 2 }, () => clientsFor(tenant, credentials, options).siesa),
      ...Array.from({ length: 2 }, () => streamClientsFor(tenant, credentials, "stock", options).siesa),
    ] as unknown as { queryPage(descripcion: string, page: number): Promise<unknown> }[];

    // act: each worker asks CALLS_AT_ONCE pages at once, six times: 96 calls over several windows
    await Promise.all(
      workers.map(async (reader) => {
        for (let i = 0; i < 6; i++) {
          await Promise.all(Array.from({ length: CALLS_AT_ONCE }, () => reader.queryPage("API_v2_Items", 1)));
        }
      }),
    );

    // assess
    expect(sandbox.stats.total).toBe(96);
    expect(sandbox.stats.rateLimited).toBe(0);
  });
});

describe("a Reset no rate-limit window could have", () => {
  it("is ignored rather than pausing a tenant's calls for ages (epoch milliseconds read as seconds)", async () => {
    const now = Date.parse("2026-12-06T12:00:00Z");
    const pace = new SiesaPace(1, 1, () => now);
    await pace.before(defaultPolicy(), "a call", "siesa.example.com");

    pace.after({ limit: "10", remaining: "0", reset: String(now + 30_000) });

    expect(pace.pausedUntil()).toBeUndefined();
  });
});
