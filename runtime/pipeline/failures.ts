import { ExternalCallError } from "../http/errors.js";
import { DIMENSIONS, METRICS } from "../observability/metric-names.js";
import type { PipelineContext } from "./context.js";

/** Errors after which the run stops early: the credentials are refused even after a fresh login. */
const RUN_STOPPING = new Set(["SiesaAuthError", "ProductAuthError", "CredentialsError"]);

/** A run whose source keeps failing stops after this many units in a row gave up. */
export const FAILED_UNITS_BEFORE_STOP = 5;

export const isRunStopping = (error: unknown): error is Error =>
  error instanceof Error && RUN_STOPPING.has(error.name);

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Counts an outside API's failure in the `ApiErrors` metric (by api and status) and logs it. */
export function reportApiError(ctx: PipelineContext, tenantId: string, runId: string, error: unknown): void {
  const api =
    error instanceof ExternalCallError ? error.service : error instanceof Error ? error.name : "unknown";
  const status = error instanceof ExternalCallError ? String(error.status) : "error";
  ctx.metrics.count(METRICS.apiErrors, 1, {
    [DIMENSIONS.tenant]: tenantId,
    [DIMENSIONS.api]: api,
    [DIMENSIONS.status]: status,
  });
  ctx.log.warn("pipeline step failed", { tenantId, runId, api, status, error: messageOf(error) });
}
