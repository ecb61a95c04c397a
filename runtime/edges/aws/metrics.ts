import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { DIMENSIONS, METRIC_NAMESPACE, SERVICE_NAME } from "../../core/observability/metric-names.js";
import type { MetricsSink } from "../../core/ports/dependencies.js";

/**
 * EMF metrics through Powertools. Each metric is emitted twice: with its own dimensions (per tenant,
 * for the dashboard's per-tenant rows) and with only `stack` (what the stack's alarms watch; CloudWatch
 * alarms cannot add up across dimension values themselves).
 */
export function powertoolsMetrics(stack: string): MetricsSink {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: SERVICE_NAME });
  const emit = (
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
    dimensions: Record<string, string>,
  ) => {
    for (const set of [dimensions, { [DIMENSIONS.stack]: stack }]) {
      const single = metrics.singleMetric();
      for (const [key, dimension] of Object.entries(set)) single.addDimension(key, dimension);
      single.addMetric(name, unit, value);
    }
  };
  return {
    count: (name, value, dimensions) => emit(name, MetricUnit.Count, value, dimensions),
    seconds: (name, value, dimensions) => emit(name, MetricUnit.Seconds, value, dimensions),
    // Single metrics are written as they are added: nothing is buffered.
    flush: () => {},
  };
}
