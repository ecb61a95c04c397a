import type { WorkerName } from "../pipeline/config.js";
import { createPipelineContext } from "../pipeline/context.js";
import { deactivationStep } from "../pipeline/deactivate.js";
import { dispatchRun } from "../pipeline/dispatch-run.js";
import { extractUnit } from "../pipeline/extract-unit.js";
import { loadChunk } from "../pipeline/load-chunk.js";
import {
  LoadChunkSchema,
  PagesMessageSchema,
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
 * `verify` runs the verify runs the API queues. `deps` is one bag for all (a Lambda, which is one
 * function), or each function's own (the local stack and the tests give each only what its role
 * grants: runtime/local/role-scope.ts).
 */
export function createWorkerHandlers(
  deps: WorkerDependencies | ((worker: WorkerName) => WorkerDependencies),
): Record<WorkerName, QueueHandler> {
  const depsOf = typeof deps === "function" ? deps : () => deps;
  const dispatch = createPipelineContext(depsOf("dispatch"));
  const extract = createPipelineContext(depsOf("extract"));
  const load = createPipelineContext(depsOf("load"));
  const verify = createPipelineContext(depsOf("verify"));
  return {
    settle: settleWorker(createPipelineContext(depsOf("settle"))),
    dispatch: sqsWorker(dispatch, {
      queue: "syncRequests",
      schema: SyncRequestSchema,
      handle: async (request, delivery) => {
        await dispatchRun(dispatch, request, delivery);
      },
    }),
    extract: sqsWorker(extract, {
      queue: "pages",
      schema: PagesMessageSchema,
      // The deactivation pass runs here: confirming an absence asks Siesa, and only extract may.
      handle: (message, delivery) =>
        "pass" in message
          ? deactivationStep(extract, message, delivery)
          : extractUnit(extract, message, delivery),
      returnBy: (message) => returnByOf(extract, message.tenantId, message.runId, "extract"),
    }),
    load: sqsWorker(load, {
      queue: "loads",
      schema: LoadChunkSchema,
      handle: (chunk, delivery) => loadChunk(load, chunk, delivery),
      returnBy: (chunk) => returnByOf(load, chunk.tenantId, chunk.runId, "load"),
    }),
    verify: sqsWorker(verify, {
      queue: "verifyRequests",
      schema: VerifyRequestSchema,
      handle: (request, delivery) => verifyRun(verify, request, delivery),
    }),
  };
}
