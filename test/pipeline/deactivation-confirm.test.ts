import { describe, expect, it } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import type { KeyRange } from "../../runtime/core/ports/siesa.js";
import { SiesaUnconfirmedError } from "../../runtime/core/ports/siesa-errors.js";
import { startRun } from "../../runtime/core/steps/start-run.js";
import { withMethod } from "../support/override.js";
import { toEvent } from "./step-queues.js";
import { deliver, drain, type StepWorld, stepWorld, untilDeactivationPass } from "./step-world.js";

// The deactivation pass asks Siesa again, by id, for what a complete extraction did not return, and
// deactivates only what is still absent: Siesa answers "no records" for transient and filter problems
// too (docs/integrations/INT-001-siesa.md), so one empty answer must never empty a part of the product.

const ITEMS = 60;
/** Small pages: the catalogue splits into ranges of at most 10 records, under the default limit of 10. */
const PAGE = 10;

/** Runs a scheduled sync to its end; returns the run as recorded. */
async function runToEnd(world: StepWorld) {
  world.clock.advance(60 * 60_000);
  const before = new Set((await world.store.runs.list(world.tenant.id)).runs.map((r) => r.runId));
  await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
  await drain(world);
  const run = (await world.store.runs.list(world.tenant.id)).runs.find((r) => !before.has(r.runId));
  if (!run) throw new Error("no run was started");
  return run;
}

/** A world whose catalogue an earlier run wrote in full (every record active in the product). */
async function syncedWorld(items = ITEMS) {
  const world = stepWorld({ items, pageSize: PAGE });
  const first = await runToEnd(world);
  expect(first.status).toBe("succeeded");
  return world;
}

/** Siesa answers "no records" once, to the first range it is asked that holds `id` and fits a page. */
function noRecordsOnceFor(world: StepWorld, id: number): KeyRange[] {
  const glitched: KeyRange[] = [];
  world.siesa.onRead = (range) => {
    const inside = world.siesa.items.filter((r) => Number(r.key) >= range.from && Number(r.key) < range.to);
    if (glitched.length > 0 || id < range.from || id >= range.to || inside.length > PAGE) return undefined;
    glitched.push(range);
    return "no records";
  };
  return glitched;
}

const inactiveKeys = async (world: StepWorld) => {
  const inactive: string[] = [];
  for await (const page of world.store.ledger.all(world.tenant.id))
    for (const entry of page) if (entry.active === false) inactive.push(entry.key);
  return inactive;
};

