import { Hono } from "hono";
import type { RunRecord } from "../../core/domain/model.js";
import type { ApiDependencies } from "../../core/ports/api.js";
import {
  firstPage,
  type StockFilter,
  type StockRow,
  snapshotLocations,
  snapshotRows,
  snapshotRun,
} from "../../core/steps/stock-snapshot.js";
import { parseStockKey } from "../../core/streams/stock.js";
import type { ApiEnv } from "../common/env.js";
import { ApiError } from "../common/errors.js";
import { stockCsvHeader, stockCsvRows } from "../common/stock-csv.js";
import { tenantFor } from "../common/tenant-access.js";
import { DEFAULT_STOCK_PAGE, parseRequest, StockQuery } from "../common/validation.js";

/** The error code of a tenant whose stock no run has read completely yet (404). */
export const NO_COMPLETE_STOCK_RUN = "no_complete_stock_run";
/** The error code of a page asked of a run whose snapshot the ledger no longer holds exactly (409). */
export const STOCK_RUN_REPLACED = "stock_run_replaced";
/** The error code of a location the last complete stock run has no row of (404). */
export const UNKNOWN_STOCK_LOCATION = "unknown_stock_location";

/**
 * `GET /tenants/:id/stock?location=&item=`: the expected stock the tenant's last complete stock run
 * read, what a count on the shelves is compared with, as JSON or (`Accept: text/csv`) CSV, a page at
 * a time in key order (location, item, installation). Both carry the run and when it finished
 * (`X-Stock-Run`, `X-Stock-As-Of`) and link the next page (`Link: rel="next"`): a response deployed
 * is cut at 6 MB, so a whole tenant's stock is put together from pages (the console's download does).
 * The link names the run (`run=`), so one download is one run's rows, or a 409 to start it again.
 */
export function stockRoutes(deps: ApiDependencies): Hono<ApiEnv> {
  return new Hono<ApiEnv>().get("/tenants/:id/stock", async (c) => {
    const tenant = await tenantFor(deps, c.get("principal"), c.req.param());
    const { limit = DEFAULT_STOCK_PAGE, ...filter } = parseRequest(StockQuery, c.req.query(), "query");
    if (!tenant.streams?.stock)
      throw new ApiError(404, `tenant ${tenant.id} syncs no stock: its file has no streams.stock`, {
        tenantId: tenant.id,
        stream: "stock",
      });
    // A read of one location, or of one item, cannot start outside it (DynamoDB refuses such a start key).
    const outside = outsideOf(filter);
    if (outside !== undefined) {
      const problem = `is not a key of ${outside} (got ${JSON.stringify(filter.after)}): pass the previous page's next`;
      throw new ApiError(400, `invalid query parameter after: ${problem}`, {
        issues: [{ field: "after", problem }],
      });
    }
    const { run, last } = await snapshotRun(deps.runs, tenant.id, filter.run);
    if (!last)
      throw new ApiError(
        404,
        `tenant ${tenant.id} has no complete stock run yet: its stock is served once a stock run has read all of it`,
        { tenantId: tenant.id, stream: "stock" },
        NO_COMPLETE_STOCK_RUN,
      );
    if (!run) throw notServed(tenant.id, filter.run ?? last.runId, last);
    const { rows, next } = await firstRows(snapshotRows(deps, tenant.id, run.runId, filter), limit);
    // A run that started while the page was read may have replaced values it read as this run's.
    const now = await snapshotRun(deps.runs, tenant.id, run.runId);
    if (!now.run) throw notServed(tenant.id, run.runId, now.last ?? last);
    // No row on a first page: a location the run has none of would read as nothing on its shelves.
    if (filter.location !== undefined && filter.after === undefined && rows.length === 0)
      await refuseUnknownLocation(deps, tenant.id, run.runId, filter.location, filter.item);
    c.header("X-Stock-Run", run.runId);
    if (run.finishedAt) c.header("X-Stock-As-Of", run.finishedAt);
    if (next)
      c.header("Link", `<${nextPage(tenant.id, { ...filter, run: run.runId }, limit, next)}>; rel="next"`);
    if (!(c.req.header("accept") ?? "").includes("text/csv")) {
      return c.json({
        tenantId: tenant.id,
        runId: run.runId,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt ?? null,
        ...(filter.location !== undefined ? { location: filter.location } : {}),
        ...(filter.item !== undefined ? { item: filter.item } : {}),
        rows: rows.map((row) =>
          row.rejected === undefined ? row.stock : { ...row.stock, rejected: row.rejected },
        ),
        ...(next ? { next } : {}),
      });
    }
    c.header("Content-Type", "text/csv; charset=utf-8");
    c.header("Content-Disposition", `attachment; filename="stock-${tenant.id}-${run.runId}.csv"`);
    c.header("Cache-Control", "no-store");
    return c.body(stockCsvHeader() + stockCsvRows(rows));
  });
}

