/**
 * The record ledger: for each record of a tenant, the hash of the payload last written successfully to
 * the product. A record whose new hash equals the ledger's is `unchanged` and is not written again.
 * Item: { tenantId, recordKey, hash, productId, runId, updatedAt, outcome?, active?, reactivated?, listedHash? },
 * `recordKey` being the record's key in the sort key's form (`sortKeyOf`).
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand, paginateQuery, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { forEachConcurrent } from "../sync/pool.js";
import type { LedgerEntry, LedgerPutResult } from "../sync/ports.js";
import { ReadBatch } from "./read-batch.js";

export type { LedgerEntry, LedgerPutResult };

/** Conditional puts in flight at once per call: a load chunk's (up to 25) go out together. */
export const PUT_PARALLELISM = 25;

type LedgerItem = Omit<LedgerEntry, "key"> & { tenantId: string; recordKey: string };

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const INTEGER = /^-?[0-9]{1,10}$/;

/**
 * The sort key of a record: a key that is an `f120_id` (an SQL int, INT-001) as `n:` and its
 * offset from the smallest int in 10 digits, so that the ledger holds a unit's records side by side,
 * in the order of its range, and reads them with one Query; any other key as `k:` and itself.
 */
export function sortKeyOf(key: string): string {
  if (INTEGER.test(key)) {
    const id = Number(key);
    if (id >= INT32_MIN && id <= INT32_MAX && String(id) === key) {
      return `n:${String(id - INT32_MIN).padStart(10, "0")}`;
    }
  }
  return `k:${key}`;
}

/**
 * The record key of a sort key; undefined for an item written before keys had a form (docs/architecture.md).
 */
export function keyOfSortKey(sortKey: string): string | undefined {
  if (sortKey.startsWith("n:")) return String(Number(sortKey.slice(2)) + INT32_MIN);
  if (sortKey.startsWith("k:")) return sortKey.slice(2);
  return undefined;
}

/**
 * A read of at least this many ids is one Query over their span of the sort key instead of
 * BatchGets of each: a unit's records (about 75) are most of the entries in their span, and a Query
 * reads them as a few KB (a strongly consistent read unit per 4 KB) where a BatchGet pays a read
 * unit for every item. A load chunk (at most 25 records, LOAD_CHUNK_RECORDS) keeps its BatchGet,
 * shared with its other reads.
 */
export const SPAN_READ_MIN = 32;
/**
 * Entries a span read may pass over per id asked for: ids the run no longer sees (deactivated
 * records) lie in the span too. Beyond that, the ids not yet reached are read by BatchGet, so a
 * sparse set of ids costs at most this many times its own size.
 */
export const SPAN_READ_SLACK = 2;

const toEntry = (item: Record<string, unknown>): LedgerEntry | undefined => {
  const { recordKey, hash, productId, runId, updatedAt, outcome, active, reactivated, listedHash } =
    item as LedgerItem;
  const key = keyOfSortKey(recordKey);
  if (key === undefined) return undefined;
  return {
    key,
    hash,
    productId,
    runId,
    updatedAt,
    ...(outcome ? { outcome } : {}),
    ...(active === false ? { active } : {}),
    ...(reactivated ? { reactivated } : {}),
    ...(listedHash ? { listedHash } : {}),
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
    const wanted = new Set(keys);
    const ids: string[] = [];
    const others: string[] = [];
    for (const key of wanted) {
      const sortKey = sortKeyOf(key);
      (sortKey.startsWith("n:") ? ids : others).push(sortKey);
    }
    if (ids.length < SPAN_READ_MIN) others.push(...ids.splice(0));
    // Read strongly: a redelivered message may read right after the write it repeats.
    const [spanned, got] = await Promise.all([
      this.#readSpan(tenantId, ids.sort()),
      this.reads.getMany(
        this.tableName,
        others.map((recordKey) => ({ tenantId, recordKey })),
      ),
    ]);
    const found = new Map<string, LedgerEntry>();
    for (const item of [...spanned, ...got]) {
      const entry = item && toEntry(item);
      if (entry && wanted.has(entry.key)) found.set(entry.key, entry);
    }
    return found;
  }

  /**
   * The items of `sortKeys` (sorted) and of the other entries between them, read with a strongly
   * consistent Query from the first to the last; once it has passed over SPAN_READ_SLACK entries per
   * key, the keys it has not reached are read by BatchGet.
   */
  async #readSpan(tenantId: string, sortKeys: string[]): Promise<Record<string, unknown>[]> {
    const first = sortKeys[0];
    const last = sortKeys.at(-1);
    if (first === undefined || last === undefined) return [];
    const budget = sortKeys.length * (1 + SPAN_READ_SLACK);
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "tenantId = :tenantId AND recordKey BETWEEN :first AND :last",
          ExpressionAttributeValues: { ":tenantId": tenantId, ":first": first, ":last": last },
          ConsistentRead: true,
          Limit: budget - items.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && items.length < budget);
    if (!start) return items;
    const reached = start.recordKey as string;
    const rest = sortKeys.filter((sortKey) => sortKey > reached);
    const got = await this.reads.getMany(
      this.tableName,
      rest.map((recordKey) => ({ tenantId, recordKey })),
    );
    for (const item of got) if (item) items.push(item);
    return items;
  }

  /**
   * Writes each entry unless its record's stored entry is a later run's (`mayReplace`), with one
   * conditional PutItem per entry: BatchWriteItem cannot carry a condition. It costs the same write
   * units (one per item up to 1 KB, a refused one too), in more requests, a few at a time. When a
   * key appears twice, the last entry is the one written.
   */
  async putMany(tenantId: string, entries: LedgerEntry[]): Promise<LedgerPutResult> {
    this.check(
      tenantId,
      entries.map((entry) => entry.key),
    );
    const latest = new Map(entries.map((entry) => [entry.key, entry]));
    const refused: string[] = [];
    await forEachConcurrent([...latest.values()], PUT_PARALLELISM, async ({ key, ...entry }) => {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { tenantId, recordKey: sortKeyOf(key), ...entry },
            // mayReplace: no entry (or one without a run), or one of this run or an earlier one.
            ConditionExpression: "attribute_not_exists(#runId) OR #runId <= :runId",
            ExpressionAttributeNames: { "#runId": "runId" },
            ExpressionAttributeValues: { ":runId": entry.runId },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        refused.push(key);
      }
    });
    return { refused };
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
      const entries = (page.Items ?? []).map(toEntry).filter((entry) => entry !== undefined);
      if (entries.length > 0) yield entries;
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
