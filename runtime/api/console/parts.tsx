import { type Counts, TALLIES } from "../../core/domain/model.js";
import type { RunJson } from "../common/views.js";
import { formatCount, formatDuration } from "./format.js";
import type { Held } from "./held.js";

/** Small pieces the three pages share. Colours always come with the word, for people and for tests. */

/** A tenant's verdict or a run's status, as a coloured word. */
export const Word = ({ word }: { word: string }) => <span class={`word ${word}`}>{word}</span>;

const OUTCOMES = ["created", "updated", "unchanged", "rejected", "failed"] as const;
/** Tallies beside the outcomes, shown only when a run has some (an older API sends none). */
const talliesOf = (counts: Counts) => TALLIES.filter((tally) => (counts[tally] ?? 0) > 0);

/** "extracted 1,000 · created 990 · …", then "deactivated 4" when there were some. */
export const CountList = ({ counts }: { counts: Counts }) => (
  <ul class="counts">
    <li>extracted {formatCount(counts.extracted)}</li>
    {OUTCOMES.map((outcome) => (
      <li>
        {outcome} {formatCount(counts[outcome])}
      </li>
    ))}
    {talliesOf(counts).map((tally) => (
      <li>
        {tally} {formatCount(counts[tally])}
      </li>
    ))}
  </ul>
);

const recordsDone = (counts: Counts) => OUTCOMES.reduce((sum, outcome) => sum + counts[outcome], 0);

/**
 * Records by outcome as they land, against the records extracted so far: one segment per outcome.
 * (Extraction and loading overlap, so the total can still grow while the bar fills.)
 */
export function ProgressBar({ run }: { run: RunJson }) {
  const total = run.counts.extracted;
  const done = recordsDone(run.counts);
  const finished = run.status !== "running";
  // A finished run is complete by definition, even one that stopped before extracting anything.
  const max = finished ? Math.max(done, total, 1) : Math.max(total, 1);
  const now = finished ? max : Math.min(done, max);
  let x = 0;
  const segments = OUTCOMES.filter((o) => run.counts[o] > 0).map((outcome) => {
    const width = (run.counts[outcome] / Math.max(total, done, 1)) * 100;
    const segment = <rect class={outcome} x={`${x}%`} y="0" width={`${width}%`} height="100%" />;
    x += width;
    return segment;
  });
  return (
    <>
      <div
        role="progressbar"
        aria-label="Records done"
        aria-valuemin={0}
        aria-valuemax={max}
        aria-valuenow={now}
        aria-valuetext={`${formatCount(done)} of ${formatCount(total)} records, ${run.status}`}
      >
        <svg class="bar" aria-hidden="true">
          {segments}
        </svg>
      </div>
      <ul class="counts legend">
        <li>extracted {formatCount(total)}</li>
        {OUTCOMES.map((outcome) => (
          <li class={outcome}>
            {outcome} {formatCount(run.counts[outcome])}
          </li>
        ))}
        {talliesOf(run.counts).map((tally) => (
          <li>
            {tally} {formatCount(run.counts[tally])}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The run history and its chart cover this many runs. */
export const HISTORY_RUNS = 30;

/** Bars of the finished runs' durations, oldest on the left, coloured by status. */
export function DurationChart({ runs }: { runs: RunJson[] }) {
  const timed = runs.filter((r) => r.status !== "running" && r.durationMs !== undefined).reverse();
  if (timed.length === 0) return <p class="muted">No finished run yet.</p>;
  const longest = Math.max(...timed.map((r) => r.durationMs ?? 0), 1);
  const slot = 100 / HISTORY_RUNS;
  const runsWord = timed.length === 1 ? "run" : `${timed.length} runs`;
  const label = `Duration of the last ${runsWord}, longest ${formatDuration(longest)}`;
  return (
    <figure>
      <svg class="chart" role="img" aria-label={label} viewBox="0 0 100 30" preserveAspectRatio="none">
        {timed.map((run, i) => {
          const height = Math.max(((run.durationMs ?? 0) / longest) * 30, 0.5);
          return (
            <rect
              class={run.status}
              x={i * slot + slot * 0.1}
              y={30 - height}
              width={slot * 0.8}
              height={height}
            >
              <title>{`${run.startedAt}: ${formatDuration(run.durationMs)}, ${run.status}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption>{label} (oldest on the left)</figcaption>
    </figure>
  );
}

/** The held set's first keys (the catalogue's are f120_id, a stream's its own), and how many more there are. */
export function HeldKeys({ held }: { held: Held }) {
  if (held.keys.length === 0) return null;
  const more = held.count - held.keys.length;
  return (
    <p>
      {held.stream ? "keys" : "f120_id"} <code>{held.keys.join(", ")}</code>
      {more > 0 ? ` and ${more} more` : ""}
    </p>
  );
}

/** What a read-only (tenant) token sees instead of the buttons it may not use. */
export const ReadOnly = () => (
  <p class="muted">
    This token is read-only: starting a run, pausing, verifying and approving need an operator token.
  </p>
);
