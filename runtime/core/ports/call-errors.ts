/** Which outside system a call went to. */
export type ServiceName = "siesa" | "kong-rfid" | "wms";

/**
 * A call to Siesa or a product that did not succeed. `retryable` tells the caller whether the
 * policy gave up on a transient failure (5xx, 429, timeout, network: the record is `failed` and
 * may be tried again later) or the API refused it for good (4xx: the record is `rejected`).
 * The message never contains credentials: only service, operation, status and the API's own message.
 */
export class ExternalCallError extends Error {
  override readonly name = "ExternalCallError";
  constructor(
    readonly service: ServiceName,
    readonly operation: string,
    /**
     * "invalid-answer": a status outside 200-599, a body too large, or a success that is not JSON.
     * "rate-limit": not sent, as the API's rate-limit headers left no room until their reset.
     */
    readonly status: number | "timeout" | "network" | "invalid-answer" | "rate-limit",
    readonly apiMessage: string,
    readonly retryable: boolean,
    /**
     * How long the API asked us to stay away (a 429's Retry-After) when that is longer than the
     * invocation can wait: whoever retries should do so after this long, not sooner.
     */
    readonly retryAfterMs?: number,
    /** The host that answered (or did not), to name it where the error is reported. */
    readonly host?: string,
  ) {
    // A server error or a throttle names the host that answered it (an override, Siesa's QA or
    // production host): the API's own words, often a proxy's page, rarely say.
    const from =
      typeof status === "number" && (status >= 500 || status === 429) && host ? ` from ${host}` : "";
    super(`${service} ${operation} failed (${status}${from}): ${apiMessage}`);
  }
}

/** The delay an error asks its retry to wait (see ExternalCallError.retryAfterMs), if any. */
export const retryAfterOf = (error: unknown): number | undefined =>
  error instanceof ExternalCallError ? error.retryAfterMs : undefined;
