/**
 * How patient every outbound call is (retries, timeouts, waits): a contract between the steps, which
 * budget their time by it, and the HTTP edge (runtime/edges/http/policy.ts), which honours it.
 */
export interface CallPolicy {
  retryAttempts: number;
  timeoutMs: number;
  /** First backoff step; doubles each retry. 1000 in production, tiny in tests. */
  baseDelayMs: number;
  /** Never wait longer than this for one retry, whatever Retry-After says. */
  maxDelayMs: number;
  rateLimitRetries: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const defaultPolicy = (overrides: Partial<CallPolicy> = {}): CallPolicy => ({
  retryAttempts: 3,
  timeoutMs: 30_000,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  rateLimitRetries: 5,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  ...overrides,
});

/**
 * The longest one `send` can take under `policy`: each attempt its timeout, and a wait of at most
 * `maxDelayMs` between attempts: the first, `retryAttempts` after 5xx or network errors, one after a
 * timeout, `rateLimitRetries` after 429s. A caller with a deadline starts a call only when this fits.
 */
export function longestCallMs(
  policy: Pick<CallPolicy, "retryAttempts" | "timeoutMs" | "maxDelayMs" | "rateLimitRetries">,
): number {
  const attempts = 1 + policy.retryAttempts + 1 + policy.rateLimitRetries;
  return attempts * policy.timeoutMs + (attempts - 1) * policy.maxDelayMs;
}
