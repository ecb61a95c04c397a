import type { ListableLedger } from "../store/ledger-snapshot.js";
import type { Ledger, LedgerEntry } from "../sync/ports.js";

/** The in-memory ledger lists a tenant's entries as one array (runtime/store/memory.ts). */
type ArrayListing = { all(tenantId: string): LedgerEntry[] };

/**
 * Every ledger entry of a tenant. The pipeline's `Ledger` port only reads by key; the stores that
 * back it can also list (DynamoDB's RecordLedger page by page, see ListableLedger; the in-memory one
 * at once), and verify needs the whole list.
 */
export async function ledgerEntries(ledger: Ledger, tenantId: string): Promise<LedgerEntry[]> {
  const all = (ledger as Partial<ListableLedger | ArrayListing>).all as
    | ((tenantId: string) => AsyncIterable<LedgerEntry[]> | LedgerEntry[])
    | undefined;
  if (typeof all !== "function") {
    throw new Error(`tenant ${tenantId}: this ledger cannot list its entries, so it cannot be verified`);
  }
  const listing = all.call(ledger, tenantId);
  if (Array.isArray(listing)) return listing;
  const entries: LedgerEntry[] = [];
  for await (const page of listing) entries.push(...page);
  return entries;
}
