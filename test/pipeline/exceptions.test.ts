import type { SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { RecordError } from "../../runtime/core/domain/model.js";
import { QUEUES, visibilityTimeoutSeconds } from "../../runtime/core/domain/pipeline-config.js";
import type { LoadChunk } from "../../runtime/core/ports/messages.js";
import type { RecordMapper } from "../../runtime/core/ports/records.js";
import { withMethod } from "../support/override.js";
import { aTenant } from "../tenants/factories.js";
import {
  deliver,
  drain,
  identityMapper,
  type StepWorld,
  startScheduledRun,
  stepWorld,
} from "./step-world.js";

// What the steps record of each rejected or failed record: every one of them, with what an operator
// needs to find and fix it (its f120_id and reference, where it was refused, and why).

async function exceptionsOf(world: StepWorld, runId: string): Promise<RecordError[]> {
  const found: RecordError[] = [];
  let cursor: string | undefined;
  do {
    const page = await world.store.runs.exceptions(world.tenant.id, runId, {
      limit: 7,
      ...(cursor ? { cursor } : {}),
    });
    found.push(...page.exceptions);
    cursor = page.cursor;
  } while (cursor);
  return found;
}

/** Items whose reference is REF-<f120_id>, as Siesa sends it. */
function withReferences(world: StepWorld): StepWorld {
  for (const source of world.siesa.items)
    source.item = { ...source.item, f120_referencia: `REF-${source.key}` };
  return world;
}

describe("a run's exceptions, as the steps record them", () => {
  it("keeps every record the product refused, past the run's first 50, with its reference and the product's answer", async () => {
    // prepare: the product refuses every record
    const world = withReferences(stepWorld({ items: 80 }));
    world.product.failWith = () => "rejected";

    // act
    const runId = await startScheduledRun(world);
    await drain(world);

    // assess: the run shows 50, its exceptions hold all 80, once each
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run).toMatchObject({ status: "partial", counts: { extracted: 80, rejected: 80 } });
    expect(run?.errors).toHaveLength(50);
    const exceptions = await exceptionsOf(world, runId);
    expect(exceptions.map((e) => e.key)).toEqual(Array.from({ length: 80 }, (_, i) => String(i + 1)));
    expect(exceptions[64]).toEqual({
      key: "65",
      outcome: "rejected",
      reason: "name: refused (65)",
      reference: "REF-65",
      step: "write",
    });
  });

  it("names the fields a mapping refused, and the mapping as the step", async () => {
    // prepare: a mapping that refuses items without a name
    const world = withReferences(
      stepWorld({
        items: 5,
        mapper: {
          ...identityMapper,
          map: (source) =>
            source.key === "3"
              ? {
                  ok: false as const,
                  reason: "name: required; sku: too long",
                  fields: { name: "required", sku: "too long" },
                }
              : identityMapper.map(source),
        } satisfies RecordMapper,
      }),
    );

    // act
    const runId = await startScheduledRun(world);
    await drain(world);

    // assess
    expect(await exceptionsOf(world, runId)).toEqual([
      {
        key: "3",
        outcome: "rejected",
        reason: "name: required; sku: too long",
        reference: "REF-3",
        step: "mapping",
        field: "name, sku",
      },
    ]);
  });
});

describe("a run's exceptions, when a worker dies after counting", () => {
  it("keeps every refused record once when each step dies between counting its records and adding them to the run's first errors", async () => {
    // prepare: the mapping refuses item 3, the product refuses the even items; each delivery that
    // counted records dies right after (its first call adding errors to the run throws), and its
    // message comes back to a step that finds the operation counted
    const world = stepWorld({
      items: 12,
      mapper: {
        ...identityMapper,
        map: (source) =>
          source.key === "3"
            ? { ok: false as const, reason: "name: required", fields: { name: "required" } }
            : identityMapper.map(source),
      } satisfies RecordMapper,
    });
    world.product.failWith = (record) => (Number(record.key) % 2 === 0 ? "rejected" : undefined);
    const died = new Set<string>();
    const runs = withMethod(world.store.runs, "addErrors", (addErrors) => async (...args) => {
      const first = args[2][0]?.key ?? "";
      if (!died.has(first)) {
        died.add(first);
        throw new Error("the worker died");
      }
      return addErrors(...args);
    });
    world.handlers = world.handlersOver({ ...world.deps, runs });

    // act
    const runId = await startScheduledRun(world);
    await drain(world);

    // assess: the deaths happened, and every refused record is an exception once
    expect(died.size).toBeGreaterThan(1);
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run?.counts).toMatchObject({ extracted: 12, rejected: 7 });
    const exceptions = await exceptionsOf(world, runId);
    expect(exceptions.map((e) => `${e.key} ${e.step}`)).toEqual([
      "2 write",
      "3 mapping",
      "4 write",
      "6 write",
      "8 write",
      "10 write",
      "12 write",
    ]);
  });
});

