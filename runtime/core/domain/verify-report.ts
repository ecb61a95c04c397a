import type { ProductType } from "./model.js";
import type { StreamName } from "./stream.js";

/** What verify finds for each record (docs/operations.md, `npm run verify`). */
export const VERIFY_STATUSES = ["ok", "missing", "drifted", "unknown"] as const;
export type VerifyStatus = (typeof VERIFY_STATUSES)[number];
export type VerifyCounts = Record<VerifyStatus, number>;

/** A record that is not `ok`: which one, and why, in words an operator can act on. */
export interface VerifyDifference {
  status: Exclude<VerifyStatus, "ok">;
  /** The record's key in the ledger (its Siesa `f120_id`); absent for `unknown` records. */
  key?: string;
  /** The product's id for the record. */
  productId: string;
  /** The product's external id, when the product still holds the record. */
  externalId?: string;
  detail: string;
}

export interface VerifyReport {
  tenantId: string;
  /** The stream whose records were compared; absent: the catalogue. */
  stream?: StreamName;
  product: ProductType;
  startedAt: string;
  durationMs: number;
  /** Records the product listed for the tenant, and entries its ledger holds. */
  read: { product: number; ledger: number };
  counts: VerifyCounts;
  /** Every record that is not `ok`, in the order found (product order, then missing ones). */
  differences: VerifyDifference[];
}

/** The differences kept on a run record (the item must stay small); the counts still count all. */
export const MAX_KEPT_DIFFERENCES = 50;

export const zeroVerifyCounts = (): VerifyCounts => ({ ok: 0, missing: 0, drifted: 0, unknown: 0 });

/** True when the product holds exactly what the ledger says we wrote, and nothing else of ours. */
export const allOk = (report: Pick<VerifyReport, "counts">): boolean =>
  report.counts.missing === 0 && report.counts.drifted === 0 && report.counts.unknown === 0;

/** The report as a run keeps it: the counts and the first differences. */
export function keptReport(report: VerifyReport): VerifyReport {
  return { ...report, differences: report.differences.slice(0, MAX_KEPT_DIFFERENCES) };
}

/** What a verify run keeps (POST /tenants/:id/verify): the report, cut to its first differences. */
export interface VerifyRunReport extends VerifyReport {
  /** With `repair`: how many records were marked, and the run that rewrites them. */
  repair?: { marked: number; runId?: string; reason?: string };
}
