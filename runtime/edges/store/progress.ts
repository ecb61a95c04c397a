/**
 * A distributed run's counters, applied exactly once per operation although SQS delivers messages
 * at least once, in the runs table under the partition `<tenant>#progress`:
 *
 * - a marker per operation, `runId: "<runId>#op#<opId>"`, put only if absent: the put that succeeds
 *   is the one that counts. It holds the operation's delta (and, for a split, its ranges), so the
 *   totals can always be summed again from the markers. Its size does not depend on the run's size.
 * - one counter, `runId: "<runId>#total"`, to which each successful marker adds its delta: what the
 *   steps read to decide whether the run is complete (one small GetItem). Deltas of one process
 *   that arrive while an addition to the counter is in flight go out together in the next one.
 *
 * A worker that dies between the two writes leaves the counter short; `sum` adds up the markers
 * (the in-process run when its queues go idle, the sweeper in AWS), and that sum, not the counter,
 * decides and ends the run. The sum is never written to the counter: an addition still in flight
 * would land on top of it and count its operation twice. No transactions, so it behaves alike on
 * dynalite, DynamoDB Local and DynamoDB. Every item expires with the run's history.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { Progress, ProgressDelta } from "../../core/domain/model.js";
import { addDelta, zeroProgress } from "../../core/domain/run-status.js";
import type {
  AppliedOperation,
  ChunkClaim,
  ClaimResult,
  OperationData,
  ProgressStore,
} from "../../core/ports/pipeline.js";
import { ReadBatch } from "./read-batch.js";
import { expiresAt } from "./retention.js";

const FIELDS = Object.keys(zeroProgress()) as (keyof Progress)[];

const partition = (tenantId: string) => `${tenantId}#progress`;
const markerKey = (runId: string, opId: string) => `${runId}#op#${opId}`;
const totalKey = (runId: string) => `${runId}#total`;
/** Outside the `#op#` markers: a claim is no operation, and `sum` and `operations` never see it. */
const claimKey = (runId: string, chunkId: string) => `${runId}#claim#${chunkId}`;

const totalsOf = (item: Record<string, unknown> | undefined): Progress => {
  const total = zeroProgress();
  for (const field of FIELDS) total[field] = Number(item?.[field] ?? 0);
  return total;
};

const clean = (delta: ProgressDelta): ProgressDelta => {
  const kept: ProgressDelta = {};
  for (const field of FIELDS) if (delta[field]) kept[field] = delta[field];
  return kept;
};

type Addition = { delta: ProgressDelta; resolve(totals: Progress): void; reject(error: unknown): void };

