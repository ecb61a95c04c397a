import type { MiddlewareHandler } from "hono";

/**
 * Fault and latency knobs shared by every sandbox. Shares are probabilities per request (0..1),
 * drawn from a seeded generator so a test that sets a seed sees the same faults every time.
 */
export interface FaultKnobs {
  seed: number;
  /** Fixed latency added to every request. */
  latencyMs: number;
  /** Faults start with this request (counted from 0): the requests before it are served as asked. */
  fromRequest: number;
  /** Share of requests answered 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitShare: number;
  retryAfterSeconds: number;
  /** How a 429 says its Retry-After: in seconds, as an HTTP date that far ahead, or not at all. */
  retryAfterAs: "seconds" | "date" | "absent";
  /** Share of requests answered 500. */
  serverErrorShare: number;
  /** Share of requests that hang for `hangMs` before answering (a client timeout). */
  timeoutShare: number;
  hangMs: number;
}

export const noFaults = (overrides: Partial<FaultKnobs> = {}): FaultKnobs => ({
  seed: 1,
  latencyMs: 0,
  fromRequest: 0,
  rateLimitShare: 0,
  retryAfterSeconds: 1,
  retryAfterAs: "seconds",
  serverErrorShare: 0,
  timeoutShare: 0,
  hangMs: 2_000,
  ...overrides,
});

/** mulberry32: tiny, fast, good enough for repeatable test data and fault draws. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Hono middleware that injects the configured faults before the real handler runs.
 * `knobs` is read on every request, so a test can change it while the sandbox runs.
 * `body429` lets each sandbox answer throttling in its own API's shape.
 */
function faultInjection(
  knobs: () => FaultKnobs,
  random: () => number,
  body429: (retryAfterSeconds: number) => unknown = () => ({ detail: "Too many requests" }),
): MiddlewareHandler {
  let served = 0;
  return async (c, next) => {
    const k = knobs();
    if (served++ < k.fromRequest) return next();
    if (k.latencyMs > 0) await sleep(k.latencyMs);
    const draw = random();
    let edge = k.rateLimitShare;
    if (draw < edge) {
      if (k.retryAfterAs === "seconds") c.header("Retry-After", String(k.retryAfterSeconds));
      if (k.retryAfterAs === "date")
        c.header("Retry-After", new Date(Date.now() + k.retryAfterSeconds * 1000).toUTCString());
      return c.json(body429(k.retryAfterSeconds) as object, 429);
    }
    edge += k.serverErrorShare;
    if (draw < edge) return c.json({ detail: "Internal server error (sandbox fault)" }, 500);
    edge += k.timeoutShare;
    if (draw < edge) await sleep(k.hangMs);
    await next();
  };
}

/** A sandbox's fault knobs, changeable while it runs, and the middleware that applies them. */
export interface FaultControl {
  /** Merges new knob values; a new seed restarts the draws, so a test that sets one sees a repeatable sequence. */
  set(partial: Partial<FaultKnobs>): void;
  middleware(body429?: (retryAfterSeconds: number) => unknown): MiddlewareHandler;
}

export function faultControl(initial: Partial<FaultKnobs> = {}): FaultControl {
  let knobs = noFaults(initial);
  let random = seededRandom(knobs.seed);
  return {
    set(partial) {
      if (partial.seed !== undefined) random = seededRandom(partial.seed);
      knobs = { ...knobs, ...partial };
    },
    middleware: (body429) =>
      faultInjection(
        () => knobs,
        () => random(),
        body429,
      ),
  };
}

/**
 * 429s scripted for one record at a time (the shares above draw per request, whatever it is about):
 * the next `times` writes of a record are refused with `Retry-After: retryAfterSeconds`.
 */
export class RecordThrottle {
  readonly #scripted = new Map<string, { retryAfterSeconds: number; times: number }>();

  set(key: string, retryAfterSeconds: number, times = 1): void {
    this.#scripted.set(key, { retryAfterSeconds, times });
  }

  /** The Retry-After (seconds) to answer this write of `key` with, or undefined to let it through. */
  take(key: string): number | undefined {
    const scripted = this.#scripted.get(key);
    if (!scripted) return undefined;
    if (--scripted.times <= 0) this.#scripted.delete(key);
    return scripted.retryAfterSeconds;
  }
}

/** Counts every answer a sandbox gives, injected faults included, by HTTP status. */
export function countAnswers(stats: {
  requests: number;
  byStatus: Record<number, number>;
}): MiddlewareHandler {
  return async (c, next) => {
    await next();
    stats.requests++;
    stats.byStatus[c.res.status] = (stats.byStatus[c.res.status] ?? 0) + 1;
  };
}
