import type { ErrorBody } from "../common/errors.js";
import type { RunJson, ScheduleJson } from "../common/views.js";

/**
 * How the console's pages read data: through the JSON API itself, in-process, with the caller's own
 * `Authorization` header. So a page shows exactly what that token may see (tenant scoping, 401, 403)
 * and every error is the API's own, with no second copy of the rules here.
 */
export type ApiRequest = (path: string, init: { headers: Record<string, string> }) => Promise<Response>;

/** An API answer that is an error: its status and the API's `{"error":{…}}` body, passed on to the browser. */
export class ConsoleApiError extends Error {
  override readonly name = "ConsoleApiError";
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.error.message);
  }
}

/** `GET /tenants/:id/status`, as the console reads it. */
export interface StatusJson {
  tenantId: string;
  verdict: string;
  reason: string;
  lastRun: RunJson | null;
  activeRun: RunJson | null;
  lastSuccessAt: string | null;
  nextRunAt: string | null;
  schedule: ScheduleJson;
  /** Not in every API version: deactivations held for an operator's approval (see held.ts). */
  heldDeactivations?: unknown;
  /** The streams the tenant syncs beside the catalogue, each with its own runs. */
  streams?: Record<string, { lastRun: RunJson | null; activeRun: RunJson | null }>;
}

/** `GET /tenants` and `GET /tenants/:id`: the fields the console shows. */
export interface TenantJson {
  id: string;
  environment: string;
  product: { type: string };
  schedule: ScheduleJson;
  paused: boolean;
  /** The streams its file declares beside the catalogue (the stock page is a stock stream's). */
  streams?: { stock?: unknown };
}

export interface ApiReader {
  /** The JSON body of a GET; a ConsoleApiError when the API answers an error. */
  get<T>(path: string): Promise<T>;
}

export function apiReader(request: ApiRequest, authorization: string | undefined): ApiReader {
  return {
    async get<T>(path: string): Promise<T> {
      const response = await request(path, { headers: authorization ? { authorization } : {} });
      const body = (await response.json()) as T | ErrorBody;
      // A tenant's status answers 503 unless healthy: that is data, not an error. Errors carry `error`.
      if (isErrorBody(body)) throw new ConsoleApiError(response.status, body);
      return body;
    },
  };
}

const isErrorBody = (body: unknown): body is ErrorBody =>
  typeof body === "object" && body !== null && "error" in body;

/** Path segments from the browser's URL, encoded before they go into an API path. */
export const segment = (value: string) => encodeURIComponent(value);
