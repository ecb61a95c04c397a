import {
  type Counts,
  HELD_KEYS_SHOWN,
  type HeldDeactivations,
  type RecordError,
  zeroCounts,
} from "../../core/domain/model.js";
import { DEFAULT_STREAM, type StreamName, streamOf } from "../../core/domain/stream.js";
import type { Tenant } from "../../core/domain/tenant.js";
import type { VerifyRunReport } from "../../core/domain/verify-report.js";
import type { RunView } from "../../core/ports/api.js";
import { MAX_RUN_ERRORS, type ScheduleState } from "../../core/ports/pipeline.js";

/** The JSON shapes the API answers with, built in one place so every route shows a run or tenant alike. */

export interface RunJson {
  runId: string;
  tenantId: string;
  /** The stream the run synced (docs/streams.md); absent: the catalogue. */
  stream?: StreamName;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  /** Present once the run finished. */
  durationMs?: number;
  /** Why a run stopped early or failed, when it did. */
  reason?: string;
  /** Set while a run is being stopped early. */
  stopReason?: string;
  /** Sync requests that arrived while this run was active: recorded here, not lost. */
  skipped?: { trigger: string; at: string }[];
  counts: Counts;
  /** The first rejected or failed records with their reasons (at most 50). */
  errors: RecordError[];
  /** A verify run's report: counts per status, the first 50 differences, the repair run it started. */
  verify?: VerifyRunReport;
  /**
   * Deactivations the run found but held (more than `limit`, or `unconfirmed`): how many, and the
   * first 50 keys (f120_id). Approve them by starting a run with `approveDeactivationsOf` this run's id.
   */
  heldDeactivations?: { count: number; limit: number; keys: string[]; unconfirmed?: true };
  /** The run whose held deactivations were approved when this run was started. */
  approveDeactivationsOf?: string;
  /** A run of one item on demand: its f120_id (it deactivates nothing). */
  item?: number;
}

export function runJson(run: RunView): RunJson {
  return {
    runId: run.runId,
    tenantId: run.tenantId,
    ...(streamOf(run) !== DEFAULT_STREAM ? { stream: streamOf(run) } : {}),
    trigger: run.trigger,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    ...(run.durationMs !== undefined ? { durationMs: run.durationMs } : {}),
    ...(run.reason ? { reason: run.reason } : {}),
    ...(run.stopReason ? { stopReason: run.stopReason } : {}),
    ...(run.skipped?.length ? { skipped: run.skipped } : {}),
    counts: { ...zeroCounts(), ...run.counts },
    errors: (run.errors ?? []).slice(0, MAX_RUN_ERRORS),
    ...(run.verify ? { verify: run.verify } : {}),
    ...(run.heldDeactivations ? { heldDeactivations: heldJson(run.heldDeactivations) } : {}),
    ...(run.approveDeactivationsOf !== undefined
      ? { approveDeactivationsOf: run.approveDeactivationsOf }
      : {}),
    ...(run.item !== undefined ? { item: run.item } : {}),
  };
}

/** What a run held, as the API shows it (the set's fingerprint stays inside). */
function heldJson(held: HeldDeactivations): NonNullable<RunJson["heldDeactivations"]> {
  return {
    count: held.count,
    limit: held.limit,
    keys: (held.keys ?? []).slice(0, HELD_KEYS_SHOWN),
    ...(held.unconfirmed ? { unconfirmed: true as const } : {}),
  };
}

export interface ScheduleJson {
  expression: string;
  /** null when the tenant has no deployed schedule. */
  state: ScheduleState | null;
}

/** The tenant's configuration as its file declares it (there are no secrets in it by construction). */
export function tenantJson(tenant: Tenant, state: ScheduleState | undefined) {
  return {
    ...tenant,
    schedule: { expression: tenant.sync.schedule, state: state ?? null } satisfies ScheduleJson,
    paused: state === "DISABLED",
  };
}
