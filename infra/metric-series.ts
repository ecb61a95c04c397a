import {
  DIMENSIONS,
  METRIC_NAMESPACE,
  METRICS,
  SERVICE_NAME,
} from "../runtime/core/observability/metric-names.js";

/**
 * The metric series the alarms and the dashboard read, as the workers emit them
 * (runtime/edges/aws/metrics.ts, names from runtime/core/observability/metric-names.ts). Each metric is emitted
 * with two dimension sets, and Powertools adds `service` to both:
 * - `{service, stack}`: what the stack alarms watch, so a new tenant needs no new alarm;
 * - `{service, tenantId}` (+ `status` on RunFinished, + `api`, `status` on ApiErrors): the
 *   dashboard's per-tenant rows (tenant ids are unique across stacks).
 * test/infra/metrics-contract.test.ts emits through the runtime's sink and checks both sides agree.
 */
export const NAMESPACE = METRIC_NAMESPACE;

/** Powertools' default dimension: the service name runtime/edges/aws/metrics.ts gives its Metrics. */
export const SERVICE_DIMENSION = { service: SERVICE_NAME } as const;

export const stackSeries = (stack: string): Record<string, string> => ({
  ...SERVICE_DIMENSION,
  [DIMENSIONS.stack]: stack,
});

export const tenantSeries = (tenantId: string): Record<string, string> => ({
  ...SERVICE_DIMENSION,
  [DIMENSIONS.tenant]: tenantId,
});

/** A CloudWatch SEARCH over one tenant's series of a metric that also varies by the `extra` dimensions. */
export function tenantSearch(
  metric: string,
  tenantId: string,
  extra: readonly string[],
  statistic: string,
  periodSeconds: number,
): string {
  const dimensions = [...Object.keys(SERVICE_DIMENSION), DIMENSIONS.tenant, ...extra].sort();
  const filter = Object.entries(tenantSeries(tenantId))
    .map(([key, value]) => `${key}="${value}"`)
    .join(" ");
  return `SEARCH('{${[NAMESPACE, ...dimensions].join(",")}} MetricName="${metric}" ${filter}', '${statistic}', ${periodSeconds})`;
}

export { DIMENSIONS, METRICS };
