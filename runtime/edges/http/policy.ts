import { createFetch, FetchError, type FetchOptions, type FetchResponse } from "ofetch";
import { cutText } from "../../core/observability/cut-text.js";
import type { Log } from "../../core/observability/logger.js";
import { ExternalCallError, type ServiceName } from "../../core/ports/call-errors.js";
import type { CallPolicy } from "../../core/ports/call-policy.js";
import { timeLeftMs } from "../../core/ports/deadline.js";
import { boundedFetch, UnusableAnswerError } from "./bounded-fetch.js";
import { withoutSecrets } from "./secret-text.js";

/** ofetch over Node's fetch, the answer read within bounds (bounded-fetch.ts). */
const $fetch = createFetch({ fetch: boundedFetch });

/**
 * The error policy of every outbound call (docs/integrations/README.md):
 * - 2xx and 4xx other than 429 come back to the caller, who knows what a 400 or 401 means there;
 * - 3xx: never followed (a POST or PATCH sent on to another address could land anywhere, and a
 *   load balancer's redirect to its login page is not the API's answer): an ExternalCallError naming
 *   the status and where it pointed, retryable (the record is `failed`, not rejected), not retried
 *   within the call;
 * - 429: wait for `Retry-After` (seconds or HTTP date), else what the API's own headers say
 *   (`waitOf429`), else backoff; at most `rateLimitRetries` times;
 * - 5xx: up to `retryAttempts` retries, exponential 1 s, 2 s, 4 s… with jitter (half to the full step),
 *   but a 503's `Retry-After` (a maintenance window) is waited instead, and kept once given up;
 * - timeout: one retry; network error: retried like a 5xx, with delay;
 * - a `once` request (RequestOptions) is not retried after a 5xx, a timeout or a connection that
 *   dropped once it was sent; only one that never connected goes again;
 * - inside a worker with a deadline, no retry is sent whose wait and timeout do not fit in the time
 *   left: the error is thrown instead, and the worker fails its message rather than be stopped.
 * When retries run out an ExternalCallError with `retryable: true` is thrown.
 * A 429 is retried at most `rateLimitRetries` times and never waited on longer than `maxDelayMs`,
 * so a misbehaving Retry-After cannot hold a worker past its timeout. Inside a worker with a deadline
 * (deadline.ts), a 429 whose wait and the call after it do not fit in the time left is not waited
 * for: the ExternalCallError carries the wait (`retryAfterMs`), and the worker returns the message to
 * its queue for that long.
 * Log lines name the outside API under `api` (Powertools reserves `service` for our own name).
 *
 * ofetch's own `retry` counts every kind of failure alike and cannot honour Retry-After, so it is
 * off (retry: 0) and this loop decides; ofetch still does query strings, JSON bodies and timeouts.
 *
 * Hostile answers are errors, never crashes: a status outside 200-599, a body over 10 MB
 * (bounded-fetch.ts), a success answer that is not JSON or not valid JSON. Each becomes an
 * ExternalCallError with status "invalid-answer" (retryable: the record or unit is `failed`, not
 * rejected; it is not retried within the call). Error answers (4xx/5xx) may be plain text: their
 * text is kept for the message.
 */
/**
 * What a caller says about its request; how the answer is read is up to send(). `once`: a request
 * that creates something a second copy of which the API would keep (a WMS product): after a
 * timeout or a 5xx, which may come after the API applied it, it is not sent again within the call;
 * the error goes back to the caller, whose next write looks the record up before creating it.
 * `secrets`: the credentials the request carries (a header's token, a login's password). An error
 * answer (4xx, 5xx) may quote the request back, and its words become log lines, error messages
 * and a record's reason: they are masked out of its body before anyone reads it (secret-text.ts).
 * `secretsInEveryAnswer`: a success answer is masked too (an API that says what went wrong in a 200,
 * something else at the base URL echoing the request); not for a login, whose answer is the token.
 */
export type RequestOptions = Pick<FetchOptions, "method" | "headers" | "body" | "query" | "baseURL"> & {
  once?: boolean;
  secrets?: readonly string[];
  secretsInEveryAnswer?: boolean;
  /**
   * Called with every 429's headers: how long they ask to wait by the API's own headers (Siesa's
   * `Connekta-Rate-Limit-Reset`), in ms, used when `Retry-After` is absent; undefined: they say
   * nothing, and the backoff stands.
   */
  waitOf429?: (headers: Headers) => number | undefined;
};

export interface CallContext {
  service: ServiceName;
  operation: string;
  tenantId: string;
  log: Log;
}

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoffMs(policy: CallPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  // "Equal jitter": at least half the step, so retries never bunch up at zero.
  return ceiling / 2 + policy.random() * (ceiling / 2);
}

