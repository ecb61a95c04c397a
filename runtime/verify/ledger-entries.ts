import type { Ledger, LedgerEntry } from "../sync/ports.js";

/** A ledger that can list a tenant's entries: DynamoDB's pages, or the in-memory ledger's array. */
type Listing = AsyncIterable<LedgerEntry[]> | LedgerEntry[];

/**
 * Every ledger entry of a tenant. The pipeline's `Ledger` port only reads by key; the stores that
 * back it (runtime/store/ledger.ts, memory.ts) can also list, and verify is their one reader.
 */
export async function ledgerEntries(ledger: Ledger, tenantId: string): Promise<LedgerEntry[]> {
  const all = (ledger as { all?: (tenantId: string) => Listing }).all;
  if (typeof all !== "function") {
    throw new Error(`tenant ${tenantId}: this ledger cannot list its entries, so it cannot be verified`);
  }
  const listing = all.call(ledger, tenantId);
  if (Array.isArray(listing)) return listing;
  const entries: LedgerEntry[] = [];
  for await (const page of listing) entries.push(...page);
  return entries;
}
