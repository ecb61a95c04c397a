import { parseScope } from "../../core/domain/stream.js";
import type { Ledger, LedgerEntry, LedgerPutResult, LedgerRange } from "../../core/ports/records.js";

/** Entries per Query page while the snapshot loads, and per page it lists. */
export const SNAPSHOT_PAGE_ITEMS = 2_000;

/**
 * The ledger of one tenant read once, up front, with a Query of its whole partition: for a run in one
 * process, which looks up every record anyway (`npm run sync`), that is a few large reads instead of
 * one BatchGet per unit of Siesa work. Writes go straight through to DynamoDB and update the copy.
 * Only valid while this process is the ledger's only writer: the tenant's lease makes it so. Other
 * partitions (the tenant's other streams) go straight to the ledger.
 */
export class LedgerSnapshot implements Ledger {
  /** Copies in and out, as a database would: no caller changes the copy by holding an entry. */
  readonly #entries = new Map<string, LedgerEntry>();
  readonly #loaded: Promise<void>;

  constructor(
    private readonly ledger: Ledger,
    private readonly tenantId: string,
  ) {
    this.#loaded = this.#load();
    // Surfaces at the first getMany; without this an early failure would be an unhandled rejection.
    this.#loaded.catch(() => {});
  }

  async #load(): Promise<void> {
    for await (const page of this.ledger.all(this.tenantId, { pageSize: SNAPSHOT_PAGE_ITEMS })) {
      for (const entry of page) this.#entries.set(entry.key, entry);
    }
  }

  async getMany(tenantId: string, keys: string[]): Promise<Map<string, LedgerEntry>> {
    if (this.#otherStream(tenantId)) return this.ledger.getMany(tenantId, keys);
    await this.#loaded;
    const found = new Map<string, LedgerEntry>();
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (entry) found.set(key, { ...entry });
    }
    return found;
  }

  async putMany(tenantId: string, entries: LedgerEntry[]): Promise<LedgerPutResult> {
    if (this.#otherStream(tenantId)) return this.ledger.putMany(tenantId, entries);
    const result = await this.ledger.putMany(tenantId, entries);
    // A copy still being read may hold a page read before this write: it lands first, then this.
    await this.#loaded.catch(() => {}); // a failed read surfaces at the next getMany
    const refused = new Set(result.refused);
    for (const entry of entries) if (!refused.has(entry.key)) this.#entries.set(entry.key, { ...entry });
    return result;
  }

  /** The copy (it holds every entry and every write of this process, the ledger's only writer), in pages. */
  async *all(tenantId: string, range?: LedgerRange): AsyncGenerator<LedgerEntry[]> {
    if (this.#otherStream(tenantId)) {
      yield* this.ledger.all(tenantId, range);
      return;
    }
    await this.#loaded;
    let page: LedgerEntry[] = [];
    for (const entry of this.#entries.values()) {
      page.push({ ...entry });
      if (page.length === SNAPSHOT_PAGE_ITEMS) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  /** The partition of one of the tenant's other streams (read through); another tenant's is refused. */
  #otherStream(partition: string): boolean {
    if (parseScope(partition).tenantId !== this.tenantId) {
      throw new Error(`ledger snapshot of tenant ${this.tenantId} asked about tenant ${partition}`);
    }
    return partition !== this.tenantId;
  }
}
