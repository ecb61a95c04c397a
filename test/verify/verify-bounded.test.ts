import { describe, expect, it } from "vitest";
import { API_FUNCTION, WORKERS } from "../../runtime/core/domain/pipeline-config.js";
import { END_RESERVE_MS } from "../../runtime/core/verify/verify-run.js";
import { deliverVerify, startVerify, verifyWorld } from "./verify-world.js";

// A verify started from the API ends within its functions' time, whatever the product does: the API
// only queues it, and the verify worker asks for no page that might not end before its own deadline.

describe("a verify asked of the API", () => {
  it("is answered within the API function's time however slow the product, and reads nothing there", async () => {
    const { world, api, kong, tenant } = await verifyWorld({ skus: 30, answerMs: 10_000, pageSize: 10 });
    const asked = world.clock.now;

    const result = await api.verify(tenant.id, { repair: false });

    expect(result.started).toBe(true);
    expect(world.clock.now - asked).toBeLessThan(API_FUNCTION.timeoutSeconds * 1000);
    expect(kong.stats.requests).toBe(0);
  });

  it("touches no ledger: the API's role has none", async () => {
    const verify = await verifyWorld({ skus: 3, apiWithoutLedger: true });
    const { world, tenant } = verify;

    const runId = await startVerify(verify, true);
    await deliverVerify(world);

    expect(await world.store.runs.get(tenant.id, runId)).toMatchObject({ status: "partial" });
  });
});

describe("a verify in its worker", () => {
  it("against a product too slow to list in its time, ends failed before the function's end and frees the lease", async () => {
    // 40 pages of a minute each: 40 minutes to list, the function has 15.
    const verify = await verifyWorld({ skus: 400, answerMs: 60_000, pageSize: 10 });
    const { world, kong, tenant } = verify;
    const runId = await startVerify(verify);
    const invoked = world.clock.now;

    await deliverVerify(world);

    const run = await world.store.runs.get(tenant.id, runId);
    expect(run).toMatchObject({ trigger: "verify", status: "failed" });
    expect(run?.reason).toMatch(
      /^verify ran out of time: stopped with \d+ records read, \d+ s before its time ran out/,
    );
    expect(run?.reason).toContain(`use npm run verify -- --tenant ${tenant.id}`);
    expect(Date.parse(run?.finishedAt ?? "") - invoked).toBeLessThanOrEqual(
      WORKERS.verify.timeoutSeconds * 1000 - END_RESERVE_MS,
    );
    expect(kong.stats.lists).toBeGreaterThan(0);
    expect(await world.store.lease.current(tenant.id)).toBeUndefined();
    expect(world.queues.pending).toBe(0);
  });

  it("started with little time left, reads no page at all and still ends its run", async () => {
    const verify = await verifyWorld({ skus: 10, answerMs: 1_000 });
    const { world, kong, tenant } = verify;
    const runId = await startVerify(verify);

    await deliverVerify(world, END_RESERVE_MS + 1_000);

    expect(await world.store.runs.get(tenant.id, runId)).toMatchObject({ status: "failed" });
    expect(kong.stats.lists).toBe(0);
    expect(await world.store.lease.current(tenant.id)).toBeUndefined();
  });

  it("stops reading before the tenant's lease expires, even with function time left", async () => {
    const verify = await verifyWorld({ skus: 400, answerMs: 60_000, pageSize: 10 });
    const { world, tenant } = verify;
    verify.tenant.sync.maxRunMinutes = 5;
    const runId = await startVerify(verify);
    const lease = await world.store.lease.current(tenant.id);

    await deliverVerify(world);

    const run = await world.store.runs.get(tenant.id, runId);
    expect(run?.reason).toMatch(/^verify ran out of time/);
    expect(Date.parse(run?.finishedAt ?? "")).toBeLessThan(Date.parse(lease?.expiresAt ?? ""));
    expect(await world.store.lease.current(tenant.id)).toBeUndefined();
  });
});
