import type { Tenant } from "../domain/tenant.js";
import type { RunDependencies } from "../ports/dependencies.js";
import { openRun, type StartResult } from "../steps/start-run.js";

/**
 * POST /tenants/:id/verify: takes the tenant's lease, creates the verify run and queues it for the
 * verify worker (verify-run.ts), which reads the product and ends the run; `started: false` when a run
 * holds the lease. The API reads nothing of the
 * product or the ledger. If queueing fails, the run ends failed and the lease is given back.
 */
export function requestVerify(
  ctx: RunDependencies,
  tenant: Tenant,
  options: { repair: boolean },
): Promise<StartResult> {
  return openRun(ctx, tenant, {
    trigger: "verify",
    what: "verify",
    detail: { trigger: "verify", repair: options.repair },
    send: (runId) => ctx.queues.requestVerify({ tenantId: tenant.id, runId, repair: options.repair }),
  });
}
