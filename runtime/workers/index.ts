import type { WorkerName } from "../pipeline/config.js";
import { createPipelineContext } from "../pipeline/context.js";
import { dispatchRun } from "../pipeline/dispatch-run.js";
import { extractUnit } from "../pipeline/extract-unit.js";
import { loadChunk } from "../pipeline/load-chunk.js";
import { ExtractUnitSchema, LoadChunkSchema, SyncRequestSchema } from "../pipeline/messages.js";
import type { QueueHandler, WorkerDependencies } from "./dependencies.js";
import { sqsWorker } from "./sqs-worker.js";

/** The three pipeline workers, each a thin SQS handler over one pipeline step. */
export function createWorkerHandlers(deps: WorkerDependencies): Record<WorkerName, QueueHandler> {
  const ctx = createPipelineContext(deps);
  return {
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
    }),
    load: sqsWorker(deps, {
      queue: "loads",
      schema: LoadChunkSchema,
      handle: (chunk, delivery) => loadChunk(ctx, chunk, delivery),
    }),
  };
}
