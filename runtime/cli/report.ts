import { type Counts, TALLIES } from "../core/domain/model.js";
import type { RunSummary } from "./in-process.js";

const COLUMNS = ["extracted", "created", "updated", "unchanged", "rejected", "failed"] as const;

export interface ProgressLine {
  update(counts: Readonly<Counts>): void;
  done(): void;
}

/** A live one-line progress report, redrawn in place on a terminal and silent otherwise. */
export function progressLine(stream: NodeJS.WriteStream, tenantId: string): ProgressLine {
  const started = Date.now();
  let drawn = false;
  let last = 0;
  return {
    update(counts) {
      if (!stream.isTTY) return;
      const now = Date.now();
      if (now - last < 100) return; // a terminal cannot show more than ~10 redraws a second anyway
      last = now;
      const rate = Math.round(counts.extracted / Math.max(0.001, (now - started) / 1000));
      const parts = COLUMNS.map((c) => `${c} ${counts[c]}`).join(" · ");
      stream.write(`\r\x1b[2K[${tenantId}] ${parts} · ${rate} rec/s`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[2K");
    },
  };
}

/** The summary printed at the end of a run: counts, status and the first errors. */
export function summaryTable(summary: RunSummary, options: { dryRun: boolean }): string {
  const rate = Math.round(summary.counts.extracted / Math.max(0.001, summary.durationMs / 1000));
  const width = Math.max(...[...COLUMNS, ...TALLIES].map((c) => c.length));
  const row = (c: (typeof COLUMNS)[number] | (typeof TALLIES)[number]) =>
    `  ${c.padEnd(width)}  ${String(summary.counts[c] ?? 0).padStart(8)}`;
  const lines = [
    `${options.dryRun ? "Dry run (nothing written)" : "Run"} ${summary.runId} of ${summary.tenantId}: ${summary.status}` +
      ` in ${(summary.durationMs / 1000).toFixed(2)} s (${rate} records/s)`,
    ...COLUMNS.map(row),
    ...TALLIES.map(row),
  ];
  if (summary.reason) lines.push(`  ${summary.status === "failed" ? "stopped" : "note"}: ${summary.reason}`);
  const held = summary.heldDeactivations;
  if (held) {
    const keys = held.keys ?? [];
    const more = held.count > keys.length ? ` and ${held.count - keys.length} more` : "";
    lines.push(
      `  ${held.count} deactivations are held (${held.unconfirmed ? "no record read to confirm their absence" : `limit ${held.limit}`}): none applied.`,
      ...(keys.length > 0 ? [`    f120_id ${keys.join(", ")}${more}`] : []),
      `  If these items really left Siesa, apply them with --approve-deactivations-of ${summary.runId}`,
    );
  }
  if (summary.changes && summary.changes.length > 0) {
    lines.push("  would write:");
    for (const change of summary.changes.slice(0, 20)) {
      lines.push(`    ${change.outcome.padEnd(7)}  ${change.externalId} (record ${change.key})`);
    }
    if (summary.changes.length > 20) lines.push(`    … and ${summary.changes.length - 20} more`);
  }
  if (summary.errors.length > 0) {
    lines.push("  first errors:");
    for (const e of summary.errors.slice(0, 10))
      lines.push(`    ${e.outcome.padEnd(8)}  record ${e.key}: ${e.reason}`);
    if (summary.errors.length > 10) lines.push(`    … ${summary.errors.length - 10} more in the run record`);
  }
  return `${lines.join("\n")}\n`;
}
