import type { Ledger, LedgerEntry } from "../sync/ports.js";

/**
 * A unit's ledger read, started as soon as Siesa has named the unit's records (before their barcodes
 * are read): the two round trips overlap instead of following each other. The ledger it hands on
 * answers from that read, and reads then any key the read did not cover, so its answer is the
 * ledger's either way.
 */
export function ledgerReadAhead(ledger: Pick<Ledger, "getMany">, tenantId: string) {
  let ahead: { keys: Set<string>; entries: Promise<Map<string, LedgerEntry>> } | undefined;
  return {
    /** Starts reading these keys' entries (ExtractOptions.onKeys). */
    start(keys: string[]): void {
      const entries = ledger.getMany(tenantId, keys);
      // Reported where it is awaited; if extraction fails first, nobody awaits it.
      entries.catch(() => {});
      ahead = { keys: new Set(keys), entries };
    },
    ledger: {
      async getMany(tenant: string, keys: string[]): Promise<Map<string, LedgerEntry>> {
        if (!ahead || tenant !== tenantId) return ledger.getMany(tenant, keys);
        const { keys: covered, entries } = ahead;
        const missing = keys.filter((key) => !covered.has(key));
        const [read, rest] = await Promise.all([
          entries,
          missing.length > 0 ? ledger.getMany(tenant, missing) : new Map<string, LedgerEntry>(),
        ]);
        const found = new Map<string, LedgerEntry>();
        for (const key of keys) {
          const entry = read.get(key) ?? rest.get(key);
          if (entry) found.set(key, entry);
        }
        return found;
      },
    } satisfies Pick<Ledger, "getMany">,
  };
}
