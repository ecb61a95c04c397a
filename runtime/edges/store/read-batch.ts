/**
 * Strongly consistent reads of items, from any of the store's tables, that are asked for in the same
 * turn of the event loop go to DynamoDB together: one BatchGetItem per 100 keys instead of a request
 * each. The load step asks whether a chunk was counted and what the ledger holds of its records at
 * once, so a delivery costs one round trip before it writes, not two.
 */
import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { chunk } from "../../core/domain/chunk.js";
import { forEachConcurrent } from "../../core/domain/pool.js";
import { BATCH_GET_MAX, BATCH_PARALLELISM, sendUntilProcessed } from "./batch.js";

type Key = Record<string, string | number>;
type Item = Record<string, unknown>;
type RequestItems = Record<string, { Keys: Key[]; ConsistentRead: true }>;

/** One caller's keys of one table, answered together. */
interface Ask {
  table: string;
  keys: readonly Key[];
  /** Each key's identity (idOf), in the order of `keys`. */
  ids: string[];
  resolve(items: (Item | undefined)[]): void;
  reject(error: unknown): void;
}

export class ReadBatch {
  #asks: Ask[] = [];

  constructor(private readonly doc: DynamoDBDocumentClient) {}

  /** The item with `key` in `table`, or undefined when there is none. */
  async get(table: string, key: Key): Promise<Item | undefined> {
    const [item] = await this.getMany(table, [key]);
    return item;
  }

  /** The items of `keys` in `table`, in the order of `keys`: undefined where there is none. */
  getMany(table: string, keys: readonly Key[]): Promise<(Item | undefined)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      if (this.#asks.length === 0) queueMicrotask(() => void this.#flush());
      // A caller's keys are of one table: they share their attribute names.
      const names = Object.keys(keys[0] ?? {}).sort();
      this.#asks.push({ table, keys, ids: keys.map((key) => idOf(table, key, names)), resolve, reject });
    });
  }

  async #flush(): Promise<void> {
    const asks = this.#asks;
    this.#asks = [];
    try {
      // BatchGetItem refuses a request that names the same key twice: each key is read once.
      const keys = new Map<string, { table: string; key: Key }>();
      for (const { table, keys: asked, ids } of asks) {
        for (const [i, key] of asked.entries()) keys.set(ids[i] as string, { table, key });
      }
      const found = new Map<string, Item>();
      // The error of each key whose request failed: only its callers fail, the others were answered.
      const failed = new Map<string, unknown>();
      await forEachConcurrent(chunk([...keys], BATCH_GET_MAX), BATCH_PARALLELISM, async (batch) => {
        try {
          await this.#read(
            batch.map(([, wanted]) => wanted),
            found,
          );
        } catch (error) {
          for (const [id] of batch) failed.set(id, error);
        }
      });
      for (const ask of asks) {
        const failure = ask.ids.find((id) => failed.has(id));
        if (failure !== undefined) ask.reject(failed.get(failure));
        else ask.resolve(ask.ids.map((id) => found.get(id)));
      }
    } catch (error) {
      for (const ask of asks) ask.reject(error); // settled already: no effect
    }
  }

  /** One BatchGetItem, and its resends of what DynamoDB left unprocessed (a lone key: a GetItem). */
  async #read(batch: { table: string; key: Key }[], found: Map<string, Item>): Promise<void> {
    const [only] = batch;
    if (only && batch.length === 1) {
      const { table, key } = only;
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      if (Item) found.set(idOf(table, Item, Object.keys(key).sort()), Item);
      return;
    }
    const request: RequestItems = {};
    for (const { table, key } of batch) {
      request[table] ??= { Keys: [], ConsistentRead: true };
      request[table].Keys.push(key);
    }
    await sendUntilProcessed(
      request,
      async (RequestItems) => {
        const answer = await this.doc.send(new BatchGetCommand({ RequestItems }));
        for (const [table, items] of Object.entries(answer.Responses ?? {})) {
          const names = Object.keys(request[table]?.Keys[0] ?? {}).sort();
          for (const item of items) found.set(idOf(table, item, names), item);
        }
        const left = Object.values(answer.UnprocessedKeys ?? {}).some((t) => (t.Keys?.length ?? 0) > 0);
        if (!left) return undefined;
        // Resent as strongly consistent reads, whatever DynamoDB echoed back.
        const again: RequestItems = {};
        for (const [table, unprocessed] of Object.entries(answer.UnprocessedKeys ?? {})) {
          const tableKeys = (unprocessed.Keys ?? []) as Key[];
          if (tableKeys.length > 0) again[table] = { Keys: tableKeys, ConsistentRead: true };
        }
        return again;
      },
      `reading ${batch.length} items of ${Object.keys(request).join(", ")}`,
    );
  }
}

/**
 * A key's identity: its table, then its attributes' values in the order of their names (`names`: the
 * key's, sorted; an item's are those of a key of its table).
 */
const idOf = (table: string, item: Record<string, unknown>, names: readonly string[]): string => {
  let id = table;
  for (const name of names) id += `\u0000${String(item[name])}`;
  return id;
};
