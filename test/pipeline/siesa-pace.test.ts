import { describe, expect, it } from "vitest";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import type { QueueHandler } from "../../runtime/core/ports/dependencies.js";
import type { ExtractOptions, KeyRange } from "../../runtime/core/ports/siesa.js";
import type { TenantClients } from "../../runtime/core/ports/tenant-clients.js";
import { giveUpReason } from "../../runtime/core/steps/run-end.js";
import {
  deliver,
  drain,
  FakeSiesa,
  receiveEvent,
  type StepWorld,
  startScheduledRun,
  stepWorld,
  T0,
  untilDeactivationPass,
} from "./step-world.js";

// Workers of one tenant share what one learnt of Siesa's rate limit through the run they work for:
// a pause a unit's client learnt is recorded on the run, and every worker's next unit, which reads the
// run before its first Siesa call anyway, waits for it too (runtime/core/steps/extract-unit.ts).

/** A Siesa stand-in whose rate-limit pace the test scripts, recording what it is told and read. */
class PacedSiesa extends FakeSiesa {
  readonly events: string[] = [];
  learnt: number | undefined;
  readonly pace = {
    pausedUntil: () => this.learnt,
    pauseUntil: (until: number) => {
      this.events.push(`pause until ${until - T0}`);
    },
  };

  override async extractRange(range: KeyRange, options: ExtractOptions = {}) {
    this.events.push(`read ${range.from}..${range.to}`);
    return super.extractRange(range, options);
  }
}

/** One unit from the units queue, handled by `handler` (one worker's container). */
async function deliverUnit(world: StepWorld, handler: QueueHandler): Promise<void> {
  const pair = world.queues.queues.units;
  const event = receiveEvent(pair.queue, 1);
  if (event.Records.length === 0) throw new Error("no unit to deliver");
  const response = await handler(event, undefined);
  if (response.batchItemFailures.length > 0) throw new Error("the unit failed");
  for (const record of event.Records) pair.queue.delete(record.receiptHandle);
}

/** Worker containers of one world, each with its own Siesa client. */
function containers(world: StepWorld, count: number) {
  return Array.from({ length: count }, () => {
    const siesa = new PacedSiesa(250, 100);
    const clients = world.deps.clientsFor(world.tenant, {
      siesa: { conniKey: "fake", conniToken: "fake" },
      product: { username: "fake", password: "fake" },
    });
    const handlers = world.handlersOver({
      ...world.deps,
      clientsFor: (): TenantClients => ({ ...clients, siesa: siesa as unknown as TenantClients["siesa"] }),
    });
    return { siesa, extract: handlers.extract };
  });
}

describe("a Siesa pause learnt by one worker", () => {
  it("is recorded on the run, and the other worker's next unit waits for it before reading", async () => {
    // prepare: two containers; the first one's client learns that Siesa's window is nearly used
    const world = stepWorld({ items: 250, pageSize: 100 });
    const [first, second] = containers(world, 2);
    if (!first || !second) throw new Error("two containers");
    const runId = await startScheduledRun(world);
    const until = world.clock.now + 30_000;
    first.siesa.learnt = until;

    // act: the first unit (it splits) in the first container, a child in the second
    await deliverUnit(world, first.extract);
    const recorded = (await world.store.runs.get(world.tenant.id, runId))?.siesaPausedUntil;
    await deliverUnit(world, second.extract);

    // assess
    expect(recorded).toBe(until);
    expect(second.siesa.events[0]).toBe(`pause until ${until - T0}`);
    expect(second.siesa.events[1]).toMatch(/^read /);
  });

  it("is recorded once: a pause no later than the run's is not written again", async () => {
    const world = stepWorld({ items: 250, pageSize: 100 });
    const [first] = containers(world, 1);
    if (!first) throw new Error("one container");
    const runId = await startScheduledRun(world);
    first.siesa.learnt = world.clock.now + 30_000;
    let writes = 0;
    const pauseSiesa = world.store.runs.pauseSiesa.bind(world.store.runs);
    world.store.runs.pauseSiesa = async (...args) => {
      writes += 1;
      return pauseSiesa(...args);
    };

    await deliverUnit(world, first.extract);
    await deliverUnit(world, first.extract);
    await deliverUnit(world, first.extract);

    expect(writes).toBe(1);
    expect((await world.store.runs.get(world.tenant.id, runId))?.siesaPausedUntil).toBe(first.siesa.learnt);
  });
});

