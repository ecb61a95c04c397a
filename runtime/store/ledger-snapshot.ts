import type { Ledger, LedgerEntry } from "../sync/ports.js";
import type { RecordLedger } from "./ledger.js";

/**
 * The ledger of one tenant read once, up front, with a Query of its whole partition: for a run that
 * looks up every record anyway (the one-shot sync) that is a few large reads instead of one BatchGet
 * per hundred records. Writes go straight through to DynamoDB and update the copy.
 */
export class LedgerSnapshot implements Ledger {
  readonly #entries = new Map<string, LedgerEntry>();
  readonly #loaded: Promise<void>;

  constructor(
    private readonly ledger: RecordLedger,
    private readonly tenantId: string,
  ) {
    this.#loaded = this.#load();
    // Surfaces at the first getMany; without this an early failure would be an unhandled rejection.
    this.#loaded.catch(() => {});
  }

  async #load(): Promise<void> {
    for await (const page of this.ledger.all(this.tenantId)) {
      for (const entry of page) this.#entries.set(entry.key, entry);
    }
  }

  async getMany(tenantId: string, keys: string[]): Promise<Map<string, LedgerEntry>> {
    this.#sameTenant(tenantId);
    await this.#loaded;
    const found = new Map<string, LedgerEntry>();
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (entry) found.set(key, entry);
    }
    return found;
  }

  async putMany(tenantId: string, entries: LedgerEntry[]): Promise<void> {
    this.#sameTenant(tenantId);
    await this.ledger.putMany(tenantId, entries);
    for (const entry of entries) this.#entries.set(entry.key, entry);
  }

  #sameTenant(tenantId: string): void {
    if (tenantId !== this.tenantId) {
      throw new Error(`ledger snapshot of tenant ${this.tenantId} asked about tenant ${tenantId}`);
    }
  }
}
