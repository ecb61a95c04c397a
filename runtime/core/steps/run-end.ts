import type { RunRecord } from "../domain/model.js";
import { WORKERS, type WorkerName } from "../domain/pipeline-config.js";
import { streamOf } from "../domain/stream.js";
import type { Tenant } from "../domain/tenant.js";
import { ExternalCallError, retryAfterOf } from "../ports/call-errors.js";
import type { PipelineContext } from "./context.js";
import { messageOf } from "./failures.js";

/**
 * The latest a message of `run` may come back to `worker`: the run's end (its start plus the tenant's
 * maxRunMinutes, when its lease expires) less one invocation of the worker, so that what comes back
 * can still be done within the run. A message put off past it would outlive its run and, in a FIFO
 * message group, hold back every message behind it, the next run's too.
 */
export const returnBy = (
  run: Pick<RunRecord, "startedAt">,
  tenant: Pick<Tenant, "sync">,
  worker: WorkerName,
): number => runEnd(run, tenant) - WORKERS[worker].timeoutSeconds * 1000;

/** When the run's lease expires: its start plus the tenant's maxRunMinutes. */
export const runEnd = (run: Pick<RunRecord, "startedAt">, tenant: Pick<Tenant, "sync">): number =>
  Date.parse(run.startedAt) + tenant.sync.maxRunMinutes * 60_000;

/** returnBy for a run still running (read through the context's caches); undefined otherwise or unreadable. */
export async function returnByOf(
  ctx: Pick<PipelineContext, "recentRun" | "tenantClients">,
  tenantId: string,
  runId: string,
  worker: WorkerName,
): Promise<number | undefined> {
  try {
    const run = await ctx.recentRun(tenantId, runId);
    if (run?.status !== "running") return undefined;
    return returnBy(run, (await ctx.tenantClients(tenantId, streamOf(run))).tenant, worker);
  } catch {
    return undefined;
  }
}

/**
 * Why a step's failure is final now, or undefined when a later delivery may try again. Final: on the
 * last delivery; when an API asked to be left alone past `by` (its wait is not ours to shorten); when
 * no time is left before `by` at all. A backoff of our own that does not fit is shortened instead: the
 * worker never puts a message off past `by` (sqs-worker.ts).
 */
export function giveUpReason(
  error: unknown,
  delivery: { final: boolean },
  by: number | undefined,
  now: number,
): string | undefined {
  if (delivery.final) return messageOf(error);
  if (by === undefined) return undefined;
  const waitMs = retryAfterOf(error);
  if (waitMs !== undefined && now + waitMs > by) return waitBeyondRun(error, waitMs);
  if (now >= by) return `${messageOf(error)}; no time left in this run to try again`;
  return undefined;
}

/** e.g. "kong.example.com answered 429 and asked to wait 43200 s, beyond this run's end". */
function waitBeyondRun(error: unknown, waitMs: number): string {
  const who = error instanceof ExternalCallError ? (error.host ?? error.service) : "the API";
  const status = error instanceof ExternalCallError ? error.status : 429;
  const seconds = Math.ceil(waitMs / 1000);
  if (status === "rate-limit")
    return `${who}'s rate limit leaves no room until its reset in ${seconds} s, beyond this run's end`;
  return `${who} answered ${status} and asked to wait ${seconds} s, beyond this run's end`;
}
