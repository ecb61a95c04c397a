import type { ApiReader, StatusJson, TenantJson } from "./api.js";
import { ConsoleApiError, segment } from "./api.js";
import { formatDuration, formatRelative, formatTime } from "./format.js";
import { heldSets } from "./held.js";
import { CountList, Word } from "./parts.js";

interface Row {
  tenant: TenantJson;
  status: StatusJson | { error: string };
}

/** The start page's data: one row per tenant the token may see, with its status. */
export async function tenantsFragment(api: ApiReader, now: Date) {
  const { tenants } = await api.get<{ tenants: TenantJson[] }>("/tenants");
  const rows: Row[] = await Promise.all(
    tenants.map(async (tenant) => {
      try {
        return { tenant, status: await api.get<StatusJson>(`/tenants/${segment(tenant.id)}/status`) };
      } catch (error) {
        // One tenant's status failing must not hide the others: its row says why.
        if (error instanceof ConsoleApiError) return { tenant, status: { error: error.message } };
        throw error;
      }
    }),
  );
  // Every stream's held set, counted together: the tenant's page lists them one by one.
  const held = rows.map((row) => {
    const sets = "error" in row.status ? [] : heldSets(row.status);
    return sets.length > 0 ? { count: sets.reduce((sum, set) => sum + set.count, 0) } : undefined;
  });
  const showHeld = held.some((n) => n !== undefined);
  if (rows.length === 0) return <p>No tenants are visible to this token.</p>;
  return (
    <table>
      <caption class="muted">Refreshes every few seconds.</caption>
      <thead>
        <tr>
          <th scope="col">Tenant</th>
          <th scope="col">Verdict</th>
          <th scope="col">Product</th>
          <th scope="col">Schedule</th>
          <th scope="col">Last run</th>
          <th scope="col">Next run</th>
          {showHeld && <th scope="col">Held deactivations</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map(({ tenant, status }, i) => (
          <tr>
            <th scope="row">
              <a href={`/console/tenants/${segment(tenant.id)}`}>{tenant.id}</a>
            </th>
            <td>
              {"error" in status ? (
                <span>Status unavailable: {status.error}</span>
              ) : (
                <>
                  <Word word={status.verdict} />
                  <div class="muted">{status.reason}</div>
                </>
              )}
            </td>
            <td class="nowrap">
              {tenant.product.type}
              <div class="muted">{tenant.environment}</div>
            </td>
            <td>
              <code>{tenant.schedule.expression}</code>
              {tenant.paused && <div class="muted">paused</div>}
              {tenant.schedule.state === null && <div class="muted">no schedule deployed</div>}
            </td>
            <td>{"error" in status ? "" : <LastRun status={status} now={now} />}</td>
            <td>
              {"error" in status || !status.nextRunAt || tenant.schedule.state === null ? (
                ""
              ) : (
                <span title={formatTime(status.nextRunAt)}>{formatRelative(status.nextRunAt, now)}</span>
              )}
            </td>
            {showHeld && <td class="num">{held[i]?.count ?? ""}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LastRun({ status, now }: { status: StatusJson; now: Date }) {
  const run = status.activeRun ?? status.lastRun;
  if (!run) return <span class="muted">no run yet</span>;
  return (
    <>
      <a href={`/console/runs/${segment(run.runId)}`}>
        <Word word={run.status} />
      </a>{" "}
      <span title={formatTime(run.startedAt)}>{formatRelative(run.startedAt, now)}</span>
      {run.durationMs !== undefined && <span class="muted"> · {formatDuration(run.durationMs)}</span>}
      <CountList counts={run.counts} />
    </>
  );
}
