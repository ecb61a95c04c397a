import { describe, expect, it } from "vitest";
import { payloadHash } from "../../runtime/sync/hash.js";
import { deliver, drain, identityMapper, type StepWorld, stepWorld } from "./step-world.js";

// A unit retried after its first delivery planned its chunks (here: the SendMessageBatch of its
// loads failed) repeats that plan, whatever Siesa answers on the retry: the same chunks with the
// same records, read again for their current payload; a planned record Siesa no longer returns is
// counted failed, a record that appeared since waits for the next run.

/** A scheduled request, dispatched; returns the new run's id. */
const startRun = async (world: StepWorld) => {
  world.clock.advance(60_000);
  const before = new Set((await world.store.runs.list(world.tenant.id)).runs.map((r) => r.runId));
  await world.queues.requestSync({ tenantId: world.tenant.id, trigger: "schedule" });
  await deliver(world, "syncRequests");
  const run = (await world.store.runs.list(world.tenant.id)).runs.find((r) => !before.has(r.runId));
  if (!run) throw new Error("dispatch created no run");
  return run.runId;
};

const runOf = (world: StepWorld, runId: string) => world.store.runs.get(world.tenant.id, runId);

const rename = (world: StepWorld, keys: number[], name: (key: number) => string) => {
  for (const key of keys) {
    const source = world.siesa.items.find((r) => r.key === String(key));
    if (!source) throw new Error(`no item ${key} in Siesa`);
    source.item = { ...source.item, name: name(key) };
  }
};

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The unit's first delivery: its loads' SendMessageBatch fails once, so the unit comes back. */
const failFirstSendOfLoads = (world: StepWorld) => {
  const send = world.queues.sendLoads.bind(world.queues);
  world.queues.sendLoads = async () => {
    world.queues.sendLoads = send;
    throw new Error("SendMessageBatch failed");
  };
};

/** The keys the product was asked to write since `from` (its writes' index). */
const writtenSince = (world: StepWorld, from: number) =>
  world.product.writes.slice(from).map((w) => Number(w.record.key));

/**
 * What verify and a user both check: every item Siesa holds is in the product with its current
 * payload, and the ledger's hash is that payload's (so verify compares like with like).
 */
const expectProductMatchesSiesa = async (world: StepWorld) => {
  const keys = world.siesa.items.map((r) => r.key);
  const ledger = await world.store.ledger.getMany(world.tenant.id, keys);
  for (const source of world.siesa.items) {
    const mapped = identityMapper.map(source);
    if (!mapped.ok) throw new Error(`item ${source.key} does not map`);
    expect(world.product.held.get(mapped.record.externalId), `item ${source.key} in the product`).toEqual(
      mapped.record.payload,
    );
    expect(ledger.get(source.key)?.hash, `item ${source.key} in the ledger`).toBe(
      payloadHash(mapped.record.payload),
    );
  }
};

describe("a unit retried after Siesa changed repeats its first delivery's plan", () => {
  it("writes every planned record with its current payload, and leaves an edit to a record it counted unchanged to the next run", async () => {
    // prepare: a first run writes items 1-60; items 21-60 are edited (4 chunks of 10 for 4 slots);
    // the second run's unit plans them, its SendMessageBatch fails; then item 5 is edited too
    const world = stepWorld({ items: 60 });
    await startRun(world);
    await drain(world);
    rename(world, range(21, 60), (key) => `edited ${key}`);
    const runId = await startRun(world);
    failFirstSendOfLoads(world);
    await deliver(world, "pages");
    expect(world.queues.queues.loads.queue.size).toBe(0);
    rename(world, [5, 60], (key) => `edited again ${key}`);
    const before = world.product.writes.length;

    // act: the retry, and every chunk it sends
    await drain(world);

    // assess: each planned record written once, item 60 with its latest edit; item 5 counted once,
    // unchanged, as the plan said
    expect(writtenSince(world, before).sort((a, b) => a - b)).toEqual(range(21, 60));
    expect(world.product.held.get("SKU-60")).toMatchObject({ name: "edited again 60" });
    expect(await runOf(world, runId)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 60, updated: 40, unchanged: 20, created: 0, failed: 0 },
    });
    // The next run writes item 5's edit, and nothing else.
    const next = world.product.writes.length;
    await startRun(world);
    await drain(world);
    expect(writtenSince(world, next)).toEqual([5]);
    await expectProductMatchesSiesa(world);
  });

  it("sends every planned chunk when the edits were undone before the retry, so the run ends", async () => {
    // prepare: 40 items edited and planned as 4 chunks, the send fails, then the edits are undone
    const world = stepWorld({ items: 60 });
    await startRun(world);
    await drain(world);
    rename(world, range(21, 60), (key) => `edited ${key}`);
    const runId = await startRun(world);
    failFirstSendOfLoads(world);
    await deliver(world, "pages");
    rename(world, range(21, 60), (key) => `item ${key}`);

    // act
    await drain(world);

    // assess: the 4 chunks done, the run ended and its lease given back
    expect(await world.store.progress.read(world.tenant.id, runId)).toMatchObject({
      loadsPlanned: 4,
      loadsDone: 4,
    });
    expect(await runOf(world, runId)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 60, updated: 40, unchanged: 20, failed: 0 },
    });
    expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
    await expectProductMatchesSiesa(world);
  });
});
