import { payloadHash } from "../domain/hash.js";
import { type VerifyCounts, type VerifyDifference, zeroVerifyCounts } from "../domain/verify-report.js";
import type { LedgerEntry } from "../ports/records.js";
import { type PayloadShape, type Projection, project } from "./payload-shape.js";
import { REPAIR_HASH } from "./repair.js";

/**
 * With and without trimming, with and without nulls, empty texts as they are or as null: the ways a
 * product may hand back what we sent.
 */
const PROJECTIONS: readonly Projection[] = [false, true].flatMap((blank) =>
  [false, true].flatMap((trim) => [true, false].map((dropNulls) => ({ trim, dropNulls, blank }))),
);

/**
 * Whether the product's record still holds the payload whose hash the ledger keeps: the record,
 * reduced to the keys our payload sets and read back into their kinds, hashes like the ledger.
 */
export function holdsWrittenPayload(
  fields: Record<string, unknown>,
  shape: PayloadShape,
  ledgerHash: string,
): boolean {
  return PROJECTIONS.some((how) => payloadHash(project(fields, shape, how)) === ledgerHash);
}

export interface ListedRecordLike {
  id: string;
  externalId: string;
  fields: Record<string, unknown>;
}

/**
 * Compares the product's records, page by page, with the tenant's ledger. Records are matched by the
 * product's id the ledger remembers (not by external id, which a mapping may key differently over
 * time). A ledger entry whose id the product never listed is `missing`; a listed record no entry
 * knows is `unknown`.
 */
export class Comparison {
  readonly counts: VerifyCounts = zeroVerifyCounts();
  readonly differences: VerifyDifference[] = [];
  readonly #byProductId = new Map<string, LedgerEntry>();
  readonly #seen = new Set<string>();
  #listed = 0;

  /** The shape of the fields the product lists, when it lists fewer than the payload. */
  readonly #listedShape?: PayloadShape;

  constructor(
    entries: Iterable<LedgerEntry>,
    private readonly shape: PayloadShape,
    /** The mapping's inactive fields (Kong `{"is_active": false}`): what a deactivated record holds. */
    private readonly inactive: Record<string, unknown> = {},
    /** The payload fields the product's list shows (the WMS's), when fewer than the payload. */
    listed?: readonly string[],
    /** Whether a record no entry knows is one of ours gone astray (`unknown`) or someone else's, left out. */
    private readonly owns?: (record: ListedRecordLike) => boolean,
  ) {
    for (const entry of entries) this.#byProductId.set(entry.productId, entry);
    if (listed)
      this.#listedShape = Object.fromEntries(
        listed.flatMap((field) => (shape[field] === undefined ? [] : [[field, shape[field]]])),
      ) as PayloadShape;
  }

  /** What the ledger says we wrote, compared on what the product shows of it. */
  #holdsWritten(fields: Record<string, unknown>, entry: LedgerEntry): boolean {
    if (this.#listedShape && entry.listedHash)
      return holdsWrittenPayload(fields, this.#listedShape, entry.listedHash);
    return holdsWrittenPayload(fields, this.shape, entry.hash);
  }

  get listed(): number {
    return this.#listed;
  }

  get ledgerSize(): number {
    return this.#byProductId.size;
  }

  add(records: readonly ListedRecordLike[]): void {
    for (const record of records) {
      // A page read while someone adds or deletes records may repeat one: it counts once.
      if (this.#seen.has(record.id)) continue;
      const entry = this.#byProductId.get(record.id);
      if (!entry && this.owns && !this.owns(record)) continue;
      this.#seen.add(record.id);
      this.#listed++;
      if (!entry) {
        this.#differ({
          status: "unknown",
          productId: record.id,
          externalId: record.externalId,
          detail: "in the product for this tenant, but not in the ledger: not written by this integration",
        });
      } else if (entry.active === false) {
        // Deactivated by a run: only its inactive flag is ours to check.
        if (Object.entries(this.inactive).every(([field, value]) => record.fields[field] === value))
          this.counts.ok++;
        else
          this.#differ({
            status: "drifted",
            key: entry.key,
            productId: record.id,
            externalId: record.externalId,
            detail: `active again in the product since run ${entry.runId} set it inactive (${entry.updatedAt})`,
          });
      } else if (this.#holdsWritten(record.fields, entry)) {
        this.counts.ok++;
      } else {
        this.#differ({
          status: "drifted",
          key: entry.key,
          productId: record.id,
          externalId: record.externalId,
          // A mark keeps no hash of what was written: the record is not known to be changed, only due.
          detail:
            entry.hash === REPAIR_HASH
              ? `marked for repair (${entry.updatedAt}), not rewritten yet: the next run of its stream writes it again`
              : `changed in the product since run ${entry.runId} wrote it (${entry.updatedAt})`,
        });
      }
    }
  }

  /**
   * Ends the comparison: every ledger entry the product did not list is missing, but for a record
   * set inactive, which may as well be gone (nothing of it is active).
   */
  finish(): void {
    for (const [productId, entry] of this.#byProductId) {
      if (this.#seen.has(productId)) continue;
      if (entry.active === false) {
        this.counts.ok++;
        continue;
      }
      this.#differ({
        status: "missing",
        key: entry.key,
        productId,
        detail: `gone from the product since run ${entry.runId} wrote it (${entry.updatedAt})`,
      });
    }
  }

  #differ(difference: VerifyDifference): void {
    this.counts[difference.status]++;
    this.differences.push(difference);
  }
}
