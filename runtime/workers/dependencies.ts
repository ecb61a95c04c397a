import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { TenantClients, TenantCredentials } from "../compose.js";
import type { Log } from "../observability/logger.js";
import type {
  CredentialSource,
  PipelineQueues,
  RedeliveryControl,
  TenantDirectory,
} from "../pipeline/ports.js";
import type { RecordLedger } from "../store/ledger.js";
import type { RunStore } from "../store/runs.js";
import type { Tenant } from "../tenants/schema.js";

/** A worker as Lambda's SQS event source mapping calls it (ReportBatchItemFailures on). */
export type QueueHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** Metrics the workers emit (Powertools EMF in AWS; a recorder in tests). Names: observability/metric-names.ts */
export interface MetricsSink {
  count(name: string, value: number, dimensions: Record<string, string>): void;
  seconds(name: string, value: number, dimensions: Record<string, string>): void;
  flush(): void;
}

/** Everything the workers talk to. runtime/aws/ builds it from the environment; runtime/local/ from the local stack. */
export interface WorkerDependencies {
  tenants: TenantDirectory;
  credentials: CredentialSource;
  queues: PipelineQueues;
  redelivery: RedeliveryControl;
  runs: RunStore;
  ledger: RecordLedger;
  /** The DynamoDB document client and table names, for the lease, run progress and audit items. */
  store: {
    doc: import("@aws-sdk/lib-dynamodb").DynamoDBDocumentClient;
    names: import("../store/tables.js").TableNames;
  };
  clientsFor(tenant: Tenant, credentials: TenantCredentials): TenantClients;
  log: Log;
  metrics: MetricsSink;
  /** Base of the retry backoff of failed messages, in seconds (0 locally in tests: retry at once). */
  retryBaseSeconds: number;
  now(): Date;
}