/** An error answer's body for the log and the error message: outside text, so cut. */
function apiMessage(data: unknown): string {
  if (data == null) return "";
  return cutText(typeof data === "string" ? data : JSON.stringify(data));
}

/** Warn when an API says less than 20 % of its rate limit remains (directive §5.2). */
function watchRateLimit(response: FetchResponse<unknown>, ctx: CallContext): void {
  const limit = Number(response.headers.get("x-ratelimit-limit"));
  const remaining = Number(response.headers.get("x-ratelimit-remaining"));
  if (limit > 0 && Number.isFinite(remaining) && remaining < limit * 0.2) {
    ctx.log.warn("rate limit nearly used", {
      api: ctx.service,
      operation: ctx.operation,
      tenantId: ctx.tenantId,
      limit,
      remaining,
    });
  }
}

/**
 * Sends one request under the policy. Resolves with the response for any status the caller must
 * interpret (< 500, except 429); throws ExternalCallError once transient failures exhaust the policy.
 */
export async function send<T = unknown>(
  url: string,
  options: RequestOptions,
  policy: CallPolicy,
  ctx: CallContext,
): Promise<FetchResponse<T>> {
  const { once = false, secrets = [], secretsInEveryAnswer = false, waitOf429, ...request } = options;
  const askedWait = (headers: Headers) => {
    const own = waitOf429?.(headers);
    return retryAfterMs(headers.get("retry-after")) ?? own;
  };
  let serverErrors = 0;
  let rateLimited = 0;
  let timeouts = 0;
  for (;;) {
    let failure:
      | { status: number | "timeout" | "network"; message: string; waitMs: number; comeBackMs?: number }
      | undefined;
    try {
      const raw = await $fetch.raw<string, "text">(url, {
        ...request,
        retry: 0,
        timeout: policy.timeoutMs,
        ignoreResponseError: true,
        // The body is parsed below: ofetch's lenient parser would hand back invalid JSON as a string.
        responseType: "text",
        // A 3xx comes back as it is (failed below), never followed.
        redirect: "manual",
      });
      if (raw.status >= 300 && raw.status < 400) throw redirected(ctx, url, raw);
      const response = withParsedBody<T>(raw, ctx);
      if (secretsInEveryAnswer || response.status >= 400)
        response._data = withoutSecrets(response._data, secrets);
      watchRateLimit(response, ctx);
      const status = response.status;
      // How long the answer asks to be left alone: a 429's Retry-After (else the API's own headers),
      // a 503's Retry-After (a maintenance window).
      const asked =
        status === 429
          ? askedWait(response.headers)
          : status === 503
            ? retryAfterMs(response.headers.get("retry-after"))
            : undefined;
      if (status === 429 && rateLimited < policy.rateLimitRetries) {
        const waitMs = asked ?? backoffMs(policy, rateLimited);
        const left = timeLeftMs();
        if (left !== undefined && waitMs + policy.timeoutMs > left) {
          const message = apiMessage(response._data);
          logExternalError(ctx, status, message, `coming back in ${Math.ceil(waitMs / 1000)} s`);
          throw new ExternalCallError(ctx.service, ctx.operation, status, message, true, waitMs, hostOf(url));
        }
        rateLimited++;
        failure = {
          status,
          message: apiMessage(response._data),
          waitMs: Math.min(waitMs, policy.maxDelayMs),
        };
      } else if (status >= 500 && serverErrors < policy.retryAttempts && !once) {
        // A 503 that says when to come back is waited as a 429 is.
        failure = {
          status,
          message: apiMessage(response._data),
          waitMs: asked === undefined ? backoffMs(policy, serverErrors) : Math.min(asked, policy.maxDelayMs),
          ...(asked === undefined ? {} : { comeBackMs: asked }),
        };
        serverErrors++;
      } else if (status >= 500 || status === 429) {
        logExternalError(ctx, status, apiMessage(response._data), "giving up");
        // Still throttled, or down for a while: the last Retry-After says when a retry of the whole
        // step is worth it.
        throw new ExternalCallError(
          ctx.service,
          ctx.operation,
          status,
          apiMessage(response._data),
          true,
          asked,
          hostOf(url),
        );
      } else {
        // Many 4xx answers are expected (Siesa's end-of-data 400, Kong's duplicate 400, a 401 before
        // re-login): the caller knows which are errors and logs those; here they are only debug.
        if (status >= 400) {
          ctx.log.debug("external call answered with a client error", {
            api: ctx.service,
            operation: ctx.operation,
            tenantId: ctx.tenantId,
            status,
          });
        }
        return response;
      }
    } catch (error) {
      if (error instanceof ExternalCallError) throw error;
      if (!(error instanceof FetchError)) throw error;
      if (error.cause instanceof UnusableAnswerError) throw invalidAnswer(ctx, error.cause.message);
      const isTimeout = error.cause instanceof Error && error.cause.name === "TimeoutError";
      const status = isTimeout ? "timeout" : "network";
      const unsent = !isTimeout && neverSent(error);
      // The host says which API, and which of its addresses, did not answer (an override, a typo…).
      const host = hostOf(url);
      const message = isTimeout
        ? `no answer from ${host} within ${policy.timeoutMs} ms`
        : unsent
          ? `could not connect to ${host}`
          : `lost the connection to ${host} before a whole answer`;
      // A request that was never sent (no connection) may go again even when `once`; one whose
      // connection dropped after it was sent may have been applied.
      const allowed = isTimeout
        ? timeouts < 1 && !once
        : serverErrors < policy.retryAttempts && (unsent || !once);
      if (!allowed) {
        logExternalError(ctx, status, message, "giving up");
        throw new ExternalCallError(ctx.service, ctx.operation, status, message, true, undefined, host);
      }
      failure = { status, message, waitMs: backoffMs(policy, isTimeout ? timeouts : serverErrors) };
      if (isTimeout) timeouts++;
      else serverErrors++;
    }
    // Inside a worker, a retry that may not end before the invocation does is not sent: stopped in
    // the middle of it, the worker would leave its message to come back a visibility timeout later.
    const left = timeLeftMs();
    if (left !== undefined && failure.waitMs + policy.timeoutMs > left) {
      logExternalError(ctx, failure.status, failure.message, "giving up: no time left in the invocation");
      throw new ExternalCallError(
        ctx.service,
        ctx.operation,
        failure.status,
        failure.message,
        true,
        failure.comeBackMs,
        hostOf(url),
      );
    }
    logExternalError(ctx, failure.status, failure.message, `retrying in ${Math.round(failure.waitMs)} ms`);
    await policy.sleep(failure.waitMs);
  }
}

