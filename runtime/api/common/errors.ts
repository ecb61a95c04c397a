import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Log } from "../../core/observability/logger.js";

/**
 * Every error the API answers has one shape, `{"error":{"code","message","details"}}`, so a client
 * handles all of them with one branch. `message` is for people (it names the field, tenant or run);
 * `code` is for programs; `details` is always an object (empty when there is nothing to add).
 */
export const ERROR_CODES = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  500: "internal_error",
} as const;

export type ErrorStatus = keyof typeof ERROR_CODES;

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** Thrown by routes and middleware; app.onError turns it into the JSON answer. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: ErrorStatus,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly code: string = ERROR_CODES[status],
  ) {
    super(message);
  }
}

export function errorBody(error: ApiError): ErrorBody {
  return { error: { code: error.code, message: error.message, details: error.details } };
}

/** The answer for an error: ApiError as it says; anything else is a 500 that tells nothing of our internals. */
export function errorResponse(c: Context, error: unknown, log: Log): Response {
  if (error instanceof ApiError) {
    if (error.status === 401) c.header("WWW-Authenticate", 'Bearer realm="siesa-integration"');
    return c.json(errorBody(error), error.status as ContentfulStatusCode);
  }
  log.error("unexpected error in the API", {
    method: c.req.method,
    path: c.req.path,
    error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : error,
  });
  const internal = new ApiError(500, "internal error: the request could not be completed, see the logs");
  return c.json(errorBody(internal), 500);
}
