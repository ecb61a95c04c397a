import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Plan } from "../../infra/plan/run.js";
import { DIMENSIONS, METRIC_NAMESPACE, METRICS } from "../../runtime/core/observability/metric-names.js";
import type { MetricsSink } from "../../runtime/core/ports/dependencies.js";
import { powertoolsMetrics } from "../../runtime/edges/aws/metrics.js";
import { FIXTURE_TENANT, fixturePlanOf, ofType, T } from "./plans.js";

/** One metric series as CloudWatch files it: name and exact dimension set. */
interface Series {
  metric: string;
  dimensions: Record<string, string>;
}

const STACK = "staging";
/** The stack's one tenant: the dashboard has a row per tenant, each reading that tenant's series. */
const TENANT = FIXTURE_TENANT.staging;

/** What the runtime's Powertools sink writes (EMF on stdout), as series. */
function emittedBy(emit: (sink: MetricsSink) => void): Series[] {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    emit(powertoolsMetrics(STACK));
  } finally {
    write.mockRestore();
  }
  return lines
    .filter((line) => line.includes('"_aws"'))
    .flatMap((line) => {
      const record = JSON.parse(line);
      const [directive] = record._aws.CloudWatchMetrics;
      expect(directive.Namespace).toBe(METRIC_NAMESPACE);
      return directive.Dimensions.flatMap((keys: string[]) =>
        directive.Metrics.map((m: { Name: string }) => ({
          metric: m.Name,
          dimensions: Object.fromEntries(keys.map((k) => [k, String(record[k])])),
        })),
      );
    });
}

const key = (s: Series) =>
  `${s.metric} ${JSON.stringify(Object.fromEntries(Object.entries(s.dimensions).sort()))}`;

describe("alarms and dashboard read the series the workers emit", () => {
  let emitted: Set<string>;
  let emittedShapes: Set<string>;
  let plan: Plan;

  beforeAll(async () => {
    // The dimensions of runtime/core/steps/after-progress.ts and failures.ts.
    const tenant = { [DIMENSIONS.tenant]: TENANT };
    const series = emittedBy((sink) => {
      sink.count(METRICS.runFinished, 1, { ...tenant, [DIMENSIONS.status]: "succeeded" });
      sink.count(METRICS.runFailed, 0, tenant);
      sink.count(METRICS.runDrift, 0, tenant);
      sink.seconds(METRICS.runDuration, 42, tenant);
      // runtime/core/steps/deactivate.ts, when a run holds its deactivations.
      sink.count(METRICS.deactivationsHeld, 600, tenant);
      for (const records of [
        METRICS.recordsCreated,
        METRICS.recordsUpdated,
        METRICS.recordsUnchanged,
        METRICS.recordsRejected,
        METRICS.recordsFailed,
        METRICS.recordsDeactivated,
        METRICS.recordsReactivated,
      ]) {
        sink.count(records, 1, tenant);
      }
      sink.count(METRICS.apiErrors, 1, {
        ...tenant,
        [DIMENSIONS.api]: "kong-rfid",
        [DIMENSIONS.status]: "500",
      });
      // runtime/edges/aws/tokens.ts, on a failed reload of the API's token list.
      sink.count(METRICS.tokenListReloadFailed, 1, {});
      // runtime/workers/settle-worker.ts, per dead-lettered message.
      sink.count(METRICS.deadLettered, 1, { [DIMENSIONS.queue]: "loads" });
      // runtime/core/steps/raise-events.ts and deliver-notification.ts.
      sink.count(METRICS.notificationsNotRaised, 1, tenant);
      sink.count(METRICS.notificationsUndeliverable, 1, { ...tenant, [DIMENSIONS.channel]: "webhook" });
    });
    emitted = new Set(series.map(key));
    emittedShapes = new Set(series.map((s) => `${s.metric} ${Object.keys(s.dimensions).sort().join(",")}`));
    plan = await fixturePlanOf(STACK);
  });

  it("every stack alarm on a worker metric watches a series that is emitted", () => {
    const watched: Series[] = ofType(plan, T.alarm).flatMap((alarm) => {
      const i = alarm.inputs as Record<string, unknown>;
      if (i.namespace === METRIC_NAMESPACE) {
        return [{ metric: String(i.metricName), dimensions: i.dimensions as Record<string, string> }];
      }
      return ((i.metricQueries as { metric?: Record<string, unknown> }[] | undefined) ?? [])
        .filter((q) => q.metric?.namespace === METRIC_NAMESPACE)
        .map((q) => ({
          metric: String(q.metric?.metricName),
          dimensions: q.metric?.dimensions as Record<string, string>,
        }));
    });
    expect(watched.map((s) => s.metric).sort()).toEqual(
      [
        METRICS.apiErrors,
        METRICS.deadLettered,
        METRICS.deactivationsHeld,
        METRICS.notificationsNotRaised,
        METRICS.notificationsUndeliverable,
        METRICS.runDrift,
        METRICS.runDuration,
        METRICS.runFailed,
        METRICS.runFinished,
        METRICS.tokenListReloadFailed,
      ].sort(),
    );
    for (const series of watched) expect(emitted, key(series)).toContain(key(series));
  });

  it("every dashboard metric and SEARCH names an emitted series", () => {
    const body = JSON.parse(String(ofType(plan, T.dashboard)[0]?.inputs.dashboardBody));
    const metricRows = body.widgets
      .filter((w: { type: string }) => w.type === "metric")
      .flatMap((w: { properties: { metrics: unknown[][] } }) => w.properties.metrics);
    let checked = 0;
    for (const row of metricRows) {
      const [first] = row;
      if (typeof first === "string") {
        const [, metric, ...rest] = row.filter((cell: unknown) => typeof cell === "string") as string[];
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < rest.length; i += 2) dimensions[rest[i] as string] = rest[i + 1] as string;
        expect(emitted, key({ metric: String(metric), dimensions })).toContain(
          key({ metric: String(metric), dimensions }),
        );
        checked++;
      } else {
        const expression = String((first as { expression: string }).expression);
        for (const [, schema, metric] of expression.matchAll(/\{([^}]+)\} MetricName="([^"]+)"/g)) {
          const [namespace, ...dimensionNames] = String(schema).split(",");
          expect(namespace).toBe(METRIC_NAMESPACE);
          const shape = `${metric} ${dimensionNames.sort().join(",")}`;
          expect(emittedShapes, shape).toContain(shape);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(9);
  });
});
