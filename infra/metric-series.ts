import { DIMENSIONS, METRIC_NAMESPACE, METRICS } from "../runtime/observability/metric-names.js";

/**
 * The dimension sets the alarms and the dashboard read, so the workers know what to emit (names from
 * runtime/observability/metric-names.ts). Each EMF record carries two sets:
 * - per stack, `{stack}`: what the stack alarms watch, so a new tenant needs no new alarm;
 * - per tenant, `{stack, tenantId}` (+ `status` on RunFinished, + `api`, `status` on ApiErrors): the
 *   dashboard's rows.
 */
export const NAMESPACE = METRIC_NAMESPACE;

export const stackSeries = (stack: string): Record<string, string> => ({ [DIMENSIONS.stack]: stack });

export const tenantSeries = (stack: string, tenantId: string): Record<string, string> => ({
  [DIMENSIONS.stack]: stack,
  [DIMENSIONS.tenant]: tenantId,
});

/** A CloudWatch SEARCH over one tenant's series of a metric that also varies by `extra` dimensions. */
export function tenantSearch(
  metric: string,
  stack: string,
  tenantId: string,
  extra: readonly string[],
  statistic: string,
  periodSeconds: number,
): string {
  const schema = [NAMESPACE, ...[DIMENSIONS.stack, DIMENSIONS.tenant, ...extra].sort()].join(",");
  const filter = `MetricName="${metric}" ${DIMENSIONS.stack}="${stack}" ${DIMENSIONS.tenant}="${tenantId}"`;
  return `SEARCH('{${schema}} ${filter}', '${statistic}', ${periodSeconds})`;
}

export { DIMENSIONS, METRICS };
