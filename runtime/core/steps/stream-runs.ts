import type { RunRecord } from "../domain/model.js";
import { type StreamName, streamOf } from "../domain/stream.js";
import { MAX_RUNS_PAGE, type RunState } from "../ports/pipeline.js";

/**
 * How far back the history is searched for a stream's runs: a tenant's streams share one history,
 * so a frequent stream's runs lie between a rarer one's. Beyond it, none is found.
 */
export const STREAM_HISTORY_PAGES = 20;

/**
 * The newest run of one stream of the tenant that `found` accepts, searching `pages` pages of its
 * history, newest first.
 */
export async function findRun(
  runs: Pick<RunState, "list">,
  tenantId: string,
  stream: StreamName,
  found: (run: RunRecord) => boolean,
  pages = STREAM_HISTORY_PAGES,
): Promise<RunRecord | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < pages; page++) {
    const listed = await runs.list(tenantId, { limit: MAX_RUNS_PAGE, ...(cursor ? { cursor } : {}) });
    const run = listed.runs.find((r) => streamOf(r) === stream && found(r));
    if (run) return run;
    if (!listed.cursor) return undefined;
    cursor = listed.cursor;
  }
  return undefined;
}

/**
 * The stream's last run that read every record and gave each its outcome (RunRecord.complete). The
 * history is searched newest first down to the run the stream's newest run started from (its
 * baselineRunId, the last complete run then); when incomplete runs since fill more than the history
 * searched, that run is read by id, so however many runs failed since, it is not lost.
 */
export async function lastCompleteRun(
  runs: Pick<RunState, "list" | "getById">,
  tenantId: string,
  stream: StreamName,
): Promise<RunRecord | undefined> {
  return (await latestRuns(runs, tenantId, stream)).lastComplete;
}

/**
 * The stream's newest run and its last complete one (lastCompleteRun), from one pass over the
 * history: the newest is the first run of the stream the pass meets.
 */
export async function latestRuns(
  runs: Pick<RunState, "list" | "getById">,
  tenantId: string,
  stream: StreamName,
): Promise<{ newest?: RunRecord; lastComplete?: RunRecord }> {
  let newest: RunRecord | undefined;
  let baseline: string | undefined;
  const found = await findRun(runs, tenantId, stream, (run) => {
    newest ??= run;
    baseline ??= run.baselineRunId;
    return run.complete === true || (baseline !== undefined && run.runId <= baseline);
  });
  const at = newest ? { newest } : {};
  if (found?.complete) return { ...at, lastComplete: found };
  if (baseline === undefined) return at;
  const run = found?.runId === baseline ? found : await runs.getById(baseline);
  return run?.complete && run.tenantId === tenantId ? { ...at, lastComplete: run } : at;
}
