import { DEFAULT_STREAM } from "../domain/stream.js";
import type { Tenant } from "../domain/tenant.js";
import type { RunDependencies } from "../ports/dependencies.js";
import type { VerifyRequest } from "../ports/messages.js";
import { openRun, type StartResult } from "../steps/start-run.js";

/**
 * POST /tenants/:id/verify: takes the stream's lease, creates the verify run and queues it for the
 * verify worker (verify-run.ts), which reads the product and ends the run; `started: false` when a run
 * holds the lease. The API reads nothing of the
 * product or the ledger. If queueing fails, the run ends failed and the lease is given back.
 */
export function requestVerify(
  ctx: RunDependencies,
  tenant: Tenant,
  options: { repair: boolean; stream?: VerifyRequest["stream"] },
): Promise<StartResult> {
  // Absent for the catalogue, as on every run and message.
  const stream =
    options.stream === undefined || options.stream === DEFAULT_STREAM ? {} : { stream: options.stream };
  return openRun(ctx, tenant, {
    trigger: "verify",
    ...stream,
    what: "verify",
    detail: { trigger: "verify", repair: options.repair, ...stream },
    send: (runId) =>
      ctx.queues.requestVerify({ tenantId: tenant.id, runId, repair: options.repair, ...stream }),
  });
}
