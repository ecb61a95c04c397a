import type { TenantCredentials } from "../compose.js";
import type { Tenant } from "../tenants/schema.js";
import type { ExtractUnit, LoadRecord, SyncRequest } from "./messages.js";

/**
 * What the workers and the API need from AWS (or its local stand-ins). Implementations:
 * runtime/aws/ (SQS, DynamoDB, Secrets Manager, EventBridge Scheduler) and runtime/local/.
 */

export interface PipelineQueues {
  requestSync(request: SyncRequest): Promise<void>;
  /** FIFO: MessageGroupId `<tenantId>#<slot>` with `concurrency` slots; dedup id `<runId>:<unitId>`. */
  sendUnits(units: ExtractUnit[], concurrency: number): Promise<void>;
  sendLoads(records: LoadRecord[]): Promise<void>;
}

/** The deployed tenants' configuration (the tenants table in AWS, the tenant files locally). */
export interface TenantDirectory {
  get(tenantId: string): Promise<Tenant | undefined>;
  list(): Promise<Tenant[]>;
}

/** A tenant's Siesa and product credentials (Secrets Manager in AWS). */
export interface CredentialSource {
  /** Throws CredentialsError naming the secret (never its value) when missing or malformed. */
  forTenant(tenant: Tenant): Promise<TenantCredentials>;
}

export class CredentialsError extends Error {
  override readonly name = "CredentialsError";
}

export type ScheduleState = "ENABLED" | "DISABLED";

/** Each tenant's EventBridge Scheduler schedule (a local scheduler when running locally). */
export interface ScheduleControl {
  /** undefined when the tenant has no schedule (not deployed). */
  getState(tenantId: string): Promise<ScheduleState | undefined>;
  setState(tenantId: string, state: ScheduleState): Promise<void>;
  /** When the schedule really fires next, where the scheduler can tell (the local one can; AWS's cannot). */
  nextFire?(tenantId: string): Date | undefined;
}

/** Lets a failed message come back after `delaySeconds` instead of the whole visibility timeout. */
export interface RedeliveryControl {
  retryLater(queueArn: string, receiptHandle: string, delaySeconds: number): Promise<void>;
}