describe("a run's exceptions, when a worker dies before counting", () => {
  it("keeps no exception for a record the product refused, then accepted when the chunk came back", async () => {
    // prepare: the product refuses record 4 once; the first delivery of each load chunk dies after
    // storing its exceptions, before counting them
    const world = stepWorld({ items: 8 });
    let refusals = 1;
    world.product.failWith = (record) => (record.key === "4" && refusals-- > 0 ? "rejected" : undefined);
    const died = new Set<string>();
    const progress = withMethod(world.store.progress, "apply", (apply) => async (...args) => {
      const opId = args[2];
      if (opId.startsWith("load:") && !died.has(opId)) {
        died.add(opId);
        throw new Error("the worker died");
      }
      return apply(...args);
    });
    world.handlers = world.handlersOver({ ...world.deps, progress });

    // act
    const runId = await startScheduledRun(world);
    await drain(world);

    // assess: record 4 was written on the chunk's second delivery, and is no exception
    expect(refusals).toBeLessThan(1);
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run).toMatchObject({ status: "succeeded", counts: { extracted: 8, created: 8, rejected: 0 } });
    expect(await exceptionsOf(world, runId)).toEqual([]);
  });

  it("keeps no exception for a record the product refused, then accepted by a copy of its chunk sent anew", async () => {
    // prepare: the product refuses record 4 once; the chunk's first delivery stores that exception
    // and its Lambda dies before counting, leaving the message hidden for the visibility timeout.
    // Meanwhile the chunk is sent again as a new message, as a unit retried after FIFO's
    // deduplication window sends its chunks (numbered anew, in another FIFO group): the copy's first
    // delivery (receive count 1) finds the dead delivery's claim over and writes record 4.
    const world = stepWorld({
      items: 8,
      tenant: aTenant((t) => {
        t.sync = { ...t.sync, concurrency: 4 };
      }),
    });
    let refusals = 1;
    world.product.failWith = (record) => (record.key === "4" && refusals-- > 0 ? "rejected" : undefined);
    let died = false;
    const progress = withMethod(world.store.progress, "apply", (apply) => async (...args) => {
      if (args[2].startsWith("load:") && !died) {
        died = true;
        throw new Error("the Lambda died");
      }
      return apply(...args);
    });
    const handlers = world.handlersOver({ ...world.deps, progress });
    let dying: SQSRecord | undefined;
    world.handlers = {
      ...handlers,
      load: async (event, context) => {
        if (!died) dying = event.Records[0];
        return handlers.load(event, context);
      },
    };
    const runId = await startScheduledRun(world);
    while (!died && (await deliver(world, "units")) + (await deliver(world, "loads")) > 0);
    if (!dying) throw new Error("no load delivery died");
    const loads = world.queues.queues.loads;
    await world.queues.retryLater(
      loads.queue.arn,
      dying.receiptHandle,
      visibilityTimeoutSeconds(QUEUES.loads),
    );

    // act: the claim and the deduplication window are over; the copy goes first, then the rest
    world.clock.advance(301_000);
    const chunk = JSON.parse(dying.body) as LoadChunk;
    await world.queues.sendLoads([{ ...chunk, position: (chunk.position ?? 0) + 1 }], 4);
    await drain(world);

    // assess: record 4 is written and counted created, and is no exception
    expect(refusals).toBeLessThan(1);
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run).toMatchObject({ status: "succeeded", counts: { extracted: 8, created: 8, rejected: 0 } });
    expect(await exceptionsOf(world, runId)).toEqual([]);
  });

  it("keeps no exception for a record the mapping refused, then accepted when the unit came back after Siesa's edit", async () => {
    // prepare: the mapping refuses item 3 while it has no name; the unit's first delivery dies
    // after storing that, before planning its loads, and item 3 is named before it comes back
    const world = stepWorld({
      items: 5,
      mapper: {
        ...identityMapper,
        map: (source) =>
          source.item.name === ""
            ? { ok: false as const, reason: "name: required", fields: { name: "required" } }
            : identityMapper.map(source),
      } satisfies RecordMapper,
    });
    const third = world.siesa.items[2];
    if (third) third.item = { ...third.item, name: "" };
    let died = false;
    const progress = withMethod(world.store.progress, "apply", (apply) => async (...args) => {
      if (args[2].startsWith("plan:") && !died) {
        died = true;
        if (third) third.item = { ...third.item, name: "item 3" };
        throw new Error("the worker died");
      }
      return apply(...args);
    });
    world.handlers = world.handlersOver({ ...world.deps, progress });

    // act
    const runId = await startScheduledRun(world);
    await drain(world);

    // assess: item 3 was written on the unit's second delivery, and is no exception
    expect(died).toBe(true);
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run).toMatchObject({ status: "succeeded", counts: { extracted: 5, created: 5, rejected: 0 } });
    expect(await exceptionsOf(world, runId)).toEqual([]);
  });
});
