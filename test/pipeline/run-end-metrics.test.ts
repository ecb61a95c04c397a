import { describe, expect, it, vi } from "vitest";
import { DIMENSIONS, METRICS } from "../../runtime/core/observability/metric-names.js";
import { createPipelineContext } from "../../runtime/core/steps/context.js";
import { settleRequest } from "../../runtime/core/steps/settle.js";
import { powertoolsMetrics } from "../../runtime/edges/aws/metrics.js";
import { createSweeper } from "../../runtime/workers/index.js";
import { startScheduledRun, stepWorld } from "./step-world.js";

// The stack's alarms (run-duration, run-failure-rate) read each run's end metrics in the series with
// only the `stack` dimension: a run must count there however it ends, not only when its work did.

const STACK = "staging";

/** The metrics `act` emits through the Lambda functions' sink, as name, value and dimensions. */
async function emittedBy(act: (sink: ReturnType<typeof powertoolsMetrics>) => Promise<unknown>) {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await act(powertoolsMetrics(STACK));
  } finally {
    write.mockRestore();
  }
  return lines
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line))
    .flatMap((record) => {
      const [directive] = record._aws.CloudWatchMetrics;
      const dimensions = Object.fromEntries(
        (directive.Dimensions[0] as string[]).map((key) => [key, String(record[key])]),
      );
      return directive.Metrics.map((m: { Name: string }) => ({
        name: m.Name,
        value: record[m.Name] as number,
        dimensions,
      }));
    });
}

describe("a run the sweeper ends at its maximum duration", () => {
  it("counts as finished, failed and as long as it ran, in the series the stack's alarms watch", async () => {
    // prepare: a run whose messages were all lost, past its tenant's maxRunMinutes
    const world = stepWorld({ items: 20 });
    await startScheduledRun(world);
    world.queues.queues.units.queue.receive(10);
    const ranMinutes = world.tenant.sync.maxRunMinutes + 1;
    world.clock.advance(ranMinutes * 60_000);

    // act
    const emitted = await emittedBy((metrics) =>
      createSweeper(world.scoped("settle", { ...world.deps, metrics }))(),
    );

    // assess: once each, as a run that ended by its last operation would
    const forStack = emitted.filter((m) => m.dimensions[DIMENSIONS.stack] === STACK);
    const ofName = (name: string) => forStack.filter((m) => m.name === name).map((m) => m.value);
    expect(ofName(METRICS.runDuration)).toEqual([ranMinutes * 60]);
    expect(ofName(METRICS.runFailed)).toEqual([1]);
    expect(ofName(METRICS.runFinished)).toEqual([1]);
  });
});

describe("a scheduled sync request whose every delivery died before it opened its run", () => {
  it("counts as finished and failed in the series the stack's alarms watch, as its run in the history says", async () => {
    // prepare: the schedule's request, never dispatched
    const world = stepWorld({ items: 20 });
    const request = { tenantId: world.tenant.id, trigger: "schedule" as const };

    // act: settle takes it from the dead-letter queue
    const emitted = await emittedBy((metrics) =>
      settleRequest(createPipelineContext(world.scoped("settle", { ...world.deps, metrics })), request, {
        messageId: "m-1",
        sentAt: new Date(world.clock.now),
      }),
    );

    // assess
    const [run] = (await world.deps.runs.list(world.tenant.id, { limit: 1 })).runs;
    expect(run?.status).toBe("failed");
    const forStack = emitted.filter((m) => m.dimensions[DIMENSIONS.stack] === STACK);
    const ofName = (name: string) => forStack.filter((m) => m.name === name).map((m) => m.value);
    expect(ofName(METRICS.runFailed)).toEqual([1]);
    expect(ofName(METRICS.runFinished)).toEqual([1]);
  });
});
