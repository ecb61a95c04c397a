/**
 * The contract probe's report (runtime/wiring/probe.ts): one line per assumption the sync makes
 * about a tenant's Siesa and product.
 */
export type ProbeStatus = "ok" | "failed" | "skipped";
export interface ProbeCheck {
  name: string;
  status: ProbeStatus;
  /** What was seen: the evidence for ok, the difference for failed, the reason for skipped. */
  detail: string;
  /** Present on a check that sent the product a write (a create or a PATCH of the probe record). */
  wrote?: true;
}
export interface ProbeReport {
  tenantId: string;
  /** No check failed (skipped ones do not count). */
  ok: boolean;
  checks: ProbeCheck[];
}
/** What is asked of a probe beyond its tenant. */
export interface ProbeRequest {
  /** Adds the checks that write one inactive probe record to the product (`--write`). */
  write: boolean;
}
