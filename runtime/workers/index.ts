import type { WorkerName } from "../pipeline/config.js";
import { createPipelineContext } from "../pipeline/context.js";
import { dispatchRun } from "../pipeline/dispatch-run.js";
import { extractUnit } from "../pipeline/extract-unit.js";
import { loadChunk } from "../pipeline/load-chunk.js";
import {
  ExtractUnitSchema,
  LoadChunkSchema,
  SyncRequestSchema,
  VerifyRequestSchema,
} from "../pipeline/messages.js";
import { returnByOf } from "../pipeline/run-end.js";
import { sweep } from "../pipeline/settle.js";
import { verifyRun } from "../verify/verify-run.js";
import type { QueueHandler, WorkerDependencies } from "./dependencies.js";
import { settleWorker } from "./settle-worker.js";
import { sqsWorker } from "./sqs-worker.js";

/** The sweeper (settle's scheduled invocation): ends expired runs and recounts running ones. */
export function createSweeper(
  deps: WorkerDependencies,
): () => Promise<{ expired: number; finalised: number }> {
  const ctx = createPipelineContext(deps);
  return () => sweep(ctx);
}

/**
 * The pipeline workers, each a thin SQS handler over one pipeline step; `settle` reads the DLQs,
 * `verify` runs the verify runs the API queues.
 */
export function createWorkerHandlers(deps: WorkerDependencies): Record<WorkerName, QueueHandler> {
  const ctx = createPipelineContext(deps);
  return {
    settle: settleWorker(ctx),
    dispatch: sqsWorker(deps, {
      queue: "syncRequests",
      schema: SyncRequestSchema,
      handle: async (request, delivery) => {
        await dispatchRun(ctx, request, delivery);
      },
    }),
    extract: sqsWorker(deps, {
      queue: "pages",
      schema: ExtractUnitSchema,
      handle: (unit, delivery) => extractUnit(ctx, unit, delivery),
      returnBy: (unit) => returnByOf(ctx, unit.tenantId, unit.runId, "extract"),
    }),
    load: sqsWorker(deps, {
      queue: "loads",
      schema: LoadChunkSchema,
      handle: (chunk, delivery) => loadChunk(ctx, chunk, delivery),
      returnBy: (chunk) => returnByOf(ctx, chunk.tenantId, chunk.runId, "load"),
    }),
    verify: sqsWorker(deps, {
      queue: "verifyRequests",
      schema: VerifyRequestSchema,
      handle: (request, delivery) => verifyRun(ctx, request, delivery),
    }),
  };
}
