import type { LedgerEntry } from "./records.js";

/**
 * Whether a ledger write of `next` may replace the record's `stored` entry: when there is none, or
 * it was written by the same run or an earlier one. Run ids begin with their start time, so they
 * sort by it. A delivery of an older run (late, or after its lease expired) is refused, and so is
 * a `verify --repair` mark, which keeps the run id of the entry it read, once a run has written the
 * record since. Within one run the last write wins: its deliveries write what that run decided.
 * The DynamoDB ledger's condition says the same (ledger.ts).
 */
export function mayReplace(stored: Pick<LedgerEntry, "runId"> | undefined, next: Pick<LedgerEntry, "runId">) {
  return stored?.runId === undefined || stored.runId <= next.runId;
}
