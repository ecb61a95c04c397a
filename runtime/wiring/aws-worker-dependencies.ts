import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { ENV } from "../core/domain/resource-names.js";
import type { Tenant } from "../core/domain/tenant.js";
import { logger } from "../core/observability/logger.js";
import { type CallPolicy, defaultPolicy } from "../core/ports/call-policy.js";
import type { WorkerDependencies } from "../core/ports/dependencies.js";
import { EventBridgeScheduleControl } from "../edges/aws/scheduler.js";
import { awsRunDependencies, requiredEnv } from "./aws-run-dependencies.js";
import { clientsFor, streamClientsFor } from "./compose.js";

/** Outbound calls from a worker: the tenant's retries, and a timeout well inside the function's. */
const WORKER_TIMEOUT_MS = 20_000;

/**
 * The workers' dependencies in AWS: what runs need, and each tenant's Siesa and product clients
 * (kept out of the API's, whose bundle then carries no extraction or mapping code).
 */
export function awsWorkerDependencies(env: NodeJS.ProcessEnv = process.env): WorkerDependencies {
  const options = (tenant: Tenant, policy?: Partial<CallPolicy>) => ({
    policy: defaultPolicy({
      retryAttempts: tenant.sync.retryAttempts,
      timeoutMs: WORKER_TIMEOUT_MS,
      ...policy,
    }),
    log: logger,
  });
  return {
    ...awsRunDependencies(env),
    clientsFor: (tenant, credentials, policy) => clientsFor(tenant, credentials, options(tenant, policy)),
    streamClientsFor: (tenant, credentials, stream, policy) =>
      streamClientsFor(tenant, credentials, stream, options(tenant, policy)),
  };
}

/** settle's: a worker's, and the schedules' states its sweeper's late check reads. */
export function awsSettleDependencies(env: NodeJS.ProcessEnv = process.env): WorkerDependencies {
  return {
    ...awsWorkerDependencies(env),
    schedules: new EventBridgeScheduleControl(new SchedulerClient({}), requiredEnv(ENV.stack, env)),
  };
}