/**
 * 404 naming the location and the run's locations when the run has no row of `location`. Without an
 * item, the page just read all of the location; with one, the location's first row says it is known.
 */
async function refuseUnknownLocation(
  deps: Pick<ApiDependencies, "ledger" | "runs">,
  tenantId: string,
  runId: string,
  location: string,
  item: number | undefined,
): Promise<void> {
  if (item !== undefined && (await firstPage(snapshotRows(deps, tenantId, runId, { location }))).length > 0)
    return;
  const locations = await snapshotLocations(deps, tenantId, runId);
  throw new ApiError(
    404,
    `tenant ${tenantId} has no location ${location} in its last complete stock run (${runId}): its locations are ${locations.join(", ") || "none"} (codes as Siesa writes them, case too)`,
    { tenantId, location, locations },
    UNKNOWN_STOCK_LOCATION,
  );
}

/** What `after` is not a key of (the location, the item), if the read it starts would be outside it. */
function outsideOf({ location, item, after }: StockFilter): string | undefined {
  if (after === undefined) return undefined;
  if (location !== undefined && !after.startsWith(`${location}|`)) return `location ${location}`;
  if (item !== undefined && parseStockKey(after)?.item !== item) return `item ${item}`;
  return undefined;
}

/**
 * A page asked of a run whose rows the ledger no longer holds exactly (later runs replaced them), or
 * of no complete stock run of the tenant: another run's rows would mix into the download.
 */
function notServed(tenantId: string, asked: string, last: RunRecord): ApiError {
  return new ApiError(
    409,
    `stock run ${asked} of tenant ${tenantId} is no longer served: the rows it read are replaced by later stock runs, or it is no complete stock run of the tenant (the last complete one is ${last.runId}); start the download again without run`,
    { tenantId, stream: "stock", run: asked, lastCompleteRun: last.runId },
    STOCK_RUN_REPLACED,
  );
}

/** The first `limit` rows, and the key to read on from when there are more (the rest is not read). */
async function firstRows(
  pages: AsyncGenerator<StockRow[]>,
  limit: number,
): Promise<{ rows: StockRow[]; next?: string }> {
  const rows: StockRow[] = [];
  for await (const page of pages) {
    rows.push(...page);
    // One row past the page says whether there is a next one; leaving the loop stops the reading.
    if (rows.length > limit) break;
  }
  if (rows.length <= limit) return { rows };
  const shown = rows.slice(0, limit);
  return { rows: shown, next: shown[limit - 1]?.key };
}

function nextPage(tenantId: string, filter: StockFilter, limit: number, after: string): string {
  const query = new URLSearchParams();
  if (filter.location !== undefined) query.set("location", filter.location);
  if (filter.item !== undefined) query.set("item", String(filter.item));
  query.set("limit", String(limit));
  query.set("after", after);
  if (filter.run !== undefined) query.set("run", filter.run);
  return `/tenants/${encodeURIComponent(tenantId)}/stock?${query}`;
}
