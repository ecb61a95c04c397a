import { ExternalCallError } from "../../../core/ports/call-errors.js";
import type { CallPolicy } from "../../../core/ports/call-policy.js";
import { timeLeftMs } from "../../../core/ports/deadline.js";
import type { RateLimit } from "./answer.js";

/** Calls a window keeps back for the other workers' calls in flight: at least this share of the limit. */
const RESERVE_SHARE = 0.1;
/** A Reset above this many seconds is a Unix time, not a count of seconds. */
const UNIX_TIME_SECONDS = 1_000_000_000;
/** No rate-limit window is this long: a Reset further away is misread (milliseconds?) and ignored. */
const LONGEST_WINDOW_MS = 60 * 60_000;

/**
 * Keeps one tenant's Siesa calls under Connekta's rate limit instead of running into its 429s
 * (runtime/edges/http/siesa/README.md, "Pacing"). An answer may say how many calls remain in the
 * window and when it resets (`Connekta-Rate-Limit-*`); Siesa counts them over every worker of the
 * tenant, so the figure carries the other workers' calls too. From the latest figure the client
 * counts down the calls it starts (those in flight when it came count as started: Siesa may not
 * have counted them yet). When no more than a reserve is left, the next calls wait for the window's
 * reset. The reserve is room for what this client cannot count, the calls the tenant's other workers
 * may have in flight: as many as one worker may have at once for each other worker, and at least a
 * tenth of the limit and one call. Calls wait as well for a pause another worker learnt (`pauseUntil`). A
 * wait longer than the invocation has left is not waited: the call fails retryable with the wait,
 * and the worker hands its message back to the queue for that long, as after a 429.
 */
export class SiesaPace {
  private inFlight = 0;
  /** Calls this client may still start before `resetAt`, as far as it knows; undefined: unknown. */
  private left: number | undefined;
  private resetAt = 0;
  private reserve = 1;
  private limit = 0;
  /** No call starts before this (epoch ms). */
  private until = 0;

  constructor(
    /** The tenant's workers that may call Siesa at once, this one included. */
    private readonly workers = 1,
    /** Calls one worker may have in flight at once. */
    private readonly callsPerWorker = 1,
    private readonly now: () => number = Date.now,
  ) {}

  /** Until when calls wait (epoch ms), if they do: what other workers of the tenant should know. */
  pausedUntil(): number | undefined {
    this.refresh(this.now());
    return this.until > this.now() ? this.until : undefined;
  }

  /** A pause another worker of the tenant learnt: calls wait until then too. */
  pauseUntil(until: number): void {
    this.until = Math.max(this.until, until);
  }

  /** Before a call: waits out a pause, or throws when the wait does not fit in the invocation. */
  async before(policy: CallPolicy, operation: string, host: string): Promise<void> {
    const now = this.now();
    this.refresh(now);
    const wait = this.until - now;
    if (wait > 0) {
      const left = timeLeftMs(now);
      if (left !== undefined && wait + policy.timeoutMs > left) {
        const seconds = Math.ceil(wait / 1000);
        throw new ExternalCallError(
          "siesa",
          operation,
          "rate-limit",
          `Connekta-Rate-Limit-Remaining left no room before the window resets in ${seconds} s (limit ${this.limit || "?"})`,
          true,
          wait,
          host,
        );
      }
      await policy.sleep(Math.min(wait, policy.maxDelayMs));
      // The window has reset (or the call has waited as long as one may): the next answer says anew.
      this.left = undefined;
    }
    if (this.left !== undefined) this.left -= 1;
    this.inFlight += 1;
  }

  /** After a call, with what its answer said (undefined: no headers, or no answer). */
  after(rateLimit: RateLimit | undefined): void {
    this.inFlight -= 1;
    const limit = Number(rateLimit?.limit);
    const remaining = Number(rateLimit?.remaining);
    if (!(limit > 0) || !Number.isFinite(remaining)) return;
    const now = this.now();
    const resetAt = resetAtOf(rateLimit?.reset, now);
    if (resetAt === undefined) return;
    const left = remaining - this.inFlight;
    // Within the window already known the lowest figure is the latest (answers overtake each other).
    this.left = this.left !== undefined && now < this.resetAt ? Math.min(this.left, left) : left;
    this.resetAt = Math.max(resetAt, now < this.resetAt ? this.resetAt : 0);
    this.limit = limit;
    this.reserve = Math.max(1, Math.floor(limit * RESERVE_SHARE), (this.workers - 1) * this.callsPerWorker);
    this.refresh(now);
  }

  /** A window past its reset is forgotten; one with no room beyond the reserve pauses until its reset. */
  private refresh(now: number): void {
    if (now >= this.resetAt) this.left = undefined;
    if (this.left !== undefined && this.left <= this.reserve) this.until = Math.max(this.until, this.resetAt);
  }
}

/**
 * When a rate-limit window ends (epoch ms) by `Connekta-Rate-Limit-Reset`: Unix seconds, or a count of
 * seconds; undefined when absent, unreadable, or further away than any window (a misreading).
 */
export function resetAtOf(reset: string | undefined, now: number): number | undefined {
  const value = Number(reset);
  if (reset === undefined || !(value >= 0)) return undefined;
  // A count of whole seconds may be rounded down (0 in the window's last second): the window ends
  // within the second after it, and is waited for to its end.
  const resetAt = value > UNIX_TIME_SECONDS ? value * 1000 : now + (Math.floor(value) + 1) * 1000;
  return resetAt - now > LONGEST_WINDOW_MS ? undefined : resetAt;
}
