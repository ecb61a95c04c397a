import {
  VERIFY_STATUSES,
  type VerifyCounts,
  type VerifyDifference,
  type VerifyReport,
} from "../core/domain/verify-report.js";

export interface VerifyProgressLine {
  update(progress: { read: number; counts: Readonly<VerifyCounts> }): void;
  done(): void;
}

/** A live one-line progress report of a verify, redrawn in place on a terminal and silent otherwise. */
export function verifyProgressLine(stream: NodeJS.WriteStream, tenantId: string): VerifyProgressLine {
  let drawn = false;
  return {
    update({ read, counts }) {
      if (!stream.isTTY) return;
      const parts = VERIFY_STATUSES.map((s) => `${s} ${counts[s]}`).join(" · ");
      stream.write(`\r\x1b[2K[${tenantId}] read ${read} · ${parts}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[2K");
    },
  };
}

const SHOWN = 20;

/** The table printed at the end of a verify: what was read, the counts, the first differences. */
export function verifyTable(report: VerifyReport, title = "Verify"): string {
  const differences = report.differences.length;
  const verdict = differences === 0 ? "all ok" : `${differences} not ok`;
  const rows: [string, number][] = [
    ["product records", report.read.product],
    ["ledger entries", report.read.ledger],
    ...VERIFY_STATUSES.map((s): [string, number] => [s, report.counts[s]]),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [
    `${title} of ${report.tenantId} (${report.product}): ${verdict} in ${(report.durationMs / 1000).toFixed(2)} s`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${String(value).padStart(8)}`),
  ];
  if (differences > 0) {
    lines.push("  first differences:");
    for (const d of report.differences.slice(0, SHOWN))
      lines.push(`    ${d.status.padEnd(8)} ${describe(d)}`);
    if (differences > SHOWN) lines.push(`    … ${differences - SHOWN} more (--csv FILE lists them all)`);
  }
  return `${lines.join("\n")}\n`;
}

function describe(d: VerifyDifference): string {
  const record = d.key !== undefined ? `record ${d.key}` : "a record";
  const ids = [d.externalId ? `external_id ${d.externalId}` : undefined, `product id ${d.productId}`]
    .filter(Boolean)
    .join(", ");
  return `${record} (${ids}): ${d.detail}`;
}

export const CSV_HEADER = ["status", "key", "product_id", "external_id", "detail"] as const;

/** One row per record that is not ok (RFC 4180 quoting). */
export function differencesCsv(report: VerifyReport): string {
  const rows = report.differences.map((d) => [
    d.status,
    d.key ?? "",
    d.productId,
    d.externalId ?? "",
    d.detail,
  ]);
  return `${[[...CSV_HEADER], ...rows].map((row) => row.map(csvField).join(",")).join("\r\n")}\r\n`;
}

const csvField = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
