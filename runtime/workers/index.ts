import type { WorkerName } from "../core/domain/pipeline-config.js";
import type { QueueHandler, WorkerDependencies } from "../core/ports/dependencies.js";
import {
  ExtractMessageSchema,
  LoadChunkSchema,
  SyncRequestSchema,
  VerifyRequestSchema,
} from "../core/ports/messages.js";
import type { NotifyDependencies } from "../core/ports/notifier.js";
import { createPipelineContext } from "../core/steps/context.js";
import { deactivationStep } from "../core/steps/deactivate.js";
import { dispatchRun } from "../core/steps/dispatch-run.js";
import { extractUnit } from "../core/steps/extract-unit.js";
import { loadChunk } from "../core/steps/load-chunk.js";
import { returnByOf } from "../core/steps/run-end.js";
import { sweep } from "../core/steps/settle.js";
import { verifyRun } from "../core/verify/verify-run.js";
import { createNotifyHandler, undeliverable } from "./notify-worker.js";
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
 * grants: runtime/wiring/role-scope.ts). `notify` has dependencies of its own (no Siesa, no product):
 * without them (a run in one process, a test), its handler fails whatever reaches it.
 */
export function createWorkerHandlers(
  deps: WorkerDependencies | ((worker: WorkerName) => WorkerDependencies),
  notify?: NotifyDependencies,
): Record<WorkerName, QueueHandler> {
  const depsOf = typeof deps === "function" ? deps : () => deps;
  const dispatch = createPipelineContext(depsOf("dispatch"));
  const extract = createPipelineContext(depsOf("extract"));
  const load = createPipelineContext(depsOf("load"));
  const verify = createPipelineContext(depsOf("verify"));
  return {
    notify: notify ? createNotifyHandler(notify) : undeliverable,
    settle: settleWorker(createPipelineContext(depsOf("settle"))),
    dispatch: sqsWorker(dispatch, {
      queue: "syncRequests",
      schema: SyncRequestSchema,
      handle: async (request, delivery) => {
        await dispatchRun(dispatch, request, delivery);
      },
    }),
    extract: sqsWorker(extract, {
      queue: "units",
      schema: ExtractMessageSchema,
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
