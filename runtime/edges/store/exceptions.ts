/**
 * Every exception (rejected or failed record) of a run, one item each, in the runs table under the
 * partition `<tenant>#exceptions` with the sort key `<runId>#<record>`: a run's exceptions are one
 * key range, read a page at a time, however many there are. A record's item is keyed by the run and
 * the record, so writing it again (a redelivered message) replaces it instead of adding a second.
 * Item: { tenantId, runId, key, outcome, reason, reference?, step?, field?, expiresAt }.
 */
import {
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { chunk } from "../../core/domain/chunk.js";
import type { RecordError } from "../../core/domain/model.js";
import {
  DEFAULT_EXCEPTIONS_PAGE,
  type ExceptionsOptions,
  MAX_EXCEPTIONS_PAGE,
  MAX_REASON_LENGTH,
} from "../../core/ports/pipeline.js";
import { BATCH_WRITE_MAX, writeUntilProcessed } from "./batch.js";
import { decodeExceptionsCursor, encodeExceptionsCursor } from "./cursor.js";
import { expiresAt } from "./retention.js";

type WriteRequest = NonNullable<BatchWriteCommandInput["RequestItems"]>[string][number];

export interface ExceptionsPage {
  exceptions: RecordError[];
  /** Pass back for the next page; absent on the last. */
  cursor?: string;
}

export const truncate = (text: string) =>
  text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text;

/** An exception as stored: its reason cut, and no field that is not an exception's. */
export function keptException(error: RecordError): RecordError {
  const { key, outcome, reason, reference, step, field } = error;
  return {
    key,
    outcome,
    reason: truncate(reason),
    ...(reference ? { reference: truncate(reference) } : {}),
    ...(step ? { step } : {}),
    ...(field ? { field: truncate(field) } : {}),
  };
}

/** The page size asked for, or the default; RangeError naming the run when it is not 1 to the maximum. */
export function exceptionsPageLimit(runId: string, limit: number = DEFAULT_EXCEPTIONS_PAGE): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EXCEPTIONS_PAGE) {
    throw new RangeError(
      `exceptions of run ${runId}: limit must be an integer from 1 to ${MAX_EXCEPTIONS_PAGE}`,
    );
  }
  return limit;
}

/**
 * The sort key of a record's exception within its run: f120_ids in numeric order (padded), then the
 * units and chunks that stand for records never read.
 */
export const exceptionSortKey = (runId: string, key: string): string =>
  `${runId}#${/^\d{1,20}$/.test(key) ? `0${key.padStart(20, "0")}` : `1${key}`}`;

const partition = (tenantId: string) => `${tenantId}#exceptions`;

/**
 * The sort keys of the exceptions of records `from` through `through` (absent: the run's first or
 * last): `$` follows the run's `#`, so it ends the run's range.
 */
export const exceptionSpan = (runId: string, from?: string, through?: string) => ({
  ":from": from === undefined ? `${runId}#` : exceptionSortKey(runId, from),
  ":through": through === undefined ? `${runId}$` : exceptionSortKey(runId, through),
});

export class RunExceptions {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Stores each exception under its run and record, replacing what an earlier write stored for it,
   * and removes the exceptions of the `cleared` records (those without one in `errors`).
   */
  async put(
    tenantId: string,
    runId: string,
    errors: readonly RecordError[],
    cleared: readonly string[] = [],
  ): Promise<void> {
    // One request per record: of two exceptions of one record in a call, the later is kept.
    const requests = new Map<string, WriteRequest>();
    for (const key of cleared) {
      const runKey = exceptionSortKey(runId, key);
      requests.set(runKey, { DeleteRequest: { Key: { tenantId: partition(tenantId), runId: runKey } } });
    }
    for (const error of errors) {
      const runKey = exceptionSortKey(runId, error.key);
      const Item = {
        tenantId: partition(tenantId),
        runId: runKey,
        ...keptException(error),
        expiresAt: expiresAt(this.now()),
      };
      requests.set(runKey, { PutRequest: { Item } });
    }
    for (const batch of chunk([...requests.values()], BATCH_WRITE_MAX)) {
      await writeUntilProcessed(
        this.doc,
        this.tableName,
        batch,
        `exceptions of run ${runId} of tenant ${tenantId}`,
      );
    }
  }

  /**
   * One page of the run's exceptions in record order, of the records from `from` through `through`
   * when given (one key range too); only that page is read.
   */
  async page(tenantId: string, runId: string, options: ExceptionsOptions = {}): Promise<ExceptionsPage> {
    const limit = exceptionsPageLimit(runId, options.limit);
    const after = options.cursor ? decodeExceptionsCursor(runId, options.cursor) : undefined;
    const { from, through } = options;
    const { Items = [], LastEvaluatedKey } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        // Without `from` and `through` the span is the whole run's (`<runId>#` up to `<runId>$`).
        KeyConditionExpression: "tenantId = :p AND runId BETWEEN :from AND :through",
        ExpressionAttributeValues: { ":p": partition(tenantId), ...exceptionSpan(runId, from, through) },
        // One more than asked tells whether another page exists, so the last page carries no cursor.
        Limit: limit + 1,
        ConsistentRead: true,
        ...(after ? { ExclusiveStartKey: { tenantId: partition(tenantId), runId: after } } : {}),
      }),
    );
    const page = Items.slice(0, limit);
    const exceptions = page.map((item) => keptException(item as unknown as RecordError));
    const last = page.at(-1);
    // LastEvaluatedKey with no extra item: DynamoDB stopped early at its 1 MB page size.
    const more = Items.length > limit || LastEvaluatedKey !== undefined;
    return more && last
      ? { exceptions, cursor: encodeExceptionsCursor(runId, String(last.runId)) }
      : { exceptions };
  }
}
