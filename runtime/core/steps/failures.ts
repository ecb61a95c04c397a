import { DIMENSIONS, METRICS } from "../observability/metric-names.js";
import { ExternalCallError } from "../ports/call-errors.js";
import { CredentialsError } from "../ports/pipeline.js";
import { ProductAuthError } from "../ports/product-auth-error.js";
import { SiesaAuthError } from "../ports/siesa-errors.js";
import type { PipelineContext } from "./context.js";

/** A run whose source keeps failing stops after this many units in a row gave up. */
export const FAILED_UNITS_BEFORE_STOP = 5;

/** Errors after which writing more records is pointless: the run stops (they are named by the clients). */
const RUN_STOPPING_ERRORS = new Set([
  "ProductAuthError",
  "SiesaAuthError",
  "SiesaFilterError",
  "SiesaOperatorRefusedError",
  "CredentialsError",
]);

/**
 * Credentials refused for good (or unusable), or a Siesa that ignores its filter or refuses one it
 * needs: retrying cannot help.
 */
export const isRunStopping = (error: unknown): error is Error =>
  error instanceof Error && RUN_STOPPING_ERRORS.has(error.name);

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Which outside system an error came from, and its status, as the ApiErrors metric names them. */
export function apiOf(error: unknown): { api: string; status: string } {
  if (error instanceof ExternalCallError) return { api: error.service, status: String(error.status) };
  if (error instanceof ProductAuthError)
    return { api: error.product, status: String(error.status ?? "auth") };
  if (error instanceof SiesaAuthError) return { api: "siesa", status: "401" };
  if (error instanceof CredentialsError) return { api: "secrets", status: "unusable" };
  return { api: "internal", status: error instanceof Error ? error.name : "error" };
}

/** Counts an outside API's failure in the `ApiErrors` metric (by api and status) and logs it. */
export function reportApiError(ctx: PipelineContext, tenantId: string, runId: string, error: unknown): void {
  const { api, status } = apiOf(error);
  ctx.metrics.count(METRICS.apiErrors, 1, {
    [DIMENSIONS.tenant]: tenantId,
    [DIMENSIONS.api]: api,
    [DIMENSIONS.status]: status,
  });
  ctx.log.warn("pipeline step failed", { tenantId, runId, api, status, error: messageOf(error) });
}

/**
 * A unit or chunk whose last delivery failed and was counted `failed`: logged, and counted in the
 * DeadLettered metric (what the dead-letter queue's alarm would have said).
 */
export function givenUp(
  ctx: PipelineContext,
  queue: "units" | "loads",
  tenantId: string,
  runId: string,
  reason: string,
): void {
  ctx.metrics.count(METRICS.deadLettered, 1, { [DIMENSIONS.queue]: queue });
  ctx.log.error("message given up after its last delivery", { queue, tenantId, runId, error: reason });
}
