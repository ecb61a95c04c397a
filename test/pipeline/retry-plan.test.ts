import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { payloadHash } from "../../runtime/core/domain/hash.js";
import { QUEUES, visibilityTimeoutSeconds } from "../../runtime/core/domain/pipeline-config.js";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { LoadChunkSchema, parseMessage } from "../../runtime/core/ports/messages.js";
import type { RecordMapper } from "../../runtime/core/ports/records.js";
import { FULL_RANGE } from "../../runtime/core/ports/siesa.js";
import { SiesaAuthError } from "../../runtime/core/ports/siesa-errors.js";
import { SIZES_ONLY_REASON } from "../../runtime/core/steps/extract-unit.js";
import { DIED_REASON } from "../../runtime/core/steps/settle.js";
import { unmappableReason, VANISHED_REASON } from "../../runtime/core/steps/unit-plan.js";
import { dynamoPipelineStore } from "../../runtime/edges/store/dynamo.js";
import { openStore } from "../../runtime/wiring/local-store.js";
import { aTenant } from "../tenants/factories.js";
import { toEvent } from "./step-queues.js";
import {
  deliver,
  drain,
  eventOf,
  identityMapper,
  type StepWorld,
  startScheduledRun,
  stepWorld,
} from "./step-world.js";

// A unit retried after its first delivery planned its chunks (here: the SendMessageBatch of its
// loads failed) repeats that plan, whatever Siesa answers on the retry: the same chunks with the
// same records, read again for their current payload; a planned record Siesa no longer returns is
// counted failed, a record that appeared since waits for the next run.

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
 * A second run whose unit plans items 21-60 as 4 chunks of 10 (their edits since the first run),
 * and whose SendMessageBatch of them fails, so the unit comes back; returns the second run's id.
 */
