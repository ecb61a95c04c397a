import { createApp } from "../../runtime/api/app.js";
import { type RecordError, zeroCounts } from "../../runtime/core/domain/model.js";
import { parseScope, streamOf } from "../../runtime/core/domain/stream.js";
import type { Tenant, TenantInput } from "../../runtime/core/domain/tenant.js";
import type { ApiDependencies, Principal, RunView, StartRunResult } from "../../runtime/core/ports/api.js";
import type { ScheduleState } from "../../runtime/core/ports/pipeline.js";
import { InvalidCursorError } from "../../runtime/core/ports/store-errors.js";
import { ApprovalError } from "../../runtime/core/steps/start-run.js";
import { createTokenVerifier, hashToken } from "../../runtime/edges/aws/tokens.js";
import { MemoryLedger, MemoryRuns } from "../../runtime/edges/store/memory.js";
import { recordingLog } from "../support/log.js";
import { aTenant } from "../tenants/factories.js";

/** A run record; tests override what they are about. */
export function aRun(overrides: Partial<RunView> = {}): RunView {
  return {
    runId: "20250310T110000.000Z-aaaaaaaaaaaa",
    tenantId: "acme-staging",
    trigger: "schedule",
    status: "succeeded",
    startedAt: "2025-03-10T11:00:00.000Z",
    finishedAt: "2025-03-10T11:05:00.000Z",
    durationMs: 300_000,
    counts: { ...zeroCounts(), extracted: 3, created: 2, rejected: 1 },
    errors: [{ key: "17", outcome: "rejected", reason: "f120_referencia: must not be empty" }],
    ...overrides,
  };
}

export const tenantNamed = (id: string, change: (input: TenantInput) => void = () => {}): Tenant =>
  aTenant((input) => {
    input.id = id;
    change(input);
  });

/** Bearer tokens the fake API accepts. */
export const TOKENS = {
  operator: "operator-token-for-tests",
  acme: "acme-read-only-token",
  globex: "globex-read-only-token",
} as const;

const PRINCIPALS: Record<keyof typeof TOKENS, Principal> = {
  operator: { kind: "operator" },
  acme: { kind: "tenant", tenantId: "acme-staging" },
  globex: { kind: "tenant", tenantId: "globex-prod" },
};

export const NOW = new Date("2025-03-10T12:00:00.000Z");

/**
 * ApiDependencies in memory: two tenants (acme-staging, globex-prod), schedules, runs and
 * what the API asked them to do, so a test can assert the effect of a request.
 */