describe("a pause longer than the invocation can wait", () => {
  // As the client throws it (runtime/edges/http/siesa/pace.ts): not sent, retryable, with the wait.
  const paused = (waitMs: number) =>
    new ExternalCallError("siesa", "a call", "rate-limit", "no room", true, waitMs, "siesa.example.com");
  const now = T0;

  it("hands the unit back to its queue for the wait when the run has time for it", () => {
    expect(giveUpReason(paused(45_000), { final: false }, now + 600_000, now)).toBeUndefined();
  });

  it("gives the unit up, naming the rate limit, when the wait reaches past the run's end", () => {
    expect(giveUpReason(paused(900_000), { final: false }, now + 600_000, now)).toBe(
      "siesa.example.com's rate limit leaves no room until its reset in 900 s, beyond this run's end",
    );
  });
});

describe("a unit whose reads do not fit in one invocation under the rate limit", () => {
  it("is read in halves of its range, down to what fits, and the run succeeds with every record once", async () => {
    // prepare: a rate limit under which no invocation can read more than 8 items' pages and barcodes
    // (the client throws its "no room before the reset" error); handed back whole, such a unit would
    // read its range from the start again on every delivery, and never fit
    const world = stepWorld({ items: 40, pageSize: 100 });
    world.siesa.onRead = (range) => {
      const inRange = world.siesa.items.filter(
        (r) => Number(r.key) >= range.from && Number(r.key) < range.to,
      );
      if (inRange.length > 8)
        throw new ExternalCallError(
          "siesa",
          "read items",
          "rate-limit",
          "no room",
          true,
          45_000,
          "siesa.example.com",
        );
      return undefined;
    };

    // act
    const runId = await startScheduledRun(world);
    await drain(world);

    // assess
    const run = await world.store.runs.get(world.tenant.id, runId);
    expect(run).toMatchObject({ status: "succeeded", counts: { extracted: 40, created: 40, failed: 0 } });
    expect([...world.product.creates.values()].every((n) => n === 1)).toBe(true);
    expect(world.product.creates.size).toBe(40);
  });
});

describe("the deactivation pass under a recorded pause", () => {
  it("waits for the pause the run records before asking Siesa again for what is absent", async () => {
    // prepare: an earlier run wrote every record; one is gone now; the new run's units are read
    const world = stepWorld({ items: 30, pageSize: 100 });
    await startScheduledRun(world);
    await drain(world);
    world.siesa.items.splice(-1);
    const runId = await startScheduledRun(world);
    await untilDeactivationPass(world);
    const until = world.clock.now + 30_000;
    await world.store.runs.pauseSiesa(world.tenant.id, runId, until);
    const [container] = containers(world, 1);
    if (!container) throw new Error("one container");
    const asked: string[] = container.siesa.events;
    const stillAbsent = container.siesa.stillAbsent.bind(container.siesa);
    container.siesa.stillAbsent = async (absent, seen) => {
      asked.push(`confirm ${absent.join(",")}`);
      return stillAbsent(absent, seen);
    };

    // act: the pass, in a container that never heard of the pause
    await deliverUnit(world, container.extract);

    // assess
    expect(asked).toEqual([`pause until ${until - T0}`, "confirm 30"]);
  });
});

describe("a unit that meets a pause longer than its invocation before its first call", () => {
  it("goes back to its queue whole for the pause: halves would meet the same pause, and split again", async () => {
    // prepare: another worker recorded a pause of ten minutes on the run; this container's client
    // refuses every call until then, as the real pace does when the wait does not fit the invocation
    const world = stepWorld({ items: 30, pageSize: 100 });
    const runId = await startScheduledRun(world);
    await deliver(world, "syncRequests");
    const until = world.clock.now + 600_000;
    await world.store.runs.pauseSiesa(world.tenant.id, runId, until);
    const [container] = containers(world, 1);
    if (!container) throw new Error("one container");
    const { siesa } = container;
    siesa.pace.pauseUntil = (at: number) => {
      siesa.learnt = Math.max(siesa.learnt ?? 0, at);
    };
    siesa.extractRange = async () => {
      const wait = (siesa.learnt ?? 0) - world.clock.now;
      throw new ExternalCallError(
        "siesa",
        "read items",
        "rate-limit",
        "no room",
        true,
        wait,
        "siesa.example.com",
      );
    };
    const before = await world.store.progress.read(world.tenant.id, runId);

    // act
    const pair = world.queues.queues.units;
    await container.extract(receiveEvent(pair.queue, 1), undefined);

    // assess: the same unit waits on its queue for the pause; nothing was planned in its place
    const after = await world.store.progress.read(world.tenant.id, runId);
    expect(after.unitsPlanned).toBe(before.unitsPlanned);
    expect(pair.queue.size).toBe(1);
    world.clock.advance(599_000);
    expect(receiveEvent(pair.queue, 10).Records).toHaveLength(0);
    world.clock.advance(1_000);
    expect(receiveEvent(pair.queue, 10).Records).toHaveLength(1);
  });
});