describe("the deactivation pass confirms an absence before it deactivates", () => {
  it("deactivates nothing when Siesa answered one range with no records once, and a later run still has every record active", async () => {
    // prepare: every record written; then one range's answer comes back empty, once
    const world = await syncedWorld();
    const glitched = noRecordsOnceFor(world, 45);

    // act
    const glitchedRun = await runToEnd(world);
    world.siesa.onRead = () => undefined;
    const later = await runToEnd(world);

    // assess: the missing records were asked for again, found, and kept active
    expect(glitched).toHaveLength(1);
    expect(glitchedRun.counts.deactivated).toBe(0);
    expect(world.siesa.confirmed.flat()).toContain(45);
    expect(world.product.patches.size).toBe(0);
    expect(later).toMatchObject({ status: "succeeded", counts: { deactivated: 0 } });
    expect(await inactiveKeys(world)).toEqual([]);
    for (const record of world.siesa.items)
      expect(world.product.held.get(`SKU-${record.key}`)?.active, record.key).toBe(true);
  });

  it("still deactivates a record really deleted in Siesa, and only it", async () => {
    // prepare: item 7 deleted in Siesa after the first run; item 45's range answers empty once
    const world = await syncedWorld();
    world.siesa.items.splice(
      world.siesa.items.findIndex((r) => r.key === "7"),
      1,
    );
    noRecordsOnceFor(world, 45);

    // act
    const run = await runToEnd(world);

    // assess
    expect(run).toMatchObject({ status: "succeeded", counts: { deactivated: 1 } });
    expect([...world.product.patches.keys()]).toEqual(["p-SKU-7"]);
    expect(world.product.held.get("SKU-7")?.active).toBe(false);
    expect(await inactiveKeys(world)).toEqual(["7"]);
  });

  it("deactivates nothing when the confirming read cannot be trusted on any delivery, and says why", async () => {
    // prepare: item 7 deleted; every confirming read lacks a record the run had read
    const world = await syncedWorld();
    world.siesa.items.splice(
      world.siesa.items.findIndex((r) => r.key === "7"),
      1,
    );
    world.siesa.onConfirm = () => {
      throw new SiesaUnconfirmedError(
        "Siesa's answer for f120_id 7..8 lacked f120_id 8, which this run read",
      );
    };

    // act
    const run = await runToEnd(world);

    // assess: the run ends (no deactivation) after the pass's retries; the next run deactivates
    expect(run.status).toBe("partial");
    expect(run.reason).toMatch(/^the absence of 1 records could not be confirmed: .*lacked f120_id 8/);
    expect(run.counts.deactivated).toBe(0);
    expect(world.product.patches.size).toBe(0);
    world.siesa.onConfirm = () => {};
    expect((await runToEnd(world)).counts.deactivated).toBe(1);
  });

  it("ends the run at once when Siesa asks the confirming read to wait beyond the run's end", async () => {
    // prepare: item 7 deleted; Siesa throttles the confirming read for twelve hours
    const world = await syncedWorld();
    world.siesa.items.splice(
      world.siesa.items.findIndex((r) => r.key === "7"),
      1,
    );
    world.siesa.onConfirm = () => {
      throw new ExternalCallError(
        "siesa",
        "ejecutarconsultaestandar API_v2_Items",
        429,
        "",
        true,
        43_200_000,
        "siesa.example.com",
      );
    };

    // act
    const run = await runToEnd(world);

    // assess: one confirming read, not one a delivery until the run's end; nothing deactivated
    expect(run.status).toBe("partial");
    expect(run.reason).toBe(
      "the absence of 1 records could not be confirmed: siesa.example.com answered 429 and asked to wait 43200 s, beyond this run's end; nothing is deactivated",
    );
    expect(world.siesa.confirmed).toHaveLength(1);
    expect(world.product.patches.size).toBe(0);
  });

  it("holds every absence for approval when the extraction returned no record at all to witness a confirming read", async () => {
    // prepare: five records written; then Siesa answers every range with no records
    const world = await syncedWorld(5);
    world.siesa.onRead = () => "no records";

    // act
    const run = await runToEnd(world);

    // assess: under the limit, and still held: nothing could confirm these absences
    expect(run).toMatchObject({
      status: "partial",
      reason: "held 5 deactivations: Siesa returned no record to confirm their absence against",
      heldDeactivations: { count: 5, keys: ["1", "2", "3", "4", "5"] },
    });
    expect(world.product.patches.size).toBe(0);
  });

  it("runs in the extract worker, as a message of its own on the units queue", async () => {
    // prepare: a synced world; the run's units and loads are done
    const world = await syncedWorld();
    world.clock.advance(60 * 60_000);
    await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
    for (let round = 0; round < 50; round++) {
      const bodies = world.queues.queues.units.queue.bodies().map((b) => JSON.parse(b));
      if (bodies.some((b) => b.pass === "deactivation")) break;
      await deliver(world, "syncRequests");
      await deliver(world, "units");
      await deliver(world, "loads");
    }

    // assess: the pass waits on the units queue, deduplicated by its run
    const { runs } = await world.store.runs.list(world.tenant.id);
    const runId = runs[0]?.runId;
    const passes = world.queues.queues.units.queue.bodies().map((b) => JSON.parse(b));
    expect(passes).toEqual([{ tenantId: world.tenant.id, runId, pass: "deactivation" }]);
  });
});