export function fakeApi() {
  const tenants = [tenantNamed("acme-staging"), tenantNamed("globex-prod")];
  const scheduleStates = new Map<string, ScheduleState>([
    ["acme-staging", "ENABLED"],
    ["globex-prod", "ENABLED"],
  ]);
  const runs: RunView[] = [];
  const started: { tenantId: string; trigger: string; approveDeactivationsOf?: string; item?: number }[] = [];
  const checked: string[] = [];
  const probed: { tenantId: string; write: boolean }[] = [];
  const verified: { tenantId: string; repair: boolean; stream?: string }[] = [];
  // Exceptions as the pipeline's store keeps them: one per record, paged by the store's own cursor.
  const exceptionStore = new MemoryRuns();
  // The stream ledger a test writes the stock snapshot into (its partitions `<tenant>#stock`).
  const streamLedger = new MemoryLedger();
  const state = {
    tenants,
    scheduleStates,
    /** When each schedule last changed (a resume), as the scheduler tells it. */
    scheduleChangedAt: new Map<string, Date>(),
    runs,
    started,
    checked,
    probed,
    /** What the fake probe finds: a failed check unless a test says every check passes. */
    probePasses: false,
    verified,
    streamLedger,
    health: { "runs-table": "ok", "sync-requests-queue": "ok" } as Record<string, string>,
    nextRunId: "20250310T120000.000Z-bbbbbbbbbbbb",
    /** Makes any dependency fail unexpectedly (for the 500 path). */
    explode: undefined as Error | undefined,
    /** Records `errors` of the run `runId` (one of `runs`) as a pipeline step does. */
    async addErrors(runId: string, errors: RecordError[]) {
      const run = runs.find((r) => r.runId === runId);
      if (!run) throw new Error(`no run ${runId} in the fake API`);
      if (!(await exceptionStore.get(run.tenantId, runId)))
        await exceptionStore.create({ ...run, errors: [] });
      await exceptionStore.putExceptions(run.tenantId, runId, errors);
      await exceptionStore.addErrors(run.tenantId, runId, errors);
    },
  };
  const guard = () => {
    if (state.explode) throw state.explode;
  };
  const newestFirst = (tenantId: string) =>
    runs.filter((r) => r.tenantId === tenantId).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  /** As runtime/wiring/api-dependencies.ts: a scope's runs are its stream's. */
  const newestOf = (scope: string) => {
    const { tenantId, stream } = parseScope(scope);
    return newestFirst(tenantId).filter((r) => streamOf(r) === stream);
  };

  const deps: ApiDependencies = {
    version: "1.2.3",
    tenants: {
      get: async (id) => {
        guard();
        return tenants.find((t) => t.id === id);
      },
      list: async () => {
        guard();
        return [...tenants];
      },
    },
    schedules: {
      getState: async (id) => scheduleStates.get(id),
      // As EventBridge Scheduler: a schedule's last change is kept (LastModificationDate).
      describe: async (id) => {
        const current = scheduleStates.get(id);
        const changedAt = state.scheduleChangedAt.get(id);
        return current ? { state: current, ...(changedAt ? { changedAt } : {}) } : undefined;
      },
      setState: async (id, s) => {
        scheduleStates.set(id, s);
        state.scheduleChangedAt.set(id, NOW);
      },
    },
    credentials: {
      forTenant: async () => {
        throw new Error("the API tests do not read credentials");
      },
    },
    tokens: createTokenVerifier(
      (Object.keys(TOKENS) as (keyof typeof TOKENS)[]).map((name) => ({
        sha256: hashToken(TOKENS[name]),
        principal: PRINCIPALS[name],
        name,
      })),
    ),
    runs: {
      list: async (tenantId, { limit = 20, cursor }) => {
        if (cursor !== undefined && !cursor.startsWith(`${tenantId}:`)) {
          throw new InvalidCursorError({ list: "runs", of: `tenant ${tenantId}` });
        }
        const all = newestFirst(tenantId);
        const from = cursor ? Number(cursor.split(":")[1]) : 0;
        const page = all.slice(from, from + limit);
        const more = from + limit < all.length;
        return { runs: page, ...(more ? { cursor: `${tenantId}:${from + limit}` } : {}) };
      },
      getById: async (runId) => runs.find((r) => r.runId === runId),
      exceptions: async (tenantId, runId, options) => {
        guard();
        return exceptionStore.exceptions(tenantId, runId, options);
      },
      active: async (scope) => newestOf(scope).find((r) => r.status === "running"),
      // As runtime/wiring/api-dependencies.ts: a verify run is no sync, so neither counts it.
      lastFinished: async (scope) =>
        newestOf(scope).find((r) => r.trigger !== "verify" && r.status !== "running"),
      lastSucceeded: async (scope) =>
        newestOf(scope).find((r) => r.trigger !== "verify" && r.status === "succeeded"),
    },
    startRun: async (tenantId, trigger, options = {}): Promise<StartRunResult> => {
      const active = await deps.runs.active(tenantId);
      if (active) return { started: false, activeRunId: active.runId };
      // As strict as start-run.ts: an approval names a run of this tenant that held deactivations.
      const approved = options.approveDeactivationsOf;
      if (approved !== undefined) {
        const held = runs.find((r) => r.runId === approved && r.tenantId === tenantId)?.heldDeactivations;
        if (!held?.fingerprint)
          throw new ApprovalError(`run ${approved} of tenant ${tenantId} held no deactivations`);
      }
      started.push({ tenantId, trigger, ...options });
      runs.push(
        aRun({
          runId: state.nextRunId,
          tenantId,
          trigger,
          status: "running",
          startedAt: NOW.toISOString(),
          ...(options.item !== undefined ? { item: options.item } : {}),
        }),
      );
      return { started: true, runId: state.nextRunId };
    },
    verify: async (tenantId, options) => {
      const active = await deps.runs.active(tenantId);
      if (active) return { started: false, activeRunId: active.runId };
      verified.push({ tenantId, ...options });
      runs.push(
        aRun({
          runId: state.nextRunId,
          tenantId,
          trigger: "verify",
          status: "running",
          startedAt: NOW.toISOString(),
          counts: zeroCounts(),
          errors: [],
        }),
      );
      return { started: true, runId: state.nextRunId };
    },
    checkTenant: async (tenantId) => {
      checked.push(tenantId);
      return {
        ok: false,
        checks: [
          { name: "secrets", ok: true },
          { name: "siesa", ok: true },
          { name: "product", ok: false, reason: "kong-rfid refused the credentials" },
        ],
      };
    },
    probeTenant: async (tenantId, { write }) => {
      probed.push({ tenantId, write });
      const columns = state.probePasses
        ? { name: "siesa item columns", status: "ok" as const, detail: "every mapped column present" }
        : {
            name: "siesa item columns",
            status: "failed" as const,
            detail: "API_v2_Items lacks f120_descripcion",
          };
      return {
        tenantId,
        ok: state.probePasses,
        checks: [{ name: "siesa credentials", status: "ok", detail: "accepted" }, columns],
      };
    },
    ledger: streamLedger,
    health: async () => ({ ...state.health }),
    now: () => NOW,
  };
  return { deps, state };
}

/** The app over the fake dependencies, and a `call` that sends a request as one of TOKENS (or none). */
export function apiUnderTest() {
  const { deps, state } = fakeApi();
  const log = recordingLog();
  const app = createApp(deps, { log });
  const call = async (
    method: string,
    path: string,
    as: keyof typeof TOKENS | "nobody" = "operator",
    headers: Record<string, string> = {},
    json?: unknown,
  ) => {
    const auth: Record<string, string> = as === "nobody" ? {} : { authorization: `Bearer ${TOKENS[as]}` };
    const response = await app.request(path, {
      method,
      headers: { ...auth, ...headers },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
    // biome-ignore lint/suspicious/noExplicitAny: tests read the JSON answer like a client would
    const body: any = await response.json();
    return { status: response.status, headers: response.headers, body };
  };
  return { app, deps, state, log, call };
}