export class RunProgress implements ProgressStore {
  /** Per run's counter: the additions waiting for the next write, and whether one is in flight. */
  readonly #waiting = new Map<string, Addition[]>();
  readonly #adding = new Set<string>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Shared with the other stores of `doc`, so that reads asked for together go out together. */
    private readonly reads = new ReadBatch(doc),
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** One progress item of the run's partition, read strongly (with other reads asked for at once). */
  #item(tenantId: string, key: string): Promise<Record<string, unknown> | undefined> {
    return this.reads.get(this.tableName, { tenantId: partition(tenantId), runId: key });
  }

  async get(tenantId: string, runId: string, opId: string): Promise<AppliedOperation | undefined> {
    const Item = await this.#item(tenantId, markerKey(runId, opId));
    if (!Item) return undefined;
    const data = Item.data as Record<string, unknown> | undefined;
    return { delta: Item.delta as ProgressDelta, ...(data ? { data } : {}) };
  }

  async apply(
    tenantId: string,
    runId: string,
    opId: string,
    delta: ProgressDelta,
    data?: Record<string, unknown>,
  ): Promise<Progress | undefined> {
    const kept = clean(delta);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            tenantId: partition(tenantId),
            runId: markerKey(runId, opId),
            delta: kept,
            ...(data ? { data } : {}),
            expiresAt: expiresAt(this.now()),
          },
          ConditionExpression: "attribute_not_exists(runId)",
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
    return this.#add(tenantId, runId, kept);
  }

  /**
   * Adds to the counter and returns it as it is after this addition. Additions made while one to
   * the same counter is in flight go out together in the next (one write for many operations);
   * each caller still gets the counter as if its own addition had been the last.
   */
  #add(tenantId: string, runId: string, delta: ProgressDelta): Promise<Progress> {
    const key = `${tenantId}\n${runId}`;
    return new Promise((resolve, reject) => {
      const waiting = this.#waiting.get(key) ?? [];
      this.#waiting.set(key, waiting);
      waiting.push({ delta, resolve, reject });
      if (!this.#adding.has(key)) void this.#addWaiting(key, tenantId, runId);
    });
  }

  async #addWaiting(key: string, tenantId: string, runId: string): Promise<void> {
    const batch = this.#waiting.get(key) ?? [];
    this.#waiting.delete(key);
    this.#adding.add(key);
    try {
      const sum = zeroProgress();
      for (const { delta } of batch) addDelta(sum, delta);
      const after = await this.#send(tenantId, runId, sum);
      // The last caller sees the counter as written; each earlier one, without those after it.
      for (let i = batch.length - 1; i >= 0; i--) {
        const { delta, resolve } = batch[i] as Addition;
        resolve({ ...after });
        for (const field of FIELDS) after[field] -= delta[field] ?? 0;
      }
    } catch (error) {
      for (const { reject } of batch) reject(error);
    } finally {
      this.#adding.delete(key);
      if (this.#waiting.has(key)) void this.#addWaiting(key, tenantId, runId);
    }
  }

  async #send(tenantId: string, runId: string, delta: ProgressDelta): Promise<Progress> {
    const names: Record<string, string> = { "#expiresAt": "expiresAt" };
    const values: Record<string, unknown> = { ":expiresAt": expiresAt(this.now()) };
    const adds: string[] = [];
    for (const field of FIELDS) {
      if (!delta[field]) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = delta[field];
      adds.push(`#${field} :${field}`);
    }
    const { Attributes } = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { tenantId: partition(tenantId), runId: totalKey(runId) },
        UpdateExpression: `${adds.length > 0 ? `ADD ${adds.join(", ")} ` : ""}SET #expiresAt = :expiresAt`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: "ALL_NEW",
      }),
    );
    return totalsOf(Attributes);
  }

  async reservePositions(tenantId: string, runId: string, count: number): Promise<number> {
    const { Attributes } = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { tenantId: partition(tenantId), runId: `${runId}#chunks` },
        UpdateExpression: "ADD #next :count SET #expiresAt = :expiresAt",
        ExpressionAttributeNames: { "#next": "next", "#expiresAt": "expiresAt" },
        ExpressionAttributeValues: { ":count": count, ":expiresAt": expiresAt(this.now()) },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(Attributes?.next ?? count) - count;
  }

  async read(tenantId: string, runId: string): Promise<Progress> {
    return totalsOf(await this.#item(tenantId, totalKey(runId)));
  }

  async *operations(
    tenantId: string,
    runId: string,
    prefix: string,
    options: { finished?: boolean } = {},
  ): AsyncGenerator<OperationData[]> {
    const ops = `${runId}#op#`;
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: "tenantId = :p AND begins_with(runId, :prefix)",
        FilterExpression: "attribute_exists(#data)",
        ExpressionAttributeNames: { "#data": "data" },
        ExpressionAttributeValues: { ":p": partition(tenantId), ":prefix": `${ops}${prefix}` },
        ProjectionExpression: "runId, #data",
        ConsistentRead: options.finished !== true,
      },
    );
    for await (const page of pages) {
      const found = (page.Items ?? []).map((item) => ({
        opId: String(item.runId).slice(ops.length),
        data: item.data as Record<string, unknown>,
      }));
      if (found.length > 0) yield found;
    }
  }

  async sum(tenantId: string, runId: string): Promise<Progress> {
    const total = zeroProgress();
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: "tenantId = :p AND begins_with(runId, :ops)",
        ExpressionAttributeValues: { ":p": partition(tenantId), ":ops": `${runId}#op#` },
        ProjectionExpression: "delta",
        ConsistentRead: true,
      },
    );
    for await (const page of pages)
      for (const item of page.Items ?? []) addDelta(total, (item.delta ?? {}) as ProgressDelta);
    return total;
  }

  /**
   * One conditional PutItem (a write unit), which also answers the claim it replaced; a refused
   * claim reads the one that holds the chunk.
   */
  async claim(
    tenantId: string,
    runId: string,
    chunkId: string,
    claim: ChunkClaim,
    now: number,
  ): Promise<ClaimResult> {
    const Key = { tenantId: partition(tenantId), runId: claimKey(runId, chunkId) };
    try {
      const { Attributes } = await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...Key, ...claim, expiresAt: expiresAt(this.now()) },
          ReturnValues: "ALL_OLD",
          ConditionExpression:
            "attribute_not_exists(runId) OR #until <= :now OR (#messageId = :messageId AND #receiveCount < :receiveCount)",
          ExpressionAttributeNames: {
            "#until": "until",
            "#messageId": "messageId",
            "#receiveCount": "receiveCount",
          },
          ExpressionAttributeValues: {
            ":now": now,
            ":messageId": claim.messageId,
            ":receiveCount": claim.receiveCount,
          },
        }),
      );
      return Attributes ? { claimed: true, after: claimOf(Attributes) } : { claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
    );
    return { claimed: false, holder: claimOf(Item ?? {}) };
  }
}

const claimOf = (item: Record<string, unknown>): ChunkClaim => ({
  messageId: String(item.messageId ?? ""),
  receiveCount: Number(item.receiveCount ?? 0),
  until: Number(item.until ?? 0),
});
