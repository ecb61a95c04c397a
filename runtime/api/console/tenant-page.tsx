import { DEFAULT_STREAM } from "../../core/domain/stream.js";
import type { RunJson } from "../common/views.js";
import type { ApiReader, StatusJson, TenantJson } from "./api.js";
import { segment } from "./api.js";
import { formatDuration, formatRelative, formatTime } from "./format.js";
import { heldSets } from "./held.js";
import { CountList, DurationChart, HeldKeys, HISTORY_RUNS, ProgressBar, ReadOnly, Word } from "./parts.js";

/** A tenant's page: its run now (or last), the operator's buttons, held decisions, and its history. */
export async function tenantFragment(api: ApiReader, tenantId: string, now: Date, operator: boolean) {
  const base = `/tenants/${segment(tenantId)}`;
  const [tenant, status, history] = await Promise.all([
    api.get<TenantJson>(base),
    api.get<StatusJson>(`${base}/status`),
    api.get<{ runs: RunJson[] }>(`${base}/runs?limit=${HISTORY_RUNS}`),
  ]);
  const current = status.activeRun ?? status.lastRun;
  // No schedule deployed in this stack: nothing runs on it, and the API answers Pause and Resume 409.
  const deployed = tenant.schedule.state !== null;
  const held = heldSets(status).filter((set) => set.count > 0);
  return (
    <>
      <section aria-labelledby="tenant-summary" class="panel">
        <h2 id="tenant-summary">Status</h2>
        <dl class="facts">
          <dt>Verdict</dt>
          <dd>
            <Word word={status.verdict} /> <span class="muted">{status.reason}</span>
          </dd>
          <dt>Product</dt>
          <dd>{tenant.product.type}</dd>
          <dt>Schedule</dt>
          <dd>
            <code>{tenant.schedule.expression}</code> {tenant.paused ? "(paused)" : ""}
            {!deployed && (
              <span class="muted">
                (no schedule is deployed for this tenant in this stack, so it runs only when started: see
                docs/operations.md, Add a tenant)
              </span>
            )}
          </dd>
          <dt>Next run</dt>
          <dd>
            {deployed && status.nextRunAt
              ? `${formatTime(status.nextRunAt)} (${formatRelative(status.nextRunAt, now)})`
              : "none scheduled"}
          </dd>
          {tenant.streams?.stock !== undefined && (
            <>
              <dt>Stock</dt>
              <dd>
                <a href={`/console/tenants/${segment(tenantId)}/stock`}>Expected stock</a>
              </dd>
            </>
          )}
        </dl>
        {operator ? (
          <div class="actions">
            <button type="button" data-action={`${base}/runs`} data-done="Run started">
              Run now
            </button>
            {!deployed ? null : tenant.paused ? (
              <button type="button" data-action={`${base}/resume`} data-done="Schedule resumed">
                Resume
              </button>
            ) : (
              <button type="button" data-action={`${base}/pause`} data-done="Schedule paused">
                Pause
              </button>
            )}
            <button type="button" data-action={`${base}/verify`} data-done="Verification started">
              Verify
            </button>
          </div>
        ) : (
          <ReadOnly />
        )}
      </section>

      {held.map((held) => (
        <section aria-labelledby={`held${held.stream ? `-${held.stream}` : ""}`} class="panel">
          <h2 id={`held${held.stream ? `-${held.stream}` : ""}`}>
            Held deactivations{held.stream ? ` of ${held.stream}` : ""}
          </h2>
          <p>
            {held.count} deactivations are held for approval: they were not applied because there were too
            many at once, or nothing could confirm them. Approve them only if these{" "}
            {held.stream ? `${held.stream} records` : "items"} really left{" "}
            {held.stream ? "Siesa" : "the catalogue"}.
          </p>
          <HeldKeys held={held} />
          {!operator ? null : held.runId ? (
            <button
              type="button"
              data-action={`${base}/runs`}
              data-body={JSON.stringify({
                ...(held.stream ? { stream: held.stream } : {}),
                approveDeactivationsOf: held.runId,
              })}
              data-done={`Approved the deactivations run ${held.runId} held`}
            >
              Approve
            </button>
          ) : (
            <p class="muted">Open the run that held them to approve them.</p>
          )}
        </section>
      ))}

      <section aria-labelledby="current-run" class="panel">
        <h2 id="current-run">{status.activeRun ? "Active run" : "Last run"}</h2>
        {current ? (
          <>
            <p>
              <a href={`/console/runs/${segment(current.runId)}`}>{current.runId}</a>{" "}
              <Word word={current.status} />{" "}
              <span class="muted">
                {current.trigger}, started {formatTime(current.startedAt)}
                {current.durationMs !== undefined ? `, took ${formatDuration(current.durationMs)}` : ""}
              </span>
            </p>
            {current.reason && <p class="muted">{current.reason}</p>}
            <ProgressBar run={current} />
          </>
        ) : (
          <p class="muted">No run yet.</p>
        )}
      </section>

      <section aria-labelledby="history">
        <h2 id="history">Run history</h2>
        <DurationChart runs={history.runs} />
        <RunTable runs={history.runs} />
      </section>
    </>
  );
}

function RunTable({ runs }: { runs: RunJson[] }) {
  if (runs.length === 0) return <p class="muted">No runs yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Status</th>
          <th scope="col">Stream</th>
          <th scope="col">Trigger</th>
          <th scope="col">Started</th>
          <th scope="col" class="num">
            Duration
          </th>
          <th scope="col">Counts</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr>
            <td>
              <a href={`/console/runs/${segment(run.runId)}`}>{run.runId}</a>
            </td>
            <td>
              <Word word={run.status} />
            </td>
            <td>{run.stream ?? DEFAULT_STREAM}</td>
            <td>{run.trigger}</td>
            <td>{formatTime(run.startedAt)}</td>
            <td class="num">{formatDuration(run.durationMs)}</td>
            <td>
              <CountList counts={run.counts} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
