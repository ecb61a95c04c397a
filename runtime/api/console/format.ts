/** How the console writes times, durations and numbers: UTC (operators compare with logs), plus "how long ago". */

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1_000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "2026-11-30 21:04:05 UTC" */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "3 min ago", "in 2 min", "just now". */
export function formatRelative(iso: string | null | undefined, now: Date): string {
  if (!iso) return "";
  const ms = new Date(iso).getTime() - now.getTime();
  if (Number.isNaN(ms)) return "";
  const abs = Math.abs(ms);
  if (abs < 5_000) return "just now";
  const span =
    abs < 60_000
      ? `${Math.round(abs / 1_000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 172_800_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} days`;
  return ms < 0 ? `${span} ago` : `in ${span}`;
}

export const formatCount = (n: number) => n.toLocaleString("en-US");