const JSON_TYPE = /^application\/(?:[\w!#$%&*.^`~-]*\+)?json$/i;

/**
 * The answer with `_data` parsed: JSON when it is JSON, the text of an error answer that is not.
 * A success answer (below 400) with a body must be valid JSON with a JSON (or no) content type.
 */
function withParsedBody<T>(response: FetchResponse<unknown>, ctx: CallContext): FetchResponse<T> {
  const text = response._data;
  const parsed = response as FetchResponse<unknown>;
  if (typeof text !== "string" || text === "") {
    parsed._data = undefined;
    return parsed as FetchResponse<T>;
  }
  const success = response.status < 400;
  const type = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  if (type !== "" && !JSON_TYPE.test(type)) {
    if (success) throw invalidAnswer(ctx, `answered ${type.slice(0, 100)}, not JSON`);
    parsed._data = text;
    return parsed as FetchResponse<T>;
  }
  try {
    parsed._data = JSON.parse(text);
  } catch {
    if (success) throw invalidAnswer(ctx, "answered with invalid JSON");
    parsed._data = text;
  }
  return parsed as FetchResponse<T>;
}

/**
 * A redirect as a failure. Where it pointed is named without its query and fragment: a login page's
 * Location often carries a ticket or a return address with ids.
 */
function redirected(ctx: CallContext, url: string, response: FetchResponse<unknown>): ExternalCallError {
  const location = response.headers.get("location");
  let target = "no Location";
  if (location) {
    try {
      const resolved = new URL(location, url);
      target = `to ${resolved.origin}${resolved.pathname}`;
    } catch {
      target = "to an unreadable Location";
    }
  }
  const message = cutText(`HTTP ${response.status} redirect ${target}, not followed`);
  logExternalError(ctx, response.status, message, "giving up");
  return new ExternalCallError(
    ctx.service,
    ctx.operation,
    response.status,
    message,
    true,
    undefined,
    hostOf(url),
  );
}

function invalidAnswer(ctx: CallContext, message: string): ExternalCallError {
  logExternalError(ctx, "invalid-answer", message, "giving up");
  return new ExternalCallError(ctx.service, ctx.operation, "invalid-answer", message, true);
}

/** Errors of the connection's set-up: the request never left, whatever the method. */
const NOT_CONNECTED = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/**
 * Whether a failed fetch never reached the server: a connection refused, a name not found, or a
 * port fetch itself blocks (its "bad port" carries no code).
 */
function neverSent(error: Error): boolean {
  for (let at: unknown = error; at instanceof Error; at = at.cause) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === "string" && NOT_CONNECTED.has(code)) return true;
    if (at.message === "bad port") return true;
  }
  return false;
}

/** The host and port of a URL (never its path or query, which may carry ids). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function logExternalError(ctx: CallContext, status: number | string, message: string, action: string): void {
  ctx.log.warn("external call failed", {
    api: ctx.service,
    operation: ctx.operation,
    tenantId: ctx.tenantId,
    status,
    apiMessage: message,
    action,
  });
}
