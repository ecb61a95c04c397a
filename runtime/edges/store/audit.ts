/**
 * The audit table: what happened to a tenant and when (runs finished, pauses, resumes, skipped
 * requests). Entries expire with the run history (retention.ts) through DynamoDB TTL (`expiresAt`).
 */
import { randomBytes } from "node:crypto";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { AuditEntry, AuditTrail } from "../../core/ports/pipeline.js";
import { expiresAt } from "./retention.js";

export type { AuditEntry };

export class AuditLog implements AuditTrail {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(tenantId: string, entry: AuditEntry, now = new Date()): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          tenantId,
          at: `${now.toISOString()}#${randomBytes(4).toString("hex")}`,
          expiresAt: expiresAt(now),
          ...entry,
        },
      }),
    );
  }
}
