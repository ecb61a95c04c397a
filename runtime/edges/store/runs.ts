/**
 * Run records: one item per run, keyed by tenant and a time-sortable runId, updated in place while the
 * run's workers progress, so the API can show a run's status, counts and first errors as it goes.
 * Item: { tenantId, runId, trigger, status, startedAt, finishedAt?, durationMs?, counts{}, errors[], reason?, dryRun?, verifyReport?, approveDeactivationsOf?, item?, heldDeactivations?, stream?, complete?, baselineRunId? }.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import {
  type Counts,
  type RecordError,
  type RunRecord,
  type RunStatus,
  type RunTrigger,
  zeroCounts,
} from "../../core/domain/model.js";
import type { ExceptionsOptions, RunEnd, RunState } from "../../core/ports/pipeline.js";
import { DEFAULT_RUNS_PAGE, MAX_RUN_ERRORS, MAX_RUNS_PAGE } from "../../core/ports/pipeline.js";
import { RunAlreadyExistsError, RunNotFoundError } from "../../core/ports/store-errors.js";
import { decodeRunsCursor, encodeRunsCursor } from "./cursor.js";
import { type ExceptionsPage, keptException, RunExceptions, truncate } from "./exceptions.js";
import { expiresAt } from "./retention.js";
import { RUNS_BY_ID_INDEX, RUNS_BY_ID_KEY } from "./tables.js";

export type { RunEnd, RunRecord, RunStatus, RunTrigger };

/** The page size of a runs listing: the default, or the one asked for if it is 1 to MAX_RUNS_PAGE. */
export function runsPageLimit(tenantId: string, limit: number = DEFAULT_RUNS_PAGE): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RUNS_PAGE) {
    throw new RangeError(`runs of tenant ${tenantId}: limit must be an integer from 1 to ${MAX_RUNS_PAGE}`);
  }
  return limit;
}

