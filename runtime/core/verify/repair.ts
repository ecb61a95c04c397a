import { scopeOfRun } from "../domain/stream.js";
import type { VerifyReport } from "../domain/verify-report.js";
import type { Ledger, LedgerEntry } from "../ports/records.js";

/** The hash a record's ledger entry gets when it must be written again: no payload hashes to it. */
export const REPAIR_HASH = "repair";

/**
 * Makes the pipeline write the `missing` and `drifted` records again on its next run: their ledger
 * entries keep the product id but lose the hash, so the extract step finds them changed and the load
 * updates them (a missing one answers 404, and the write flow creates it again). A record set
 * inactive that someone made active again becomes active in the ledger, so the next run's
 * deactivation pass sets it inactive again if Siesa still lacks it. Everything else,
 * which records exist in Siesa, how they map, the outcomes, stays the pipeline's decision.
 * A mark keeps the run id of the entry it read, so a run that wrote the record since (after this
 * verify read the product) keeps its entry: the ledger refuses the older mark (mayReplace). An entry
 * written since the verify began (a run still finishing, whose run id the mark would carry) is not
 * marked either: what verify compared is no longer what the ledger says, and the run's write stands.
 * Returns how many records were marked.
 */
export async function markForRepair(ledger: Ledger, report: VerifyReport, now: Date): Promise<number> {
  const keys = report.differences.flatMap((d) =>
    (d.status === "missing" || d.status === "drifted") && d.key ? [d.key] : [],
  );
  if (keys.length === 0) return 0;
  // The report's stream's ledger partition (the bare tenant id for the catalogue).
  const partition = scopeOfRun(report);
  const known = await ledger.getMany(partition, keys);
  const began = Date.parse(report.startedAt);
  const unchanged = [...known.values()].filter((entry) => !(Date.parse(entry.updatedAt) > began));
  const marked: LedgerEntry[] = unchanged.map(({ outcome: _, active: __, ...entry }) => ({
    ...entry,
    hash: REPAIR_HASH,
    updatedAt: now.toISOString(),
  }));
  const { refused } = await ledger.putMany(partition, marked);
  return marked.length - refused.length;
}

/** Records the report found that a repair rewrites. */
export const repairable = (report: Pick<VerifyReport, "counts">): number =>
  report.counts.missing + report.counts.drifted;
