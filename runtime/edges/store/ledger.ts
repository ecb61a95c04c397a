/**
 * The record ledger: for each record of a tenant's stream, the hash of the payload last written
 * successfully to its target. A record whose new hash equals the ledger's is `unchanged` and is not
 * written again. Two tables, one class:
 * - the catalogue's: { tenantId, recordKey, hash, productId, runId, updatedAt, outcome?, active?,
 *   reactivated?, listedHash? }, `recordKey` the record's f120_id as a DynamoDB number, so that the
 *   ledger holds a unit's records side by side, in the order of its range, and reads them with one Query;
 * - the other streams' (`textKeys`): { scope, recordKey, …, values?, previous? }, `scope` being
 *   `<tenant>#<stream>` and `recordKey` the stream's own key (a warehouse code, `NB1|1042|001`).
 * `ledgerOfStreams` (core/ports/ledger-streams.ts) puts them behind the one Ledger port.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand, paginateQuery, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { forEachConcurrent } from "../../core/domain/pool.js";
import { recordIdOf } from "../../core/domain/record-id.js";
import type { LedgerEntry, LedgerPutResult, LedgerRange } from "../../core/ports/records.js";
import { ReadBatch } from "./read-batch.js";

export type { LedgerEntry, LedgerPutResult };

/** Conditional puts in flight at once per call: a load chunk's (up to 25) go out together. */
export const PUT_PARALLELISM = 25;

type LedgerItem = Omit<LedgerEntry, "key"> & { recordKey: number | string };

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

const toEntry = (item: Record<string, unknown>): LedgerEntry => {
  const {
    recordKey,
    hash,
    productId,
    runId,
    updatedAt,
    outcome,
    active,
    reactivated,
    listedHash,
    values,
    previous,
  } = item as LedgerItem;
  return {
    key: String(recordKey),
    hash,
    productId,
    runId,
    updatedAt,
    ...(outcome ? { outcome } : {}),
    ...(active === false ? { active } : {}),
    ...(reactivated ? { reactivated } : {}),
    ...(listedHash ? { listedHash } : {}),
    ...(values ? { values } : {}),
    ...(previous ? { previous } : {}),
  };
};

export class RecordLedger {
  /** The partition's attribute: `tenantId` in the catalogue's table, `scope` in the streams'. */
  readonly #partition: string;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Shared with the other stores of `doc`, so that reads asked for together go out together. */
    private readonly reads = new ReadBatch(doc),
    /** The streams' table: text keys, sorted as text (a stock unit's keys sort in id order too). */
    private readonly textKeys = false,
  ) {
    this.#partition = textKeys ? "scope" : "tenantId";
  }

  /** The ledger entries of `keys` that exist; keys never written are absent from the map. */
  async getMany(tenantId: string, keys: string[]): Promise<Map<string, LedgerEntry>> {
    const ids = [...new Set(this.idsOf(tenantId, keys))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    // Read strongly: a redelivered message may read right after the write it repeats.
    const items =
      ids.length < SPAN_READ_MIN ? await this.#readByKey(tenantId, ids) : await this.#readSpan(tenantId, ids);
    const wanted = new Set(keys);
    const found = new Map<string, LedgerEntry>();
    for (const item of items) {
      const entry = toEntry(item);
      if (wanted.has(entry.key)) found.set(entry.key, entry);
    }
    return found;
  }

  async #readByKey(tenantId: string, ids: (number | string)[]): Promise<Record<string, unknown>[]> {
    const items = await this.reads.getMany(
      this.tableName,
      ids.map((recordKey) => ({ [this.#partition]: tenantId, recordKey })),
    );
    return items.filter((item) => item !== undefined);
  }

  /**
   * The items of `ids` (sorted) and of the other entries between them, read with a strongly
   * consistent Query from the first to the last; once it has passed over SPAN_READ_SLACK entries per
   * id, the ids it has not reached are read by BatchGet.
   */
  async #readSpan(tenantId: string, ids: (number | string)[]): Promise<Record<string, unknown>[]> {
    const budget = ids.length * (1 + SPAN_READ_SLACK);
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "#p = :p AND recordKey BETWEEN :first AND :last",
          ExpressionAttributeNames: { "#p": this.#partition },
          ExpressionAttributeValues: { ":p": tenantId, ":first": ids[0], ":last": ids.at(-1) },
          ConsistentRead: true,
          Limit: budget - items.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && items.length < budget);
    if (!start) return items;
    const reached = start.recordKey as number | string;
    items.push(
      ...(await this.#readByKey(
        tenantId,
        ids.filter((id) => id > reached),
      )),
    );
    return items;
  }

  /**
   * Writes each entry unless its record's stored entry is a later run's (`mayReplace`), with one
   * conditional PutItem per entry: BatchWriteItem cannot carry a condition. It costs the same write
   * units (one per item up to 1 KB, a refused one too), in more requests, a few at a time. When a
   * key appears twice, the last entry is the one written.
   */
  async putMany(tenantId: string, entries: LedgerEntry[]): Promise<LedgerPutResult> {
    this.idsOf(
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
            Item: { [this.#partition]: tenantId, recordKey: this.textKeys ? key : Number(key), ...entry },
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

  /**
   * Every entry of the partition in key order, one DynamoDB page (up to 1 MB, or `pageSize` entries)
   * at a time; in the streams' table, those of `range` only.
   */
  async *all(tenantId: string, options: LedgerRange = {}): AsyncGenerator<LedgerEntry[]> {
    this.idsOf(tenantId, []);
    const { prefix, after, pageSize } = options;
    if (!this.textKeys && (prefix !== undefined || after !== undefined))
      throw new Error(
        `ledger ${this.tableName}, tenant ${tenantId}: the catalogue's ledger is not read by key range`,
      );
    const pages = paginateQuery(
      { client: this.doc, ...(pageSize ? { pageSize } : {}) },
      {
        TableName: this.tableName,
        KeyConditionExpression: `#p = :p${prefix ? " AND begins_with(recordKey, :prefix)" : ""}`,
        ExpressionAttributeNames: { "#p": this.#partition },
        ExpressionAttributeValues: { ":p": tenantId, ...(prefix ? { ":prefix": prefix } : {}) },
        ...(after !== undefined
          ? { ExclusiveStartKey: { [this.#partition]: tenantId, recordKey: after } }
          : {}),
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      const entries = (page.Items ?? []).map(toEntry);
      if (entries.length > 0) yield entries;
    }
  }

  /** The ids of `keys`; DynamoDB's own refusal of a bad key would name neither tenant nor record. */
  private idsOf(tenantId: string, keys: string[]): (number | string)[] {
    if (!tenantId) throw new Error(`ledger ${this.tableName}: tenantId must be a non-empty string`);
    if (!this.textKeys)
      return keys.map((key) => recordIdOf(key, `ledger ${this.tableName}, tenant ${tenantId}`));
    for (const key of keys)
      if (typeof key !== "string" || key === "")
        throw new Error(`ledger ${this.tableName}, ${tenantId}: record key must be a non-empty string`);
    return keys;
  }
}
