import type { WorkerName } from "../pipeline/config.js";
import { createPipelineContext } from "../pipeline/context.js";
import { dispatchRun } from "../pipeline/dispatch-run.js";
import { extractUnit } from "../pipeline/extract-unit.js";
import { finishLoadBatch, LoadBatch, loadRecord } from "../pipeline/load-record.js";
import { ExtractUnitSchema, LoadRecordSchema, SyncRequestSchema } from "../pipeline/messages.js";
import type { QueueHandler, WorkerDependencies } from "./dependencies.js";
import { sqsWorker } from "./sqs-worker.js";

/** The three pipeline workers, each a thin SQS handler over one pipeline step. */
export function createWorkerHandlers(deps: WorkerDependencies): Record<WorkerName, QueueHandler> {
  const ctx = createPipelineContext(deps);
  return {
    dispatch: sqsWorker(deps, {
      queue: "syncRequests",
      schema: SyncRequestSchema,
      startBatch: () => undefined,
      handle: async (request, delivery) => {
        await dispatchRun(ctx, request, delivery);
      },
    }),
    extract: sqsWorker(deps, {
      queue: "pages",
      schema: ExtractUnitSchema,
      startBatch: () => undefined,
      handle: (unit, delivery) => extractUnit(ctx, unit, delivery),
    }),
    load: sqsWorker(deps, {
      queue: "loads",
      schema: LoadRecordSchema,
      startBatch: (records) => new LoadBatch(ctx, records),
      handle: (record, delivery, batch) => loadRecord(ctx, record, delivery, batch),
      endBatch: (batch) => finishLoadBatch(ctx, batch),
    }),
  };
}
