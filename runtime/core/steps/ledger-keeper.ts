import type { Ledger, LedgerEntry } from "../ports/records.js";

/**
 * Tells the ledger of each record as soon as the product accepted it, while the chunk's next record is
 * written: one `putMany` at a time, taking every entry that arrived while the last was out. A chunk's
 * end then waits for one entry's write instead of all of them, and a delivery that dies mid-chunk has
 * told the ledger of all but its last records, so its redelivery does not write them again.
 */
export interface LedgerKeeper {
  keep(entry: LedgerEntry): void;
  /** Why a write of the ledger failed, once one has: nothing more should be written to the product. */
  readonly failure: unknown;
  /** Resolves once every entry kept is in the ledger; rejects with the first failure. */
  kept(): Promise<void>;
}

export function ledgerKeeper(ledger: Pick<Ledger, "putMany">, partition: string): LedgerKeeper {
  let waiting: LedgerEntry[] = [];
  let last: Promise<void> = Promise.resolve();
  let failure: unknown;
  return {
    keep(entry) {
      waiting.push(entry);
      if (waiting.length > 1) return; // joins the write already waiting for the one out
      last = last.then(async () => {
        const entries = waiting;
        waiting = [];
        await ledger.putMany(partition, entries);
      });
      // Noted at once (the next write checks it), and handled: kept() is where it is thrown.
      last.catch((error: unknown) => {
        failure ??= error;
      });
    },
    get failure() {
      return failure;
    },
    kept: () => last,
  };
}