const planThenFailToSend = async (world: StepWorld) => {
  await startScheduledRun(world);
  await drain(world);
  rename(world, range(21, 60), (key) => `edited ${key}`);
  const runId = await startScheduledRun(world);
  failFirstSendOfLoads(world);
  await deliver(world, "units");
  expect(world.queues.queues.loads.queue.size).toBe(0);
  return runId;
};

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
    const runId = await planThenFailToSend(world);
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
    await startScheduledRun(world);
    await drain(world);
    expect(writtenSince(world, next)).toEqual([5]);
    await expectProductMatchesSiesa(world);
  });

  it("sends every planned chunk when the edits were undone before the retry, so the run ends", async () => {
    // prepare: 40 items edited and planned as 4 chunks, the send fails, then the edits are undone
    const world = stepWorld({ items: 60 });
    const runId = await planThenFailToSend(world);
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

describe("a retried unit on DynamoDB", () => {
  it("reads back the plan its first delivery stored and sends the same chunks", async () => {
    // prepare: the steps over DynamoDB (dynalite); items 21-60 planned, the send failed, items 5
    // and 60 edited again
    const opened = await openStore({ prefix: `retry-plan-${process.pid}` });
    try {
      const world = stepWorld({ items: 60, store: dynamoPipelineStore(opened.doc, opened.names) });
      const runId = await planThenFailToSend(world);
      rename(world, [5, 60], (key) => `edited again ${key}`);
      const before = world.product.writes.length;

      // act
      await drain(world);

      // assess
      expect(writtenSince(world, before).sort((a, b) => a - b)).toEqual(range(21, 60));
      expect(await runOf(world, runId)).toMatchObject({
        status: "succeeded",
        counts: { extracted: 60, updated: 40, unchanged: 20 },
      });
      expect(world.product.held.get("SKU-60")).toMatchObject({ name: "edited again 60" });
    } finally {
      await opened.close();
    }
  });
});

describe("a retried unit's planned records that Siesa no longer returns, and records new since", () => {
  it("counts a vanished planned record failed, counts a planned chunk none of whose records remain, and leaves a new record to the next run", async () => {
    // prepare: the plan's chunks are 21-30, 31-40, 41-50 and 51-60; before the retry, item 25 and
    // items 51-60 are deleted in Siesa and item 61 is created
    const world = stepWorld({
      items: 60,
      tenant: aTenant((t) => {
        t.sync = { ...t.sync, concurrency: 4, maxDeactivations: 20 };
      }),
    });
    const runId = await planThenFailToSend(world);
    const gone = [25, ...range(51, 60)];
    world.siesa.items.splice(
      0,
      world.siesa.items.length,
      ...world.siesa.items.filter((r) => !gone.includes(Number(r.key))),
    );
    world.siesa.items.push({ key: "61", item: { f120_id: 61, name: "item 61" }, barcodes: [] });
    const before = world.product.writes.length;

    // act
    await drain(world);

    // assess: the 4 planned chunks done, each planned key counted once; item 61 not part of this run
    expect(writtenSince(world, before).sort((a, b) => a - b)).toEqual(range(21, 50).filter((k) => k !== 25));
    const run = await runOf(world, runId);
    expect(run).toMatchObject({
      status: "partial",
      counts: { extracted: 60, updated: 29, unchanged: 20, failed: 11, created: 0 },
    });
    expect(await world.store.progress.read(world.tenant.id, runId)).toMatchObject({
      loadsPlanned: 4,
      loadsDone: 4,
    });
    expect(
      run?.errors
        .filter((e) => e.reason === VANISHED_REASON)
        .map((e) => Number(e.key))
        .sort((a, b) => a - b),
    ).toEqual(gone);
    // The next run creates item 61 and sets the deleted items inactive.
    await startScheduledRun(world);
    await drain(world);
    await expectProductMatchesSiesa(world);
    expect(world.product.held.get("SKU-61")).toMatchObject({ name: "item 61" });
    for (const key of gone) expect(world.product.held.get(`SKU-${key}`)).toMatchObject({ active: false });
  });

  it("counts failed a planned record that the mapping refuses by the retry, with the mapping's reason", async () => {
    // prepare: a mapping that refuses an item named "" (its rule: a name is required); item 30 is
    // planned, then its name is emptied in Siesa before the retry
    const mapper: RecordMapper = {
      ...identityMapper,
      map: (source) =>
        source.item.name === "" ? { ok: false, reason: "name: required" } : identityMapper.map(source),
    };
    const world = stepWorld({ items: 60, mapper });
    const runId = await planThenFailToSend(world);
    rename(world, [30], () => "");

    // act
    await drain(world);

    // assess: the other 39 written, item 30 failed for the mapping's reason, the run ended
    const run = await runOf(world, runId);
    expect(run).toMatchObject({
      status: "partial",
      counts: { extracted: 60, updated: 39, unchanged: 20, failed: 1 },
    });
    expect(run?.errors).toEqual([
      { key: "30", outcome: "failed", reason: unmappableReason("name: required"), step: "extract" },
    ]);
  });

  it("ends a run stopped before the retry: the chunks it never sent are counted failed", async () => {
    // prepare: the unit's plan, its send failed; an operator stops the run before the retry
    const world = stepWorld({ items: 60 });
    const runId = await planThenFailToSend(world);
    await world.store.runs.requestStop(world.tenant.id, runId, "stopped by an operator");

    // act
    await drain(world);

    // assess
    expect(await runOf(world, runId)).toMatchObject({
      status: "failed",
      counts: { extracted: 60, unchanged: 20, failed: 40 },
    });
    expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
  });

  it("ends the run when Siesa cannot be read on any retry: the planned chunks are counted failed with Siesa's error", async () => {
    // prepare: the unit's plan, its send failed; Siesa answers 503 from then on
    const world = stepWorld({ items: 60 });
    const runId = await planThenFailToSend(world);
    world.siesa.onRead = () => {
      throw new ExternalCallError("siesa", "ejecutarconsultaestandar API_v2_Items", 503, "unavailable", true);
    };

    // act: the retries, until the last one gives up
    await drain(world);

    // assess: every planned record has its outcome, the run ended (failed: a unit could not be
    // read) and gave its lease back
    const run = await runOf(world, runId);
    expect(run).toMatchObject({ status: "failed", counts: { extracted: 60, unchanged: 20, failed: 40 } });
    const records = run?.errors.filter((e) => /^\d+$/.test(e.key));
    expect(records?.map((e) => Number(e.key)).sort((a, b) => a - b)).toEqual(range(21, 60));
    expect(records?.[0]?.reason).toMatch(/503/);
    expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
  });

  it("ends the run when Siesa refuses the tenant's credentials on the retry", async () => {
    // prepare: the unit's plan, its send failed; then Siesa refuses the ConniKey
    const world = stepWorld({ items: 60 });
    const runId = await planThenFailToSend(world);
    world.siesa.onRead = () => {
      throw new SiesaAuthError(world.tenant.id);
    };

    // act
    await drain(world);

    // assess
    expect(await runOf(world, runId)).toMatchObject({
      status: "failed",
      counts: { extracted: 60, unchanged: 20, failed: 40 },
    });
    expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
  });

  it("counts failed the chunks of a plan stored before plans named their records, and the next run writes them", async () => {
    // prepare: a plan of the old form (each chunk's size only) for items 21-60, then its unit's retry
    const world = stepWorld({ items: 60 });
    await startScheduledRun(world);
    await drain(world);
    rename(world, range(21, 60), (key) => `edited ${key}`);
    const runId = await startScheduledRun(world);
    world.queues.queues.units.queue.receive(10); // the first delivery's message, in flight
    await world.store.progress.apply(
      world.tenant.id,
      runId,
      "plan:0",
      { extracted: 60, unchanged: 20, loadsPlanned: 4 },
      { keys: range(1, 60).join(","), sizes: [10, 10, 10, 10] },
    );
    const unit = { tenantId: world.tenant.id, runId, unitId: "0", range: FULL_RANGE };

    // act
    await world.handlers.extract(eventOf(world.queues.queues.units.queue, unit, 2));
    await drain(world);

    // assess: the run ends (it used to wait for its lease when Siesa's answer no longer cut the same)
    const run = await runOf(world, runId);
    expect(run).toMatchObject({ status: "partial", counts: { extracted: 60, unchanged: 20, failed: 40 } });
    expect(run?.errors[0]).toMatchObject({ key: "chunk 0/0 (10 records)", reason: SIZES_ONLY_REASON });
    await startScheduledRun(world);
    await drain(world);
    await expectProductMatchesSiesa(world);
  });
});

describe("settle, for a unit whose every delivery died after planning its chunks", () => {
  it("counts each planned chunk that never reported failed, naming its records, and the run ends", async () => {
    // prepare: the unit's first delivery plans 4 chunks and dies before they are sent; its two
    // other deliveries die early; one chunk of the plan had been sent and is loaded
    const world = stepWorld({ items: 60 });
    await startScheduledRun(world);
    await drain(world);
    rename(world, range(21, 60), (key) => `edited ${key}`);
    const runId = await startScheduledRun(world);
    const send = world.queues.sendLoads.bind(world.queues);
    world.queues.sendLoads = async (chunks, concurrency) => {
      await send(chunks.slice(0, 1), concurrency);
      throw new Error("process killed while sending the loads");
    };
    await deliver(world, "units");
    world.queues.sendLoads = send;
    // Each dead delivery comes back after the queue's visibility timeout, within the run's lease.
    const visibility = visibilityTimeoutSeconds(QUEUES.units) * 1000;
    for (let i = 0; i < 2; i++) {
      world.clock.advance(visibility);
      expect(world.queues.queues.units.queue.receive(1)).toHaveLength(1);
    }
    const before = world.product.writes.length;
    await deliver(world, "loads");

    // act: the dead unit reaches its dead-letter queue and is settled
    world.clock.advance(visibility);
    world.queues.queues.units.queue.receive(10);
    const { deadLetter } = world.queues.queues.units;
    await world.handlers.settle(toEvent(deadLetter.receive(10), deadLetter.arn));
    await drain(world); // the run's deactivation pass, which settle asked for

    // assess: the sent chunk keeps its outcomes, the other 3 are failed record by record
    const run = await runOf(world, runId);
    expect(run).toMatchObject({
      status: "partial",
      counts: { extracted: 60, unchanged: 20, updated: 10, failed: 30 },
    });
    const failed = run?.errors.filter((e) => e.reason === DIED_REASON).map((e) => Number(e.key));
    expect(failed).toHaveLength(30);
    expect([...(failed ?? []), ...writtenSince(world, before)].sort((a, b) => a - b)).toEqual(range(21, 60));
  });
});

describe("settle, for a dead chunk whose records all vanished before its unit's retry", () => {
  it("counts the chunk's records failed without asking for the tenant's credentials (its role reads none)", async () => {
    // prepare: a running run, and a dead-lettered chunk of only unsent records
    const world = stepWorld({ items: 10 });
    const runId = await startScheduledRun(world);
    world.deps.credentials = {
      forTenant: async () => {
        throw new Error("settle may not read the tenant's credentials");
      },
    };
    const chunk = {
      tenantId: world.tenant.id,
      runId,
      chunkId: "0/3",
      records: [],
      unsent: [{ key: "55", reason: VANISHED_REASON }],
    };
    const { deadLetter } = world.queues.queues.loads;

    // act
    const answer = await world.handlers.settle(eventOf(deadLetter, chunk));

    // assess
    expect(answer.batchItemFailures).toEqual([]);
    expect(await world.store.progress.read(world.tenant.id, runId)).toMatchObject({
      loadsDone: 1,
      failed: 1,
    });
  });
});

describe("load chunk messages across a deploy", () => {
  it("a chunk without the new unsent field is read as before; one naming no record is refused", () => {
    const chunk = {
      tenantId: "acme-staging",
      runId: "run-1",
      chunkId: "0/0",
      records: [{ key: "1", externalId: "SKU-1", payload: { name: "item 1" }, hash: "h1" }],
    };

    expect(parseMessage(LoadChunkSchema, JSON.stringify(chunk), "loads")).toEqual(chunk);
    expect(() => parseMessage(LoadChunkSchema, JSON.stringify({ ...chunk, records: [] }), "loads")).toThrow(
      /loads message is invalid: .*at least one record/,
    );
  });
});

/** A change to Siesa between a unit's first delivery and its retry. */
type Change = { kind: "edit" | "undo" | "delete" | "insert"; key: number };

describe("a retried unit, whatever Siesa did between its deliveries (fast-check)", () => {
  const ITEMS = 40;

  /** Applies a change to the fake Siesa: `undo` restores the first run's name, `insert` (re)creates. */
  const apply = (world: StepWorld, { kind, key }: Change, n: number) => {
    const items = world.siesa.items;
    const at = items.findIndex((r) => r.key === String(key));
    if (kind === "delete" && at >= 0) items.splice(at, 1);
    else if (kind === "insert" && at < 0)
      items.push({ key: String(key), item: { f120_id: key, name: `inserted ${key}` }, barcodes: [] });
    else if (at >= 0) {
      const source = items[at] as (typeof items)[number];
      source.item = { ...source.item, name: kind === "edit" ? `edit ${n} of ${key}` : `item ${key}` };
    }
  };

  it("every planned key counted once, the run ends, and the next run leaves the product as Siesa is", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: ITEMS }), { minLength: 1, maxLength: ITEMS }),
        fc.array(
          fc.record({
            kind: fc.constantFrom("edit" as const, "undo" as const, "delete" as const, "insert" as const),
            key: fc.integer({ min: 1, max: ITEMS + 10 }),
          }),
          { maxLength: 30 },
        ),
        fc.constantFrom(20, 100),
        async (edited, changes, pageSize) => {
          // prepare: a first run; then some items edited; the second run's first unit to plan loads
          // fails to send them, and Siesa changes before that unit's retry
          const world = stepWorld({
            items: ITEMS,
            pageSize,
            tenant: aTenant((t) => {
              t.sync = { ...t.sync, concurrency: 4, maxDeactivations: 1_000 };
            }),
          });
          await startScheduledRun(world);
          await drain(world);
          rename(world, edited, (key) => `edited ${key}`);
          const runId = await startScheduledRun(world);
          let failed = false;
          const send = world.queues.sendLoads.bind(world.queues);
          world.queues.sendLoads = async (chunks, concurrency) => {
            if (failed) return send(chunks, concurrency);
            failed = true;
            throw new Error("SendMessageBatch failed");
          };
          while (!failed && (await deliver(world, "units", 1)) > 0);
          expect(failed).toBe(true);
          for (const [n, change] of changes.entries()) apply(world, change, n);
          const before = world.product.writes.length;

          // act
          await drain(world);

          // assess: the run ended; no record written twice; every record counted written or failed
          // was written or failed exactly once
          const run = await runOf(world, runId);
          expect(run?.status).not.toBe("running");
          expect(await world.store.lease.current(world.tenant.id)).toBeUndefined();
          const written = writtenSince(world, before);
          expect(new Set(written).size).toBe(written.length);
          const vanished = (run?.errors ?? [])
            .filter((e) => e.reason === VANISHED_REASON)
            .map((e) => Number(e.key));
          expect(written.filter((key) => vanished.includes(key))).toEqual([]);
          const counts = run?.counts;
          expect(counts && counts.created + counts.updated).toBe(written.length);
          expect(counts?.failed).toBe(vanished.length);
          // The next run brings the product to what Siesa holds now.
          await startScheduledRun(world);
          await drain(world);
          await expectProductMatchesSiesa(world);
          const present = new Set(world.siesa.items.map((r) => `SKU-${r.key}`));
          for (const [externalId, payload] of world.product.held)
            if (!present.has(externalId)) expect(payload, externalId).toMatchObject({ active: false });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("a copy of a unit sent anew after FIFO's deduplication window (a first delivery)", () => {
  it("repeats the plan an earlier copy made, though Siesa now shows nothing to load, and counts each key once", async () => {
    // prepare: the unit's first delivery plans items 21-60 and dies sending them; the dispatch that
    // sent the unit is retried after the deduplication window, so a second copy of the unit arrives
    // as a first delivery; meanwhile the edits are undone in Siesa
    const world = stepWorld({ items: 60 });
    const runId = await planThenFailToSend(world);
    rename(world, range(21, 60), (key) => `item ${key}`);
    const unit = { tenantId: world.tenant.id, runId, unitId: "0", range: FULL_RANGE, resent: true };

    // act: the copy sent anew, then everything else (the original's retry included)
    const { units } = world.queues.queues;
    await world.handlers.extract(eventOf(units.queue, unit, 1));
    await drain(world);

    // assess: the run ends with its 60 records counted once, the 40 planned ones written
    expect(await runOf(world, runId)).toMatchObject({
      status: "succeeded",
      counts: { extracted: 60, unchanged: 20, updated: 40 },
    });
  });
});
