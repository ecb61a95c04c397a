import { describe, expect, it } from "vitest";
import { startRun } from "../../runtime/core/steps/start-run.js";
import { REPAIR_HASH } from "../../runtime/core/verify/repair.js";
import { MAX_REPAIR_MARKS, VERIFY_DIED } from "../../runtime/core/verify/verify-run.js";
import { eventOf } from "../pipeline/step-world.js";
import { deliverVerify, startVerify, verifyWorld } from "./verify-world.js";

// The verify run behind POST /tenants/:id/verify: the API queues it, the verify worker reads the
// product and ends it. (On npm start's stack, with a real sync before it: test/api/verify-stack.test.ts.)

const ledgerEntry = (key: string, productId: string) => ({
  key,
  hash: "h",
  productId,
  runId: "20261130T090000.000Z-aaaaaaaaaaaa",
  updatedAt: "2026-11-30T09:00:00.000Z",
});

describe("a verify run", () => {
  it("keeps its report on the run; with repair it marks what is missing in the ledger and starts a repair run", async () => {
    const verify = await verifyWorld({ skus: 2 });
    const { world, tenant } = verify;
    await world.store.ledger.putMany(tenant.id, [ledgerEntry("7", "424242")]);
    const runId = await startVerify(verify, true);

    await deliverVerify(world);

    const run = await world.store.runs.get(tenant.id, runId);
    expect(run).toMatchObject({
      trigger: "verify",
      status: "partial",
      reason: "not ok: 1 missing, 0 drifted, 2 unknown",
      verify: { counts: { ok: 0, missing: 1, drifted: 0, unknown: 2 } },
    });
    const repair = run?.verify?.repair;
    expect(repair?.marked).toBe(1);
    const marked = await world.store.ledger.getMany(tenant.id, ["7"]);
    expect(marked.get("7")?.hash).toBe(REPAIR_HASH);
    expect((await world.store.lease.current(tenant.id))?.runId).toBe(repair?.runId);
    const [request] = world.queues.queues.syncRequests.queue.receive(1);
    expect(JSON.parse(request?.body ?? "{}")).toEqual({
      tenantId: tenant.id,
      trigger: "repair",
      runId: repair?.runId,
    });
  });

  it("with repair, says why it marked none of the records it found when a run wrote them all since it read them", async () => {
    const verify = await verifyWorld({ skus: 0 });
    const { world, tenant } = verify;
    // Written after the verify read the ledger (a run still finishing): the verify's finding is stale.
    await world.store.ledger.putMany(tenant.id, [
      { ...ledgerEntry("7", "424242"), updatedAt: "2099-01-01T00:00:00.000Z" },
    ]);
    const runId = await startVerify(verify, true);

    await deliverVerify(world);

    const run = await world.store.runs.get(tenant.id, runId);
    expect(run?.verify?.counts).toEqual({ ok: 0, missing: 1, drifted: 0, unknown: 0 });
    expect(run?.verify?.repair).toEqual({
      marked: 0,
      reason:
        "marked none of the 1 found: a run wrote them since this verify read them (verify again to see them now)",
    });
    expect((await world.store.ledger.getMany(tenant.id, ["7"])).get("7")?.hash).toBe("h");
  });

  it("marks at most MAX_REPAIR_MARKS records, so its ledger writes fit in its time, and says how many are left", async () => {
    const verify = await verifyWorld();
    const { world, tenant } = verify;
    const gone = Array.from({ length: MAX_REPAIR_MARKS + 1 }, (_, i) =>
      ledgerEntry(String(i + 1), `${900_000 + i}`),
    );
    await world.store.ledger.putMany(tenant.id, gone);
    const runId = await startVerify(verify, true);

    await deliverVerify(world);

    const run = await world.store.runs.get(tenant.id, runId);
    expect(run?.verify?.counts.missing).toBe(MAX_REPAIR_MARKS + 1);
    expect(run?.verify?.repair).toMatchObject({
      marked: MAX_REPAIR_MARKS,
      reason: `marked the first ${MAX_REPAIR_MARKS}: verify with repair again for the other 1`,
    });
    const entries = await world.store.ledger.getMany(
      tenant.id,
      gone.map((entry) => entry.key),
    );
    expect([...entries.values()].filter((entry) => entry.hash === REPAIR_HASH)).toHaveLength(
      MAX_REPAIR_MARKS,
    );
  });

  it("that cannot reach the product ends failed, naming the host, and frees the tenant's lease", async () => {
    const verify = await verifyWorld({ baseUrl: "http://127.0.0.1:1/" });
    const { world, tenant } = verify;
    const runId = await startVerify(verify, true);

    await deliverVerify(world);

    const run = await world.store.runs.get(tenant.id, runId);
    expect(run).toMatchObject({ trigger: "verify", status: "failed" });
    expect(run?.reason).toMatch(
      /^verify could not read the product: kong-rfid .* failed \(network\): could not connect to 127\.0\.0\.1:1/,
    );
    expect(run?.verify).toBeUndefined();
    expect(await world.store.lease.current(tenant.id)).toBeUndefined();
  });

  it("does not start while a run holds the tenant's lease", async () => {
    const { world, api, tenant } = await verifyWorld();
    const sync = await startRun(world.deps, tenant, "manual");
    if (!sync.started) throw new Error("the sync did not start");

    expect(await api.verify(tenant.id, { repair: false })).toEqual({
      started: false,
      activeRunId: sync.runId,
    });
    expect(world.queues.queues.verifyRequests.queue.size).toBe(0);
  });

  it("delivered again after it ended, reads nothing and leaves the next run's lease alone", async () => {
    const verify = await verifyWorld({ skus: 2 });
    const { world, kong, tenant } = verify;
    const runId = await startVerify(verify);
    const request = { tenantId: tenant.id, runId, repair: false };
    await deliverVerify(world);
    const next = await startRun(world.deps, tenant, "manual");
    kong.resetStats();

    await world.handlers.verify(eventOf(world.queues.queues.verifyRequests.queue, request, 2));

    expect(kong.stats.requests).toBe(0);
    expect((await world.store.lease.current(tenant.id))?.runId).toBe(next.started ? next.runId : "");
  });

  it("whose worker died after giving the lease back is ended failed by its next delivery", async () => {
    const verify = await verifyWorld({ skus: 2 });
    const { world, kong, tenant } = verify;
    const runId = await startVerify(verify);
    await world.store.lease.release(tenant.id, runId);

    await deliverVerify(world);

    expect(await world.store.runs.get(tenant.id, runId)).toMatchObject({
      status: "failed",
      reason: VERIFY_DIED,
    });
    expect(kong.stats.requests).toBe(0);
  });

  it("whose request ends in the dead-letter queue is ended failed by settle, which frees the lease", async () => {
    const verify = await verifyWorld({ skus: 2 });
    const { world, tenant } = verify;
    const runId = await startVerify(verify);
    const request = { tenantId: tenant.id, runId, repair: false };

    await world.handlers.settle(eventOf(world.queues.queues.verifyRequests.deadLetter, request));

    expect(await world.store.runs.get(tenant.id, runId)).toMatchObject({
      status: "failed",
      reason: VERIFY_DIED,
    });
    expect(await world.store.lease.current(tenant.id)).toBeUndefined();
  });
});
