import type { Ledger, LedgerEntry } from "../ports/records.js";

/** Every ledger entry of a tenant, in one array (verify compares them all with the product). */
export async function ledgerEntries(ledger: Pick<Ledger, "all">, tenantId: string): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  for await (const page of ledger.all(tenantId)) entries.push(...page);
  return entries;
}
