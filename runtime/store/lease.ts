/**
 * One run per tenant at a time (SYSTEM.md §8): a lease item per tenant in the tenants table,
 * `{ tenantId: "lease#<tenant>", runId, expiresAt }`, taken with a conditional write. A lease
 * expires after the tenant's maximum run duration, so a crashed run cannot block the tenant forever.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";

export interface Lease {
  runId: string;
  expiresAt: string;
}

export type AcquireResult =
  | { acquired: true /** An expired lease of another run this one replaced. */; replaced?: Lease }
  | { acquired: false; holder: Lease };

/** Lease items' keys start with this; IAM lets functions write only such keys of the tenants table. */
export const LEASE_KEY_PREFIX = "lease#";
const leaseKey = (tenantId: string) => ({ tenantId: `${LEASE_KEY_PREFIX}${tenantId}` });

export class TenantLease {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Takes the lease for `runId`; taking it again for the same run succeeds (redelivered messages). */
  async acquire(tenantId: string, runId: string, now: Date, durationMs: number): Promise<AcquireResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.current(tenantId);
      if (current && current.runId !== runId && Date.parse(current.expiresAt) > now.getTime()) {
        return { acquired: false, holder: current };
      }
      const expiresAt = new Date(now.getTime() + durationMs).toISOString();
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...leaseKey(tenantId), runId, expiresAt },
            // Replace only what we just read: a lease taken in between makes us read again.
            ConditionExpression: current
              ? "runId = :seenRun AND expiresAt = :seenExpiry"
              : "attribute_not_exists(tenantId)",
            ...(current
              ? { ExpressionAttributeValues: { ":seenRun": current.runId, ":seenExpiry": current.expiresAt } }
              : {}),
          }),
        );
        return current && current.runId !== runId
          ? { acquired: true, replaced: current }
          : { acquired: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    const holder = await this.current(tenantId);
    return holder ? { acquired: false, holder } : this.acquire(tenantId, runId, now, durationMs);
  }

  /** Releases the lease if `runId` still holds it. */
  async release(tenantId: string, runId: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: leaseKey(tenantId),
          ConditionExpression: "runId = :runId",
          ExpressionAttributeValues: { ":runId": runId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** The lease as stored (possibly expired: compare `expiresAt` with the clock). */
  async current(tenantId: string): Promise<Lease | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: leaseKey(tenantId), ConsistentRead: true }),
    );
    return Item ? { runId: String(Item.runId), expiresAt: String(Item.expiresAt) } : undefined;
  }
}
