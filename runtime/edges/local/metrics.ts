import type { Log } from "../../core/observability/logger.js";
import type { MetricsSink } from "../../core/ports/dependencies.js";

/**
 * Metrics of the local stack: there is no CloudWatch to receive EMF, so each data point is a debug
 * log line (POWERTOOLS_LOG_LEVEL=DEBUG shows them).
 */
export function loggedMetrics(log: Log): MetricsSink {
  return {
    count: (name, value, dimensions) =>
      log.debug("metric", { metric: name, value, unit: "Count", dimensions }),
    seconds: (name, value, dimensions) =>
      log.debug("metric", { metric: name, value, unit: "Seconds", dimensions }),
    flush: () => {},
  };
}
