import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

const READS = new Set(["GetItemCommand", "BatchGetItemCommand", "QueryCommand", "ScanCommand"]);
const WRITES = new Set(["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand", "BatchWriteItemCommand"]);

export interface CapacityCount {
  /** Read units since the last reset: what DynamoDB would bill (strongly consistent: 1 per 4 KB read). */
  readonly read: number;
  /** Write units since the last reset (1 per 1 KB written; 1 for each refused conditional write). */
  readonly write: number;
  reset(): void;
}

/**
 * Has every read and write of `client` (and of the document client over it: they share one
 * middleware stack) ask DynamoDB what it cost (ReturnConsumedCapacity), and adds it up: the units a
 * run would be billed for. `inspect` sees each write's input (bench:scale measures item sizes).
 */
export function countCapacity(
  client: DynamoDBClient | DynamoDBDocumentClient,
  inspect?: (input: Record<string, unknown>) => void,
): CapacityCount {
  const count = { read: 0, write: 0 };
  (client.middlewareStack as DynamoDBClient["middlewareStack"]).add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      const kind = READS.has(name) ? "read" : WRITES.has(name) ? "write" : undefined;
      if (!kind) return next(args);
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = "TOTAL";
      if (kind === "write") inspect?.(input);
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (error) {
        // A refused conditional write is billed too: at least one unit (item sizes are not known here).
        if (kind === "write" && (error as Error).name === "ConditionalCheckFailedException") count.write += 1;
        throw error;
      }
      const consumed = (
        result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }
      ).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        count[kind] += c.CapacityUnits ?? 0;
      }
      return result;
    },
    { step: "initialize", name: "countCapacity" },
  );
  return {
    get read() {
      return count.read;
    },
    get write() {
      return count.write;
    },
    reset() {
      count.read = 0;
      count.write = 0;
    },
  };
}