describe("approving held deactivations names the run that held them", () => {
  /** 12 records deleted in Siesa after the first run: over the default limit of 10, so held. */
  async function heldWorld() {
    const world = await syncedWorld();
    const deleted = world.siesa.items.filter((r) => Number(r.key) > 40 && Number(r.key) <= 52);
    for (const record of deleted) world.siesa.items.splice(world.siesa.items.indexOf(record), 1);
    const held = await runToEnd(world);
    expect(held).toMatchObject({ status: "partial", reason: "held 12 deactivations, limit 10" });
    return { world, held, deleted: deleted.map((r) => r.key) };
  }

  /** A manual run started as the API starts it, approving what `heldBy` held; run to its end. */
  async function approvedRun(world: StepWorld, heldBy: string) {
    world.clock.advance(60 * 60_000);
    const started = await startRun(world.ctx, world.tenant, "manual", { approveDeactivationsOf: heldBy });
    if (!started.started) throw new Error("the approved run did not start");
    await drain(world);
    return world.store.runs.get(world.tenant.id, started.runId);
  }

  it("shows the held records on the run: their count and first keys", async () => {
    const { held, deleted } = await heldWorld();

    expect(held.heldDeactivations).toMatchObject({ count: 12, limit: 10, keys: deleted });
  });

  it("applies the held set when the approved run finds exactly it", async () => {
    const { world, held, deleted } = await heldWorld();

    const run = await approvedRun(world, held.runId);

    expect(run).toMatchObject({ status: "succeeded", counts: { deactivated: 12 } });
    expect((await inactiveKeys(world)).sort()).toEqual([...deleted].sort());
  });

  it("applies a part of the held set (a record came back meanwhile)", async () => {
    const { world, held } = await heldWorld();
    world.siesa.items.push({ key: "45", item: { f120_id: 45, name: "item 45" }, barcodes: [] });

    const run = await approvedRun(world, held.runId);

    expect(run).toMatchObject({ status: "succeeded", counts: { deactivated: 11 } });
    expect(await inactiveKeys(world)).not.toContain("45");
  });

  it("holds again, applying nothing, when the approved run finds a record the held run did not", async () => {
    const { world, held } = await heldWorld();
    world.siesa.items.splice(
      world.siesa.items.findIndex((r) => r.key === "3"),
      1,
    );

    const run = await approvedRun(world, held.runId);

    expect(run).toMatchObject({ status: "partial", heldDeactivations: { count: 13 } });
    expect(world.product.patches.size).toBe(0);
  });

  it("refuses to start a run approving a run that held nothing, naming it", async () => {
    const world = await syncedWorld();
    const { runs } = await world.store.runs.list(world.tenant.id);
    const clean = runs[0]?.runId as string;

    await expect(
      startRun(world.ctx, world.tenant, "manual", { approveDeactivationsOf: clean }),
    ).rejects.toThrow(`run ${clean} of tenant ${world.tenant.id} held no deactivations`);
  });
});

