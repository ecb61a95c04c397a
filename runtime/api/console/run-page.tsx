import { TALLIES } from "../../core/domain/model.js";
import { DEFAULT_STREAM } from "../../core/domain/stream.js";
import { VERIFY_STATUSES, type VerifyRunReport } from "../../core/domain/verify-report.js";
import { MAX_EXCEPTIONS_PAGE } from "../../core/ports/pipeline.js";
import type { RunJson } from "../common/views.js";
import type { ApiReader } from "./api.js";
import { segment } from "./api.js";
import { formatCount, formatDuration, formatTime } from "./format.js";
import { heldOf } from "./held.js";
import { HeldKeys, ProgressBar, Word } from "./parts.js";

/**
 * A run's page: what it did, when, why it failed if it did, its first rejected and failed records,
 * and every one of them as a CSV download.
 */
export async function runFragment(api: ApiReader, runId: string) {
  const run = await api.get<RunJson>(`/runs/${segment(runId)}`);
  const finished = run.status !== "running";
  const heldSet = heldOf(run.heldDeactivations);
  const held = heldSet && run.stream ? { ...heldSet, stream: run.stream } : heldSet;
  return (
    // data-final: a finished run no longer changes, so the page stops refreshing.
    <div {...(finished ? { "data-final": "" } : {})}>
      <section aria-labelledby="run-summary" class="panel">
        <h2 id="run-summary">Summary</h2>
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <Word word={run.status} />
          </dd>
          <dt>Tenant</dt>
          <dd>
            <a href={`/console/tenants/${segment(run.tenantId)}`}>{run.tenantId}</a>
          </dd>
          <dt>Stream</dt>
          <dd>{run.stream ?? DEFAULT_STREAM}</dd>
          <dt>Trigger</dt>
          <dd>{run.trigger}</dd>
          <dt>Started</dt>
          <dd>{formatTime(run.startedAt)}</dd>
          <dt>Finished</dt>
          <dd>{run.finishedAt ? formatTime(run.finishedAt) : "still running"}</dd>
          <dt>Duration</dt>
          <dd>{formatDuration(run.durationMs)}</dd>
          {run.reason && (
            <>
              <dt>{run.status === "failed" ? "Why it failed" : "Reason"}</dt>
              <dd>{run.reason}</dd>
            </>
          )}
          {run.stopReason && (
            <>
              <dt>Stopping</dt>
              <dd>{run.stopReason}</dd>
            </>
          )}
          {run.skipped?.length ? (
            <>
              <dt>Skipped requests</dt>
              <dd>{run.skipped.map((s) => `${s.trigger} at ${formatTime(s.at)}`).join("; ")}</dd>
            </>
          ) : null}
        </dl>
        <ProgressBar run={run} />
      </section>

      {run.verify && <VerifyReport report={run.verify} />}

      {held && (
        <section aria-labelledby="run-held" class="panel">
          <h2 id="run-held">Held deactivations</h2>
          <p>
            {held.count} deactivations held
            {run.heldDeactivations?.unconfirmed
              ? ": the extraction read no record to confirm their absence against"
              : ` (limit ${run.heldDeactivations?.limit})`}
            , none applied. A run started with{" "}
            <code>
              {run.stream
                ? `{"stream": "${run.stream}", "approveDeactivationsOf": "${run.runId}"}`
                : `{"approveDeactivationsOf": "${run.runId}"}`}
            </code>{" "}
            applies them if what it finds is this set or part of it.
          </p>
          <HeldKeys held={held} />
        </section>
      )}

      <section aria-labelledby="run-counts">
        <h2 id="run-counts">Counts</h2>
        <CountTable
          heading="Outcome"
          counts={(
            ["extracted", "created", "updated", "unchanged", "rejected", "failed", ...TALLIES] as const
          ).map((name) => [name, run.counts[name] ?? 0])}
        />
      </section>

      <section aria-labelledby="run-errors">
        <h2 id="run-errors">Rejected and failed records</h2>
        {run.errors.length > 0 && (
          <p>
            {/* The script fetches it with the tab's token (a plain link would carry none), from
                its first page following each page's link to the next. */}
            <button
              type="button"
              data-download={`/runs/${segment(run.runId)}/exceptions?limit=${MAX_EXCEPTIONS_PAGE}`}
              data-filename={`exceptions-${run.runId}.csv`}
            >
              Download exceptions (CSV)
            </button>
          </p>
        )}
        {run.errors.length === 0 ? (
          <p class="muted">None.</p>
        ) : (
          <table>
            <caption class="muted">
              The first {run.errors.length} with their reasons; the download holds every one.
            </caption>
            <thead>
              <tr>
                <th scope="col">Record</th>
                <th scope="col">Outcome</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {run.errors.map((error) => (
                <tr>
                  <td>
                    <code>{error.key}</code>
                  </td>
                  <td>{error.outcome}</td>
                  <td>{error.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

/** What Verify found, as its run keeps it: records per status, the first differences, and the repair it started. */
function VerifyReport({ report }: { report: VerifyRunReport }) {
  const notOk = report.counts.missing + report.counts.drifted + report.counts.unknown;
  return (
    <section aria-labelledby="run-verify" class="panel">
      <h2 id="run-verify">Verify report</h2>
      <p>
        Read {formatCount(report.read.product)} records of the product and {formatCount(report.read.ledger)}{" "}
        entries of the ledger{report.stream ? ` (${report.stream})` : ""}.
      </p>
      <CountTable
        heading="Status"
        counts={VERIFY_STATUSES.map((status) => [status, report.counts[status]])}
      />
      {report.differences.length > 0 && (
        <table>
          <caption class="muted">
            {report.differences.length < notOk
              ? `The first ${report.differences.length} of ${formatCount(notOk)} records that are not ok.`
              : "The records that are not ok."}
          </caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Record</th>
              <th scope="col">External id</th>
              <th scope="col">Product id</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {report.differences.map((difference) => (
              <tr>
                <td>{difference.status}</td>
                <td>
                  <code>{difference.key ?? ""}</code>
                </td>
                <td>
                  <code>{difference.externalId ?? ""}</code>
                </td>
                <td>
                  <code>{difference.productId}</code>
                </td>
                <td>{difference.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {report.repair && (
        <p>
          Repair: marked {formatCount(report.repair.marked)} records
          {report.repair.runId ? (
            <>
              {", rewritten by run "}
              <a href={`/console/runs/${segment(report.repair.runId)}`}>{report.repair.runId}</a>
            </>
          ) : (
            ""
          )}
          {report.repair.reason ? `: ${report.repair.reason}` : ""}
        </p>
      )}
    </section>
  );
}

/** How many records had each outcome (or verify status): a name and a count a row. */
function CountTable({
  heading,
  counts,
}: {
  heading: string;
  counts: readonly (readonly [string, number])[];
}) {
  return (
    <table class="narrow">
      <thead>
        <tr>
          <th scope="col">{heading}</th>
          <th scope="col" class="num">
            Records
          </th>
        </tr>
      </thead>
      <tbody>
        {counts.map(([name, count]) => (
          <tr>
            <th scope="row">{name}</th>
            <td class="num">{formatCount(count)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
