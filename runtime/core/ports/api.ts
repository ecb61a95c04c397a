import type { Counts, RecordError } from "../domain/model.js";
import type { StreamName } from "../domain/stream.js";
import type { CredentialSource, ExceptionsOptions, ScheduleControl, TenantDirectory } from "./pipeline.js";
import type { ProbeReport, ProbeRequest } from "./probe.js";
import type { Ledger, RunRecord, RunTrigger } from "./records.js";

/** Who a bearer token belongs to: an operator (every tenant, may act) or a read-only tenant scope. */
export type Principal = { kind: "operator" } | { kind: "tenant"; tenantId: string };

export interface TokenVerifier {
  /** undefined for an unknown token. Tokens are stored hashed; this compares hashes. */
  verify(token: string): Promise<Principal | undefined>;
}

/**
 * How stale status reads may be: a monitor polling every few seconds sees at most this much delay,
 * and many monitors at once cost one set of reads (and one status body) a second per tenant.
 */
export const STATUS_CACHE_MS = 1_000;

export type StartRunResult = { started: true; runId: string } | { started: false; activeRunId: string };

/** A run as the API shows it: stored fields, with live counts while it runs. */
export interface RunView extends RunRecord {}

/** Everything the HTTP API talks to; runtime/api/app.ts takes it, tests pass in-memory or local ones. */
export interface ApiDependencies {
  version: string;
  tenants: TenantDirectory;
  schedules: ScheduleControl;
  credentials: CredentialSource;
  tokens: TokenVerifier;
  runs: {
    /** A tenant's runs, newest first; cursor is opaque (InvalidCursorError from runtime/core/ports/store-errors.ts when bad). */
    list(
      tenantId: string,
      options: { limit?: number; cursor?: string },
    ): Promise<{ runs: RunView[]; cursor?: string }>;
    /** One run by its id alone (RunState.getById). */
    getById(runId: string): Promise<RunView | undefined>;
    /**
     * One page of a run's exceptions (every rejected and failed record), in record order; cursor is
     * opaque (InvalidCursorError when bad).
     */
    exceptions(
      tenantId: string,
      runId: string,
      options: ExceptionsOptions,
    ): Promise<{ exceptions: RecordError[]; cursor?: string }>;
    /**
     * A stream's active run (holding its lease), with live counts; `scope` is `streamScope` (the
     * tenant id for the catalogue).
     */
    active(scope: string): Promise<RunView | undefined>;
    /** A stream's newest finished run, and its newest that succeeded (verify runs aside). */
    lastFinished(scope: string): Promise<RunView | undefined>;
    lastSucceeded(scope: string): Promise<RunView | undefined>;
  };
  /** Takes the tenant's lease, records the run and queues it; `started: false` when one is active (→ 409). */
  /**
   * `approveDeactivationsOf`: the run whose held deactivations the operator applies with this one
   * (ApprovalError from runtime/core/steps/start-run.ts when that run held none). `item`: a run of that
   * one f120_id, which deactivates nothing.
   */
  startRun(
    tenantId: string,
    trigger: Extract<RunTrigger, "manual">,
    options?: { approveDeactivationsOf?: string; item?: number; stream?: StreamName },
  ): Promise<StartRunResult>;
  /**
   * Starts a verify run (trigger `verify`): takes the tenant's lease, records the run and queues it for
   * the verify worker, which reads the product back, compares it with the ledger and keeps its report
   * on the run; with `repair`, it starts a run with trigger `repair` for what differs.
   * `started: false` when a run is active (→ 409).
   */
  verify(
    tenantId: string,
    options: { repair: boolean; stream?: Extract<StreamName, "catalogue" | "warehouses"> },
  ): Promise<StartRunResult>;
  /**
   * Connectivity check for an operator after putting a tenant's secrets: secrets exist and parse, Siesa
   * answers one small authenticated query, the product accepts a login. Writes nothing.
   */
  checkTenant(
    tenantId: string,
  ): Promise<{ ok: boolean; checks: { name: string; ok: boolean; reason?: string }[] }>;
  /**
   * The contract probe (runtime/wiring/probe.ts): every assumption the sync makes about the tenant's
   * Siesa and product, checked with its secrets, one line each; read-only unless `write` (then one
   * inactive probe record is written to the product). Undefined: no such tenant.
   */
  probeTenant(tenantId: string, request: ProbeRequest): Promise<ProbeReport | undefined>;
  /**
   * The stream ledger, read by the stock snapshot (runtime/core/steps/stock-snapshot.ts) for
   * GET /tenants/:id/stock. The API's role reads the other streams' partitions only (infra/access.ts).
   */
  ledger: Pick<Ledger, "all">;
  /** Reachability of each table and queue, for GET /health: name → "ok" or the reason. */
  health(): Promise<Record<string, string>>;
  now(): Date;
}

export type { Counts };