describe("the deactivation pass under redelivery and death", () => {
  /** A synced world whose items 7 and 9 are deleted in Siesa, with the next run's units and loads done. */
  async function awaitingPass() {
    const world = await syncedWorld();
    for (const key of ["7", "9"])
      world.siesa.items.splice(
        world.siesa.items.findIndex((r) => r.key === key),
        1,
      );
    world.clock.advance(60 * 60_000);
    await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
    await untilDeactivationPass(world);
    const runId = (await world.store.runs.list(world.tenant.id)).runs[0]?.runId as string;
    return { world, runId };
  }

  it("a pass that decided and died before sending its chunks sends that decision's chunks on redelivery, whatever Siesa answers now", async () => {
    // prepare: the pass's first delivery decides (7 and 9 gone), then dies sending its chunks
    const { world, runId } = await awaitingPass();
    const send = world.queues.sendLoads.bind(world.queues);
    world.queues.sendLoads = async () => {
      throw new Error("process killed before sending the chunks");
    };
    await deliver(world, "units");
    world.queues.sendLoads = send;
    // item 9 comes back before the redelivery: a new confirming read would find only 7
    world.siesa.items.push({ key: "9", item: { f120_id: 9, name: "item 9" }, barcodes: [] });

    // act
    await drain(world);

    // assess: the decision stands, each of its records patched once, and the run ends
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run).toMatchObject({ status: "succeeded", counts: { deactivated: 2 } });
    expect(Object.fromEntries(world.product.patches)).toEqual({ "p-SKU-7": 1, "p-SKU-9": 1 });
  });

  it("a pass that decided but could never send its chunks is settled: its deactivations count failed, and the run ends", async () => {
    // prepare: every delivery of the pass fails sending its chunks (the first after deciding)
    const { world, runId } = await awaitingPass();
    world.queues.sendLoads = async () => {
      throw new Error("SQS refused the batch");
    };
    for (let i = 0; i < 3; i++) {
      expect(await deliver(world, "units")).toBe(1);
      world.clock.advance(3_600_000);
    }

    // act
    await settleDeadLettered(world);

    // assess
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run).toMatchObject({
      status: "partial",
      reason: "2 deactivations failed",
      counts: { deactivated: 0 },
    });
    expect(run?.errors).toContainEqual(expect.objectContaining({ key: "deactivation chunk 0 (2 records)" }));
    expect(world.product.patches.size).toBe(0);
  });

  it("a pass whose every delivery died before deciding is settled: nothing deactivated, and the run ends partial saying why", async () => {
    // prepare: every delivery of the pass dies (the function timed out)
    const { world, runId } = await awaitingPass();
    const units = world.queues.queues.units;
    for (let i = 0; i < 3; i++) {
      world.clock.advance(3_600_000);
      expect(units.queue.receive(1)).toHaveLength(1);
    }
    world.clock.advance(3_600_000);

    // act
    await settleDeadLettered(world);

    // assess
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run).toMatchObject({
      status: "partial",
      reason: "the deactivation pass's last delivery did not finish: nothing is deactivated",
      counts: { deactivated: 0 },
    });
    expect(world.product.patches.size).toBe(0);
  });
});

/** The receive after the pass's last delivery moves it to the dead-letter queue; settle reads it there. */
async function settleDeadLettered(world: StepWorld): Promise<void> {
  const units = world.queues.queues.units;
  units.queue.receive(1);
  await world.handlers.settle(toEvent(units.deadLetter.receive(10), units.deadLetter.arn));
}

describe("the deactivation pass delivered twice at once", () => {
  it("still sends its chunks when the copy whose decision won dies before sending them", async () => {
    // prepare: an earlier run wrote every record; two are gone from Siesa now
    const world = await syncedWorld();
    world.siesa.items.splice(-2);
    world.clock.advance(60 * 60_000);
    await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
    await untilDeactivationPass(world);
    const units = world.queues.queues.units.queue;
    // The copy whose decision is applied first dies right after (its Lambda ends there).
    let died = false;
    const progress = withMethod(world.store.progress, "apply", (apply) => async (...args) => {
      const totals = await apply(...args);
      if (args[2] === "deactivation" && totals && !died) {
        died = true;
        return new Promise<never>(() => {});
      }
      return totals;
    });
    const handlers = world.handlersOver({ ...world.deps, progress });

    // act: one message, two copies at once (SQS's at-least-once); the one that lives deletes it
    const event = toEvent(units.receive(1), units.arn);
    const [record] = event.Records;
    void handlers.extract(event, undefined);
    const answer = await handlers.extract(event, undefined);
    if (record && answer.batchItemFailures.length === 0) units.delete(record.receiptHandle);
    await drain(world);

    // assess: the copy died, and the run still deactivated the two records and ended
    expect(died).toBe(true);
    const { runs } = await world.store.runs.list(world.tenant.id);
    expect(runs[0]).toMatchObject({ status: "succeeded", counts: { deactivated: 2 } });
    expect((await inactiveKeys(world)).sort()).toEqual([String(ITEMS - 1), String(ITEMS)].sort());
  });
});
