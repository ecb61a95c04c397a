/**
 * A distributed run's counters, applied exactly once per operation although SQS delivers messages
 * at least once. Each operation (`unit:<id>`, `rec:<key>`, `dispatch`) lands on one of SHARDS items
 * in the runs table, `{ tenantId: "<tenant>#progress", runId: "<runId>#<shard>" }`, and a single
 * conditional UpdateItem both adds its counts and remembers its id in the shard's `ops` set: the
 * same operation applied twice changes nothing the second time. No transactions needed, so it runs
 * on dynalite and DynamoDB Local alike. Sharding keeps each item small and spreads write contention.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ProgressStore } from "../pipeline/ports.js";
import type { Progress, ProgressDelta } from "../sync/model.js";
import { zeroProgress } from "../sync/run-status.js";

export const SHARDS = 8;

const FIELDS: readonly (keyof Progress)[] = [
  "extracted",
  "created",
  "updated",
  "unchanged",
  "rejected",
  "failed",
  "unitsPlanned",
  "unitsDone",
  "unitsFailed",
];

/** FNV-1a: a stable, cheap spread of operation ids over shards. */
function shardOf(opId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < opId.length; i++) hash = Math.imul(hash ^ opId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % SHARDS;
}

const partition = (tenantId: string) => `${tenantId}#progress`;
const shardKey = (runId: string, shard: number) => `${runId}#${String(shard).padStart(2, "0")}`;

export class RunProgress implements ProgressStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Whether `opId` was applied (a redelivered message can skip work already counted). */
  async has(tenantId: string, runId: string, opId: string): Promise<boolean> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { tenantId: partition(tenantId), runId: shardKey(runId, shardOf(opId)) },
        ProjectionExpression: "#ops",
        ExpressionAttributeNames: { "#ops": "ops" },
        ConsistentRead: true,
      }),
    );
    const ops = Item?.ops;
    return ops instanceof Set && ops.has(opId);
  }

  /** Applies `delta` unless `opId` was applied before; true when this call applied it. */
  apply(tenantId: string, runId: string, opId: string, delta: ProgressDelta): Promise<boolean> {
    return this.#applyGroup(tenantId, runId, shardOf(opId), [{ opId, delta }]);
  }

  /**
   * Applies many operations of one run with one UpdateItem per shard they fall on (a load batch of a
   * hundred records costs at most SHARDS writes, not a hundred). A shard whose update finds one of
   * its operations already applied (a redelivery) falls back to applying them one by one.
   * Returns the ids of the operations this call applied.
   */
  async applyMany(
    tenantId: string,
    runId: string,
    ops: readonly { opId: string; delta: ProgressDelta }[],
  ): Promise<Set<string>> {
    const byShard = new Map<number, { opId: string; delta: ProgressDelta }[]>();
    for (const op of new Map(ops.map((o) => [o.opId, o])).values()) {
      const shard = shardOf(op.opId);
      byShard.set(shard, [...(byShard.get(shard) ?? []), op]);
    }
    const applied = new Set<string>();
    await Promise.all(
      [...byShard.entries()].map(async ([shard, group]) => {
        if (group.length === 1 || !(await this.#applyGroup(tenantId, runId, shard, group))) {
          for (const { opId, delta } of group) {
            if (await this.apply(tenantId, runId, opId, delta)) applied.add(opId);
          }
        } else {
          for (const { opId } of group) applied.add(opId);
        }
      }),
    );
    return applied;
  }

  /** One conditional UpdateItem: adds the group's deltas only if none of its operations was applied. */
  async #applyGroup(
    tenantId: string,
    runId: string,
    shard: number,
    group: { opId: string; delta: ProgressDelta }[],
  ): Promise<boolean> {
    const total: ProgressDelta = {};
    for (const { delta } of group) {
      for (const field of FIELDS) if (delta[field]) total[field] = (total[field] ?? 0) + (delta[field] ?? 0);
    }
    const names: Record<string, string> = { "#ops": "ops" };
    const values: Record<string, unknown> = { ":ops": new Set(group.map((g) => g.opId)) };
    const adds = ["#ops :ops"];
    for (const field of FIELDS) {
      if (!total[field]) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = total[field];
      adds.push(`#${field} :${field}`);
    }
    const unseen = group.map(({ opId }, i) => {
      values[`:op${i}`] = opId;
      return `NOT contains(#ops, :op${i})`;
    });
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { tenantId: partition(tenantId), runId: shardKey(runId, shard) },
          UpdateExpression: `ADD ${adds.join(", ")}`,
          ConditionExpression: `attribute_not_exists(#ops) OR (${unseen.join(" AND ")})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** The run's totals so far (strongly consistent, one Query over its shards). */
  async read(tenantId: string, runId: string): Promise<Progress> {
    const total = zeroProgress();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "tenantId = :p AND begins_with(runId, :run)",
          ExpressionAttributeValues: { ":p": partition(tenantId), ":run": `${runId}#` },
          ProjectionExpression: FIELDS.join(", "),
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        for (const field of FIELDS) total[field] += Number(item[field] ?? 0);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return total;
  }
}
