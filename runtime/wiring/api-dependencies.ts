import { countsOf } from "../core/domain/run-status.js";
import { shortCache } from "../core/domain/short-cache.js";
import { DEFAULT_STREAM, parseScope, type StreamName, streamScope } from "../core/domain/stream.js";
import type { Tenant } from "../core/domain/tenant.js";
import {
  type ApiDependencies,
  type RunView,
  STATUS_CACHE_MS,
  type TokenVerifier,
} from "../core/ports/api.js";
import { defaultPolicy } from "../core/ports/call-policy.js";
import type { RunDependencies } from "../core/ports/dependencies.js";
import type { ScheduleControl } from "../core/ports/pipeline.js";
import type { RunRecord } from "../core/ports/records.js";
import { startRun } from "../core/steps/start-run.js";
import { findRun } from "../core/steps/stream-runs.js";
import { requestVerify } from "../core/verify/request-verify.js";
import { createTenantCheck } from "./check.js";
import { connectionsFor } from "./compose.js";
import { createTenantProbe } from "./probe.js";

export interface ApiOnlyParts {
  schedules: ScheduleControl;
  tokens: TokenVerifier;
  version: string;
  /** GET /health: one probe per table and queue; a probe that throws is reported with its message. */
  probes: Record<string, () => Promise<void>>;
}

/** How far back the status looks for the last finished / succeeded run. */
const HISTORY_PAGES = 5;
/** Schedule states change only through this API (which forgets them) or a deploy. */
const SCHEDULE_CACHE_MS = 30_000;

/**
 * The HTTP API over the same state the workers keep: run records with live counts from the run's
 * progress shards, the tenant lease for "is a run active", and manual runs started the way the
 * pipeline starts them. The same wiring serves AWS (runtime/aws) and the local stack (runtime/local).
 */
export function createApiDependencies(deps: RunDependencies, parts: ApiOnlyParts): ApiDependencies {
  /** A running run's counts live in its progress shards until it finishes. */
  const withLiveCounts = async (run: RunRecord): Promise<RunView> => {
    if (run.status !== "running") return run;
    return { ...run, counts: countsOf(await deps.progress.read(run.tenantId, run.runId)) };
  };

  // Each stream is judged by its own runs; a verify run reads the product and syncs nothing: it
  // says nothing about the sync's health.
  const findFinished = (scope: string, accept: (run: RunRecord) => boolean) => {
    const { tenantId, stream } = parseScope(scope);
    return findRun(
      deps.runs,
      tenantId,
      stream,
      (run) => run.trigger !== "verify" && accept(run),
      HISTORY_PAGES,
    );
  };

  const clock = () => deps.now().getTime();
  const lastFinished = shortCache(
    (tenantId) => findFinished(tenantId, (run) => run.status !== "running"),
    STATUS_CACHE_MS,
    clock,
  );
  const lastSucceeded = shortCache(
    (tenantId) => findFinished(tenantId, (run) => run.status === "succeeded"),
    STATUS_CACHE_MS,
    clock,
  );
  const active = shortCache(
    async (scope): Promise<RunView | undefined> => {
      const lease = await deps.lease.current(scope);
      if (!lease || Date.parse(lease.expiresAt) <= clock()) return undefined;
      const run = await deps.runs.get(parseScope(scope).tenantId, lease.runId);
      return run?.status === "running" ? withLiveCounts(run) : undefined;
    },
    STATUS_CACHE_MS,
    clock,
  );
  // The schedule's state and, where the scheduler says, when it last changed (status: a tenant just
  // resumed is not late yet), both from one read.
  const scheduleStates = shortCache(
    (tenantId) => parts.schedules.describe(tenantId),
    SCHEDULE_CACHE_MS,
    clock,
  );

  /** Runs what takes a deployed tenant's lease; the cached "active run" is stale after it. */
  const takingLease = async <T>(
    tenantId: string,
    stream: StreamName,
    act: (tenant: Tenant) => Promise<T>,
  ): Promise<T> => {
    const tenant = await deps.tenants.get(tenantId);
    if (!tenant) throw new Error(`tenant ${tenantId} is not deployed`);
    const result = await act(tenant);
    active.forget(streamScope(tenantId, stream));
    return result;
  };

  return {
    version: parts.version,
    tenants: deps.tenants,
    schedules: {
      getState: async (tenantId) => (await scheduleStates.get(tenantId))?.state,
      describe: (tenantId) => scheduleStates.get(tenantId),
      async setState(tenantId, state) {
        scheduleStates.forget(tenantId);
        await parts.schedules.setState(tenantId, state);
        scheduleStates.forget(tenantId);
      },
      ...(parts.schedules.nextFire ? { nextFire: parts.schedules.nextFire.bind(parts.schedules) } : {}),
    },
    credentials: deps.credentials,
    tokens: parts.tokens,
    now: deps.now,
    runs: {
      async list(tenantId, options) {
        const answer = await deps.runs.list(tenantId, options);
        return { ...answer, runs: await Promise.all(answer.runs.map(withLiveCounts)) };
      },
      async getById(runId) {
        const run = await deps.runs.getById(runId);
        return run && withLiveCounts(run);
      },
      exceptions: (tenantId, runId, options) => deps.runs.exceptions(tenantId, runId, options),
      active: (tenantId) => active.get(tenantId),
      lastFinished: (tenantId) => lastFinished.get(tenantId),
      lastSucceeded: (tenantId) => lastSucceeded.get(tenantId),
    },
    startRun: (tenantId, trigger, options) =>
      takingLease(tenantId, options?.stream ?? DEFAULT_STREAM, (tenant) =>
        startRun(deps, tenant, trigger, options),
      ),
    verify: (tenantId, options) =>
      takingLease(tenantId, options.stream ?? DEFAULT_STREAM, (tenant) =>
        requestVerify(deps, tenant, options),
      ),
    checkTenant: createTenantCheck({
      tenants: deps.tenants,
      credentials: deps.credentials,
      clientsFor: connectionsFor,
      // The API function has 15 s: one quick attempt per API, not the sync's patient policy.
      policy: defaultPolicy({ retryAttempts: 1, timeoutMs: 5_000, maxDelayMs: 1_000, rateLimitRetries: 1 }),
      log: deps.log,
    }),
    // The probe's requests run one after another on each side: a few seconds each at most, or the
    // API's own timeout answers first (the CLI's `npm run probe` has no such limit).
    probeTenant: createTenantProbe({
      tenants: deps.tenants,
      credentials: deps.credentials,
      policy: defaultPolicy({ retryAttempts: 0, timeoutMs: 3_000, maxDelayMs: 1_000, rateLimitRetries: 0 }),
      log: deps.log,
    }),
    // Scoped to the API's role where it is built: the stock stream's partitions, never the catalogue's.
    ledger: { all: (partition, range) => deps.ledger.all(partition, range) },
    async health() {
      const entries = await Promise.all(
        Object.entries(parts.probes).map(async ([name, probe]) => {
          try {
            await probe();
            return [name, "ok"] as const;
          } catch (error) {
            return [name, error instanceof Error ? error.message : String(error)] as const;
          }
        }),
      );
      return Object.fromEntries(entries);
    },
  };
}