export class RunStore implements RunState {
  readonly #exceptions: RunExceptions;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.#exceptions = new RunExceptions(doc, tableName);
  }

  /** Stores a new run; throws RunAlreadyExistsError rather than overwrite one. */
  async create(run: RunRecord): Promise<void> {
    const item = toItem({ ...run, counts: { ...zeroCounts(), ...run.counts }, errors: run.errors ?? [] });
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(runId)",
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new RunAlreadyExistsError(run.tenantId, run.runId);
      }
      throw error;
    }
  }

  /**
   * Stores every error as one of the run's exceptions (exceptions.ts), replacing a record's earlier
   * one, and removes those of the `cleared` records.
   */
  putExceptions(
    tenantId: string,
    runId: string,
    errors: RecordError[],
    cleared: readonly string[] = [],
  ): Promise<void> {
    return this.#exceptions.put(tenantId, runId, errors, cleared);
  }

  /**
   * Appends errors to the run's first errors while it holds fewer than MAX_RUN_ERRORS. Optimistic:
   * the append is conditional on the list's size, and on a race it re-reads the size and appends
   * only what still fits.
   */
  async addErrors(tenantId: string, runId: string, errors: RecordError[]): Promise<void> {
    const kept = errors.map(keptException);
    let room = MAX_RUN_ERRORS;
    // Each retry follows another writer's append, and the list only grows to MAX_RUN_ERRORS.
    for (let attempt = 0; attempt <= MAX_RUN_ERRORS + 1; attempt++) {
      const batch = kept.slice(0, room);
      if (batch.length === 0) return;
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { tenantId, runId },
            UpdateExpression: "SET #errors = list_append(#errors, :batch)",
            ConditionExpression: "attribute_exists(runId) AND size(#errors) <= :fullAt",
            ExpressionAttributeNames: { "#errors": "errors" },
            ExpressionAttributeValues: { ":batch": batch, ":fullAt": MAX_RUN_ERRORS - batch.length },
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const run = await this.get(tenantId, runId);
        if (!run) throw new RunNotFoundError(tenantId, runId);
        room = MAX_RUN_ERRORS - run.errors.length;
      }
    }
    throw new Error(`run ${runId} of tenant ${tenantId}: could not append errors (too much contention)`);
  }

  /** One page of the run's exceptions, in record order (exceptions.ts). */
  exceptions(tenantId: string, runId: string, options: ExceptionsOptions = {}): Promise<ExceptionsPage> {
    return this.#exceptions.page(tenantId, runId, options);
  }

  /**
   * Ends a running run with its final counts, once: of several workers that see the run complete at
   * the same moment, exactly one gets `true` (and releases the lease, writes the audit entry…).
   */
  async complete(tenantId: string, runId: string, end: RunEnd & { counts: Counts }): Promise<boolean> {
    const sets = [
      "#status = :status",
      "finishedAt = :finishedAt",
      "durationMs = :durationMs",
      "#counts = :counts",
    ];
    const values: Record<string, unknown> = {
      ":status": end.status,
      ":finishedAt": end.finishedAt,
      ":durationMs": end.durationMs,
      ":counts": end.counts,
      ":running": "running",
    };
    if (end.reason !== undefined) {
      sets.push("reason = :reason");
      values[":reason"] = truncate(end.reason);
    }
    if (end.verify !== undefined) {
      sets.push("verifyReport = :verify");
      values[":verify"] = end.verify;
    }
    if (end.heldDeactivations !== undefined) {
      sets.push("heldDeactivations = :held");
      values[":held"] = end.heldDeactivations;
    }
    if (end.complete) {
      sets.push("#complete = :complete");
      values[":complete"] = true;
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { tenantId, runId },
          UpdateExpression: `SET ${sets.join(", ")}`,
          ConditionExpression: "#status = :running",
          ExpressionAttributeNames: {
            "#status": "status",
            "#counts": "counts",
            ...(end.complete ? { "#complete": "complete" } : {}),
          },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Asks the run's workers to stop: the first reason given is kept. */
  async requestStop(tenantId: string, runId: string, reason: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { tenantId, runId },
          UpdateExpression: "SET stopReason = :reason",
          ConditionExpression: "attribute_exists(runId) AND attribute_not_exists(stopReason)",
          ExpressionAttributeValues: { ":reason": truncate(reason) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Records a sync request that found this run holding the lease (it is not lost, only skipped). */
  async addSkipped(
    tenantId: string,
    runId: string,
    skipped: { trigger: RunTrigger; at: string },
  ): Promise<void> {
    await this.update(tenantId, runId, {
      UpdateExpression: "SET skipped = list_append(if_not_exists(skipped, :none), :one)",
      ExpressionAttributeValues: { ":none": [], ":one": [skipped] },
    });
  }

  /**
   * Counts units that exhausted their retries in a row (a success resets it); returns the streak, so
   * a worker can stop a run whose source keeps failing instead of retrying every unit.
   */
  async unitOutcome(tenantId: string, runId: string, failed: boolean): Promise<number> {
    const answer = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { tenantId, runId },
        UpdateExpression: failed ? "ADD failedUnitStreak :one" : "SET failedUnitStreak = :zero",
        ConditionExpression: "attribute_exists(runId)",
        ExpressionAttributeValues: failed ? { ":one": 1 } : { ":zero": 0 },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(answer.Attributes?.failedUnitStreak ?? 0);
  }

  async pauseSiesa(tenantId: string, runId: string, until: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { tenantId, runId },
          UpdateExpression: "SET siesaPausedUntil = :until",
          ConditionExpression:
            "attribute_exists(runId) AND (attribute_not_exists(siesaPausedUntil) OR siesaPausedUntil < :until)",
          ExpressionAttributeValues: { ":until": until },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async get(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { tenantId, runId }, ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  /** Finds a run by id alone, through the runId index (eventually consistent in AWS). */
  async getById(runId: string): Promise<RunRecord | undefined> {
    const { Items } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: RUNS_BY_ID_INDEX,
        KeyConditionExpression: `${RUNS_BY_ID_KEY} = :runId`,
        ExpressionAttributeValues: { ":runId": runId },
        Limit: 1,
      }),
    );
    const item = Items?.[0];
    return item ? fromItem(item) : undefined;
  }

  /**
   * A tenant's runs, newest first, `limit` at a time (default 20, at most 100). Pass the returned
   * `cursor` to get the next page; no cursor means there is none.
   */
  async list(
    tenantId: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<{ runs: RunRecord[]; cursor?: string }> {
    const limit = runsPageLimit(tenantId, options.limit);
    const { Items = [], LastEvaluatedKey } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "tenantId = :tenantId",
        ExpressionAttributeValues: { ":tenantId": tenantId },
        ScanIndexForward: false,
        // One more than asked tells whether another page exists, so the last page carries no cursor.
        Limit: limit + 1,
        ...(options.cursor ? { ExclusiveStartKey: decodeRunsCursor(tenantId, options.cursor) } : {}),
      }),
    );
    const runs = Items.slice(0, limit).map(fromItem);
    const last = runs.at(-1);
    // LastEvaluatedKey with no extra item: DynamoDB stopped early at its 1 MB page size.
    const more = Items.length > limit || LastEvaluatedKey !== undefined;
    return more && last ? { runs, cursor: encodeRunsCursor(tenantId, last.runId) } : { runs };
  }

  /** An update of an existing run; throws RunNotFoundError rather than create a partial item. */
  private async update(
    tenantId: string,
    runId: string,
    input: Pick<
      UpdateCommandInput,
      "UpdateExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues"
    >,
  ): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { tenantId, runId },
          ConditionExpression: "attribute_exists(runId)",
          ...input,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new RunNotFoundError(tenantId, runId);
      throw error;
    }
  }
}

