import type { RunState } from "../ports/pipeline.js";
import type { RunRecord } from "../ports/records.js";

/**
 * How old a unit's or chunk's reading of its run may be. Reading it is a DynamoDB call per message, as
 * many as counting it; one this old is as good, because any read can be overtaken the moment it
 * returns: the late messages of a finished run are repeats its markers and the ledger make harmless,
 * and a stop reaches every container within this time (at once in the container that asked for it).
 */
export const RECENT_RUN_MS = 1_000;

export interface RecentRuns {
  /** The run as read at most RECENT_RUN_MS ago in this container (fresh after it changed the run here). */
  recent(tenantId: string, runId: string): Promise<RunRecord | undefined>;
  /** The same store, forgetting what it read of a run this container stops, ends, counts a unit of or pauses. */
  runs: RunState;
}

export function recentRuns(runs: RunState, now: () => number): RecentRuns {
  const seen = new Map<string, { at: number; run: RunRecord | undefined }>();
  const key = (tenantId: string, runId: string) => `${tenantId}/${runId}`;
  const forgetting =
    <A extends unknown[], R>(change: (tenantId: string, runId: string, ...rest: A) => Promise<R>) =>
    async (tenantId: string, runId: string, ...rest: A): Promise<R> => {
      try {
        return await change(tenantId, runId, ...rest);
      } finally {
        seen.delete(key(tenantId, runId));
      }
    };
  return {
    // Only answers are kept, not reads in flight: a read that never returns holds up its own caller only.
    async recent(tenantId, runId) {
      const id = key(tenantId, runId);
      const last = seen.get(id);
      if (last && now() - last.at < RECENT_RUN_MS) return last.run;
      const at = now();
      const run = await runs.get(tenantId, runId);
      if (seen.size >= 64)
        for (const [other, { at: read }] of seen) if (at - read >= RECENT_RUN_MS) seen.delete(other);
      seen.set(id, { at, run });
      return run;
    },
    runs: {
      create: (run) => runs.create(run),
      get: (tenantId, runId) => runs.get(tenantId, runId),
      getById: (runId) => runs.getById(runId),
      list: (tenantId, options) => runs.list(tenantId, options),
      putExceptions: (tenantId, runId, errors, cleared) =>
        runs.putExceptions(tenantId, runId, errors, cleared),
      addErrors: (tenantId, runId, errors) => runs.addErrors(tenantId, runId, errors),
      exceptions: (tenantId, runId, options) => runs.exceptions(tenantId, runId, options),
      addSkipped: (tenantId, runId, skipped) => runs.addSkipped(tenantId, runId, skipped),
      complete: forgetting((tenantId, runId, end: Parameters<RunState["complete"]>[2]) =>
        runs.complete(tenantId, runId, end),
      ),
      requestStop: forgetting((tenantId, runId, reason: string) => runs.requestStop(tenantId, runId, reason)),
      unitOutcome: forgetting((tenantId, runId, failed: boolean) =>
        runs.unitOutcome(tenantId, runId, failed),
      ),
      pauseSiesa: forgetting((tenantId, runId, until: number) => runs.pauseSiesa(tenantId, runId, until)),
    },
  };
}
