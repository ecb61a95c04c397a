/**
 * The record ledger: for each record of a tenant, the hash of the payload last written successfully to
 * the product. A record whose new hash equals the ledger's is `unchanged` and is not written again.
 * Item: { tenantId, recordKey, hash, productId, runId, updatedAt, outcome?, active?, reactivated? }.
 */
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
  paginateQuery,
} from "@aws-sdk/lib-dynamodb";
import { forEachConcurrent } from "../sync/pool.js";
import type { LedgerEntry } from "../sync/ports.js";
import { BATCH_PARALLELISM, BATCH_WRITE_MAX, chunk, sendUntilProcessed } from "./batch.js";
import { ReadBatch } from "./read-batch.js";

export type { LedgerEntry };

type LedgerItem = Omit<LedgerEntry, "key"> & { tenantId: string; recordKey: string };

const toEntry = (item: Record<string, unknown>): LedgerEntry => {
  const { recordKey, hash, productId, runId, updatedAt, outcome, active, reactivated } = item as LedgerItem;
  return {
    key: recordKey,
    hash,
    productId,
    runId,
    updatedAt,
    ...(outcome ? { outcome } : {}),
    ...(active === false ? { active } : {}),
    ...(reactivated ? { reactivated } : {}),
  };
};

export class RecordLedger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Shared with the other stores of `doc`, so that reads asked for together go out together. */
    private readonly reads = new ReadBatch(doc),
  ) {}

  /** The ledger entries of `keys` that exist; keys never written are absent from the map. */
  async getMany(tenantId: string, keys: string[]): Promise<Map<string, LedgerEntry>> {
    this.check(tenantId, keys);
    // Read strongly: a redelivered message may read right after the write it repeats.
    const items = await this.reads.getMany(
      this.tableName,
      keys.map((recordKey) => ({ tenantId, recordKey })),
    );
    const found = new Map<string, LedgerEntry>();
    for (const item of items) {
      if (!item) continue;
      const entry = toEntry(item);
      found.set(entry.key, entry);
    }
    return found;
  }

  /** Writes (replaces) the entries; when a key appears twice, the last entry wins. */
  async putMany(tenantId: string, entries: LedgerEntry[]): Promise<void> {
    this.check(
      tenantId,
      entries.map((entry) => entry.key),
    );
    // BatchWriteItem refuses a request that names the same key twice.
    const latest = new Map(entries.map((entry) => [entry.key, entry]));
    const batches = chunk([...latest.values()], BATCH_WRITE_MAX);
    await forEachConcurrent(batches, BATCH_PARALLELISM, (batch) => {
      const request: BatchWriteCommandInput["RequestItems"] = {
        [this.tableName]: batch.map(({ key, ...entry }) => ({
          PutRequest: { Item: { tenantId, recordKey: key, ...entry } },
        })),
      };
      return sendUntilProcessed(
        request,
        async (RequestItems) => {
          const answer = await this.doc.send(new BatchWriteCommand({ RequestItems }));
          return answer.UnprocessedItems?.[this.tableName]?.length ? answer.UnprocessedItems : undefined;
        },
        `ledger ${this.tableName}, tenant ${tenantId}: writing ${batch.length} records`,
      );
    });
  }

  /** Every entry of the tenant, one DynamoDB page (up to 1 MB, or `pageSize` entries) at a time. */
  async *all(tenantId: string, options: { pageSize?: number } = {}): AsyncGenerator<LedgerEntry[]> {
    this.check(tenantId, []);
    const pages = paginateQuery(
      { client: this.doc, ...(options.pageSize ? { pageSize: options.pageSize } : {}) },
      {
        TableName: this.tableName,
        KeyConditionExpression: "tenantId = :tenantId",
        ExpressionAttributeValues: { ":tenantId": tenantId },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      if (page.Items?.length) yield page.Items.map(toEntry);
    }
  }

  /** DynamoDB refuses empty key strings with a message that names neither tenant nor record. */
  private check(tenantId: string, keys: string[]): void {
    if (!tenantId) throw new Error(`ledger ${this.tableName}: tenantId must be a non-empty string`);
    if (keys.some((key) => typeof key !== "string" || key === "")) {
      throw new Error(
        `ledger ${this.tableName}, tenant ${tenantId}: every record key must be a non-empty string`,
      );
    }
  }
}
