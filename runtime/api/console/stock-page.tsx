import type { ServedStock } from "../../core/steps/stock-snapshot.js";
import { MAX_STOCK_PAGE } from "../common/validation.js";
import { NO_COMPLETE_STOCK_RUN, UNKNOWN_STOCK_LOCATION } from "../routes/stock.js";
import { type ApiReader, ConsoleApiError, type StatusJson, segment } from "./api.js";
import { formatCount, formatTime } from "./format.js";
import { ReadOnly, Word } from "./parts.js";

/** `GET /tenants/:id/stock`, as the console reads it. */
export interface StockJson {
  tenantId: string;
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  /**
   * `rejected`: the run rejected the row, whose quantities are then the last read's that mapped it,
   * or null when no read could.
   */
  rows: (ServedStock & { rejected?: string })[];
  next?: string;
}

/** The filters of the stock page, as its address gives them (empty ones are no filter). */
export interface StockPageFilter {
  location?: string | undefined;
  item?: string | undefined;
}

/** The filters as a query (`?location=NB1&item=1042`), or "" for none. */
export function stockFilterQuery(filter: StockPageFilter): string {
  const query = new URLSearchParams();
  for (const name of ["location", "item"] as const) {
    const value = filter[name]?.trim();
    if (value) query.set(name, value);
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}

/**
 * A tenant's expected stock as its last complete stock run read it, to compare a count on the shelves
 * with: when that run read it, the first page of rows for a location and/or an item, and every row
 * as a CSV download.
 */
export async function stockFragment(
  api: ApiReader,
  tenantId: string,
  filter: StockPageFilter,
  operator: boolean,
) {
  const base = `/tenants/${segment(tenantId)}`;
  const filters = stockFilterQuery(filter);
  const form = <FilterForm tenantId={tenantId} filter={filter} />;
  let stock: StockJson;
  try {
    stock = await api.get<StockJson>(`${base}/stock${filters}`);
  } catch (error) {
    if (!(error instanceof ConsoleApiError)) throw error;
    // A filter the API refuses (or a location it has no row of): the form stays, to correct it, with
    // the API's reason.
    if (error.status === 400 || error.body.error.code === UNKNOWN_STOCK_LOCATION)
      return (
        <div data-final="">
          {form}
          <p class="message error">{error.message}</p>
        </div>
      );
    if (error.body.error.code !== NO_COMPLETE_STOCK_RUN) throw error;
    // The stock stream's run under way, or its last that ended without completing (a failed Run stock now).
    const status = await api.get<StatusJson>(`${base}/status`);
    const latest = status.streams?.stock?.activeRun ?? status.streams?.stock?.lastRun ?? null;
    // No data-final: the page shows the stock once the first stock run completes.
    return (
      <section aria-labelledby="stock-run" class="panel">
        <h2 id="stock-run">Stock run</h2>
        <p>No stock run has completed yet: the expected stock is shown once one has read all of it.</p>
        {latest && (
          <p>
            {latest.status === "running" ? "Running: " : "The last: "}
            <a href={`/console/runs/${segment(latest.runId)}`}>{latest.runId}</a>{" "}
            <Word word={latest.status} />{" "}
            <span class="muted">
              started {formatTime(latest.startedAt)}
              {latest.finishedAt ? `, finished ${formatTime(latest.finishedAt)}` : ""}
              {latest.reason ? `: ${latest.reason}` : ""}
            </span>
          </p>
        )}
        {operator ? <RunStockNow base={base} /> : <ReadOnly />}
      </section>
    );
  }
  // The run shown, which names the file: a later complete run does not slip into it (the API refuses).
  const download = `${base}/stock?limit=${MAX_STOCK_PAGE}${filters.replace("?", "&")}&run=${encodeURIComponent(stock.runId)}`;
  return (
    // data-final: the rows change only with the next complete stock run; reloading the page shows it.
    <div data-final="">
      <section aria-labelledby="stock-run" class="panel">
        <h2 id="stock-run">Stock run</h2>
        <dl class="facts">
          <dt>Run</dt>
          <dd>
            <a href={`/console/runs/${segment(stock.runId)}`}>{stock.runId}</a>
          </dd>
          <dt>Read Siesa</dt>
          {/* No "3 h ago": this page is not refreshed, so it would still say so tomorrow. */}
          <dd>
            from {formatTime(stock.startedAt)} to {formatTime(stock.finishedAt)}
          </dd>
        </dl>
        <p class="muted">
          The expected stock as that run read it: a count on the shelves today is compared with this. This
          page does not refresh: reload it to see a later stock run.
        </p>
        {operator && <RunStockNow base={base} />}
      </section>

      <section aria-labelledby="stock-rows">
        <h2 id="stock-rows">Expected stock</h2>
        {form}
        {stock.rows.length > 0 && (
          <p>
            {/* The script fetches it with the tab's token, a page at a time (see the run page's). */}
            <button
              type="button"
              data-download={download}
              data-run={stock.runId}
              data-filename={`stock-${stock.tenantId}-${stock.runId}.csv`}
            >
              Download stock (CSV)
            </button>
          </p>
        )}
        {stock.rows.some((row) => row.rejected !== undefined) && (
          <p class="muted">
            A row with a reason under Rejected could not be read as a stock row by this run: its quantities
            are those of the last run that could, which Siesa no longer holds, or none when no run could.
          </p>
        )}
        {stock.rows.length === 0 ? (
          <p class="muted">No rows{filters ? " for these filters" : ""}.</p>
        ) : (
          <StockTable stock={stock} />
        )}
      </section>
    </div>
  );
}

/** Location and item; the script reads the page's data again with them (and keeps them in the address). */
function FilterForm({ tenantId, filter }: { tenantId: string; filter: StockPageFilter }) {
  return (
    <form class="filters" data-filter={`/console/fragments/tenants/${segment(tenantId)}/stock`}>
      <label>
        Location
        <input name="location" value={filter.location ?? ""} placeholder="warehouse code, e.g. NB1" />
      </label>
      <label>
        Item
        <input name="item" value={filter.item ?? ""} inputmode="numeric" placeholder="f120_id" />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

function StockTable({ stock }: { stock: StockJson }) {
  return (
    <table>
      <caption class="muted">
        {stock.next
          ? `The first ${formatCount(stock.rows.length)} rows; the download holds every one.`
          : `${formatCount(stock.rows.length)} rows.`}
      </caption>
      <thead>
        <tr>
          <th scope="col">Warehouse</th>
          <th scope="col">Item</th>
          <th scope="col">Reference</th>
          <th scope="col">Installation</th>
          <th scope="col" class="num">
            On hand
          </th>
          <th scope="col" class="num">
            Committed
          </th>
          <th scope="col" class="num">
            POS
          </th>
          <th scope="col" class="num">
            Expected
          </th>
          <th scope="col">Rejected</th>
        </tr>
      </thead>
      <tbody>
        {stock.rows.map((row) => (
          <tr>
            <td>{row.warehouse}</td>
            <td>{row.item}</td>
            <td>{row.reference ?? ""}</td>
            <td>{row.installation}</td>
            <td class="num">{row.onHand}</td>
            <td class="num">{row.committed}</td>
            <td class="num">{row.pos}</td>
            <td class="num">{row.expected}</td>
            {row.rejected === undefined ? <td></td> : <td class="rejected">{row.rejected}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Starts a stock run of the tenant (`base`, its API path): the API answers 409 while one is under way. */
function RunStockNow({ base }: { base: string }) {
  return (
    <button
      type="button"
      data-action={`${base}/runs`}
      data-body={JSON.stringify({ stream: "stock" })}
      data-done="Stock run started: reload this page once it has completed"
    >
      Run stock now
    </button>
  );
}
