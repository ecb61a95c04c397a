import type { WorkerName } from "../pipeline/config.js";
import { createPipelineContext } from "../pipeline/context.js";
import { deactivationStep } from "../pipeline/deactivate.js";
import { dispatchRun } from "../pipeline/dispatch-run.js";
import { extractUnit } from "../pipeline/extract-unit.js";
import { loadChunk } from "../pipeline/load-chunk.js";
import { LoadChunkSchema, PagesMessageSchema, SyncRequestSchema } from "../pipeline/messages.js";
import { returnByOf } from "../pipeline/run-end.js";
import { sweep } from "../pipeline/settle.js";
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

/** The pipeline workers, each a thin SQS handler over one pipeline step; `settle` reads the DLQs. */
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
      schema: PagesMessageSchema,
      // The deactivation pass runs here: confirming an absence asks Siesa, and only extract may.
      handle: (message, delivery) =>
        "pass" in message ? deactivationStep(ctx, message, delivery) : extractUnit(ctx, message, delivery),
      returnBy: (message) => returnByOf(ctx, message.tenantId, message.runId, "extract"),
    }),
    load: sqsWorker(deps, {
      queue: "loads",
      schema: LoadChunkSchema,
      handle: (chunk, delivery) => loadChunk(ctx, chunk, delivery),
      returnBy: (chunk) => returnByOf(ctx, chunk.tenantId, chunk.runId, "load"),
    }),
  };
}
