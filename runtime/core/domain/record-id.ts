/**
 * A record's key is its item's `f120_id` (an SQL int, INT-001) in decimal: `recordKey` in
 * runtime/edges/http/siesa/rows.ts makes it, and every mapping reads `sourceId` from the same column, so a
 * record that maps has one. The ledger keeps it as a number, in id order. Any other key reaching the
 * ledger is a bug upstream: named here, before DynamoDB refuses it with a message that names nothing.
 */
export function recordIdOf(key: string, where: string): number {
  const id = Number(key);
  if (typeof key !== "string" || !Number.isSafeInteger(id) || String(id) !== key) {
    throw new Error(`${where}: record ${JSON.stringify(key)}: a ledger key must be an f120_id (an integer)`);
  }
  return id;
}
