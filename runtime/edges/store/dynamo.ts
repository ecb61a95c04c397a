import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ledgerOfStreams } from "../../core/ports/ledger-streams.js";
import type { PipelineStore } from "../../core/ports/pipeline.js";
import { AuditLog } from "./audit.js";
import { TenantLease } from "./lease.js";
import { RecordLedger } from "./ledger.js";
import { RunProgress } from "./progress.js";
import { ReadBatch } from "./read-batch.js";
import { RunStore } from "./runs.js";
import type { TableNames } from "./tables.js";

/** The pipeline's state in DynamoDB (AWS, DynamoDB Local, or the embedded dynalite). */
export function dynamoPipelineStore(doc: DynamoDBDocumentClient, names: TableNames): PipelineStore {
  const reads = new ReadBatch(doc);
  return {
    runs: new RunStore(doc, names.runs),
    progress: new RunProgress(doc, names.runs, reads),
    lease: new TenantLease(doc, names.tenants),
    ledger: ledgerOfStreams(
      new RecordLedger(doc, names.ledger, reads),
      new RecordLedger(doc, names.streamLedger, reads, true),
    ),
    audit: new AuditLog(doc, names.audit),
  };
}
