/**
 * One run per tenant and stream at a time (docs/architecture.md): a lease item per tenant and stream
 * in the tenants table, `{ tenantId: "lease#<scope>", runId, expiresAt, owner? }` (scope: the tenant,
 * or `<tenant>#<stream>` beside the catalogue), taken with a conditional write. A lease
 * expires after the tenant's maximum run duration, so a crashed run cannot block the tenant forever;
 * a local run's lease also names its process, so a lease whose process is gone is taken over at once.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { AcquireResult, Lease, LeaseOwner, LeaseStore } from "../../core/ports/pipeline.js";

/** Lease items' keys start with this; IAM lets functions write only such keys of the tenants table. */
export const LEASE_KEY_PREFIX = "lease#";
const leaseKey = (tenantId: string) => ({ tenantId: `${LEASE_KEY_PREFIX}${tenantId}` });

/** Whether a lease held by another run may be taken over now. */
export const isTakeable = (lease: Lease, now: Date, isDead?: (lease: Lease) => boolean): boolean =>
  Date.parse(lease.expiresAt) <= now.getTime() || (isDead?.(lease) ?? false);

export class TenantLease implements LeaseStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(
    tenantId: string,
    runId: string,
    now: Date,
    durationMs: number,
    options: { owner?: LeaseOwner; isDead?: (lease: Lease) => boolean } = {},
  ): Promise<AcquireResult> {
    const expiresAt = new Date(now.getTime() + durationMs).toISOString();
    const item = {
      ...leaseKey(tenantId),
      runId,
      expiresAt,
      ...(options.owner ? { owner: options.owner } : {}),
    };
    // The usual cases in one write, without reading first: no lease, or this run's own (a redelivered
    // message takes it again). Only a lease held by another run needs reading, to judge it.
    if (await this.#putIf(item, "attribute_not_exists(tenantId) OR runId = :runId", { ":runId": runId })) {
      return { acquired: true };
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.current(tenantId);
      if (current && current.runId !== runId && !isTakeable(current, now, options.isDead)) {
        return { acquired: false, holder: current };
      }
      // Replace only what we just read: a lease taken in between makes us read again.
      const replaced = current
        ? await this.#putIf(item, "runId = :seenRun AND expiresAt = :seenExpiry", {
            ":seenRun": current.runId,
            ":seenExpiry": current.expiresAt,
          })
        : await this.#putIf(item, "attribute_not_exists(tenantId)");
      if (replaced) {
        return current && current.runId !== runId
          ? { acquired: true, replaced: current }
          : { acquired: true };
      }
    }
    const holder = await this.current(tenantId);
    return holder ? { acquired: false, holder } : this.acquire(tenantId, runId, now, durationMs, options);
  }

  /** Writes the lease item if `condition` holds; false when it does not. */
  async #putIf(
    item: Record<string, unknown>,
    condition: string,
    values?: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
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

  async current(tenantId: string): Promise<Lease | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: leaseKey(tenantId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const owner = Item.owner as LeaseOwner | undefined;
    return {
      runId: String(Item.runId),
      expiresAt: String(Item.expiresAt),
      ...(owner ? { owner: { host: String(owner.host), pid: Number(owner.pid) } } : {}),
    };
  }
}