function toItem(run: RunRecord): Record<string, unknown> {
  const {
    runId,
    tenantId,
    trigger,
    status,
    startedAt,
    finishedAt,
    durationMs,
    counts,
    errors,
    reason,
    dryRun,
    approveDeactivationsOf,
    item,
    stream,
    baselineRunId,
  } = run;
  return {
    tenantId,
    runId,
    [RUNS_BY_ID_KEY]: runId,
    expiresAt: expiresAt(new Date(Date.parse(startedAt) || Date.now())),
    trigger,
    status,
    startedAt,
    counts,
    errors: errors.slice(0, MAX_RUN_ERRORS).map(keptException),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(reason !== undefined ? { reason: truncate(reason) } : {}),
    ...(dryRun !== undefined ? { dryRun } : {}),
    ...(approveDeactivationsOf !== undefined ? { approveDeactivationsOf } : {}),
    ...(item !== undefined ? { item } : {}),
    ...(stream !== undefined ? { stream } : {}),
    ...(baselineRunId !== undefined ? { baselineRunId } : {}),
  };
}

function fromItem(item: Record<string, unknown>): RunRecord {
  const run = item as unknown as RunRecord;
  const record: RunRecord = {
    runId: run.runId,
    tenantId: run.tenantId,
    trigger: run.trigger,
    status: run.status,
    startedAt: run.startedAt,
    counts: { ...zeroCounts(), ...run.counts },
    errors: run.errors ?? [],
  };
  if (run.finishedAt !== undefined) record.finishedAt = run.finishedAt;
  if (run.durationMs !== undefined) record.durationMs = run.durationMs;
  if (run.reason !== undefined) record.reason = run.reason;
  if (run.dryRun !== undefined) record.dryRun = run.dryRun;
  if (run.stopReason !== undefined) record.stopReason = run.stopReason;
  if (run.skipped !== undefined) record.skipped = run.skipped;
  if (run.failedUnitStreak) record.failedUnitStreak = Number(run.failedUnitStreak);
  if (run.siesaPausedUntil !== undefined) record.siesaPausedUntil = Number(run.siesaPausedUntil);
  if (run.approveDeactivationsOf !== undefined)
    record.approveDeactivationsOf = String(run.approveDeactivationsOf);
  if (run.item !== undefined) record.item = Number(run.item);
  if (run.stream !== undefined) record.stream = run.stream;
  if (run.complete) record.complete = true;
  if (run.baselineRunId !== undefined) record.baselineRunId = String(run.baselineRunId);
  if (run.heldDeactivations !== undefined) {
    const { count, limit, fingerprint, keys, unconfirmed } = run.heldDeactivations;
    record.heldDeactivations = {
      count: Number(count),
      limit: Number(limit),
      ...(fingerprint !== undefined ? { fingerprint: String(fingerprint) } : {}),
      keys: Array.isArray(keys) ? keys.map(String) : [],
      ...(unconfirmed ? { unconfirmed: true } : {}),
    };
  }
  const verify = (item as { verifyReport?: RunRecord["verify"] }).verifyReport;
  if (verify !== undefined) record.verify = verify;
  return record;
}
