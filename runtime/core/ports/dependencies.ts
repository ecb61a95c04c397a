import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { OtherStream } from "../domain/stream.js";
import type { Tenant } from "../domain/tenant.js";
import type { Log } from "../observability/logger.js";
import type { CallPolicy } from "./call-policy.js";
import type { Notifier } from "./notifier.js";
import type {
  CredentialSource,
  Lease,
  LeaseOwner,
  MetricsSink,
  PipelineQueues,
  PipelineStore,
  RedeliveryControl,
  ScheduleControl,
  TenantDirectory,
} from "./pipeline.js";
import type { StreamClients, TenantClients, TenantCredentials } from "./tenant-clients.js";

export type { MetricsSink };

/** A worker as Lambda's SQS event source mapping calls it (ReportBatchItemFailures on). */
export type QueueHandler = (event: SQSEvent, context?: InvocationContext) => Promise<SQSBatchResponse>;

/** The part of Lambda's context a worker reads: how long it has left (absent locally: no deadline). */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/**
 * What starting and ending runs needs: the run's state (PipelineStore), the queues, tenants and
 * credentials, but no Siesa or product clients. The API has this much (it starts runs and verifies);
 * runtime/wiring/ builds it from the environment, runtime/cli/ for `npm start` and `npm run sync`.
 */
export interface RunDependencies extends PipelineStore {
  tenants: TenantDirectory;
  credentials: CredentialSource;
  queues: PipelineQueues;
  redelivery: RedeliveryControl;
  /** Where ends of runs and late tenants are raised (absent: nothing is notified, as in `npm run sync`). */
  notifier?: Notifier;
  /** The sweeper's late check reads whether a tenant's schedule is enabled, and since when (settle only). */
  schedules?: Pick<ScheduleControl, "describe">;
  log: Log;
  metrics: MetricsSink;
  /** Base of the retry backoff of failed messages, in seconds (0 locally in tests: retry at once). */
  retryBaseSeconds: number;
  now(): Date;
  /**
   * Local only: the process that runs here, recorded on the leases it takes, and how to tell that a
   * lease's process is gone (so a killed `npm run sync` does not block the tenant until expiry).
   */
  processLease?: { owner: LeaseOwner; isDead(lease: Lease): boolean };
}

/** Everything the workers talk to: what runs need, and each tenant's Siesa and product clients. */
export interface WorkerDependencies extends RunDependencies {
  /** `policy` overrides the wiring's call policy for one kind of run (a verify's is less patient). */
  clientsFor(tenant: Tenant, credentials: TenantCredentials, policy?: Partial<CallPolicy>): TenantClients;
  /** The reader, mapping and writer of one of the tenant's other streams (warehouses, stock); `policy` as for clientsFor. */
  streamClientsFor(
    tenant: Tenant,
    credentials: TenantCredentials,
    stream: OtherStream,
    policy?: Partial<CallPolicy>,
  ): StreamClients;
}
