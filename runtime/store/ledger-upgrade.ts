/**
 * Ledger items written before 2026-12-02 are keyed by the bare record key; the ledger now keys them
 * in numeric id order (`sortKeyOf`) and does not read the old ones. Local state on disk can hold
 * such items (nothing in AWS does: no stack was deployed before the change), so the embedded store
 * rekeys them when it opens: a record keeps its entry (an unchanged record stays unchanged, one gone
 * from Siesa is still found by the deactivation pass, a redelivered write is still seen as done).
 * A marker item says the table is done, so later opens cost one read.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, paginateScan } from "@aws-sdk/lib-dynamodb";
import { BATCH_WRITE_MAX, chunk, writeUntilProcessed } from "./batch.js";
import { keyOfSortKey, sortKeyOf } from "./ledger.js";

/** Not a tenant id (those are kebab-case): the item never shows in a tenant's ledger. */
const MARKER = { tenantId: "#format", recordKey: "ledger-keys-by-id" };

/** Rekeys the old items of `table`, once. Returns how many it rekeyed. */
export async function upgradeLedgerKeys(doc: DynamoDBDocumentClient, table: string): Promise<number> {
  const marked = await doc.send(new GetCommand({ TableName: table, Key: MARKER, ConsistentRead: true }));
  if (marked.Item) return 0;
  let rekeyed = 0;
  for await (const page of paginateScan({ client: doc }, { TableName: table, ConsistentRead: true })) {
    const old = (page.Items ?? []).filter(
      (item) => item.tenantId !== MARKER.tenantId && keyOfSortKey(String(item.recordKey)) === undefined,
    );
    // A put of the new key and a delete of the old one: two keys, so one batch may hold both.
    const requests = old.flatMap((item) => [
      { PutRequest: { Item: { ...item, recordKey: sortKeyOf(String(item.recordKey)) } } },
      { DeleteRequest: { Key: { tenantId: item.tenantId, recordKey: item.recordKey } } },
    ]);
    for (const batch of chunk(requests, BATCH_WRITE_MAX)) {
      await writeUntilProcessed(
        doc,
        table,
        batch,
        `ledger ${table}: rekeying entries written before 2026-12-02 (${batch.length} writes)`,
      );
    }
    rekeyed += old.length;
  }
  await doc.send(new PutCommand({ TableName: table, Item: MARKER }));
  return rekeyed;
}
