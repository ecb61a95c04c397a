import { Hono } from "hono";
import type { ApiDependencies } from "../../core/ports/api.js";
import { type StockFilter, type StockRow, stockSnapshot } from "../../core/steps/stock-snapshot.js";
import type { ApiEnv } from "../common/env.js";
import { ApiError } from "../common/errors.js";
import { stockCsvHeader, stockCsvRows } from "../common/stock-csv.js";
import { tenantFor } from "../common/tenant-access.js";
import { DEFAULT_STOCK_PAGE, parseRequest, StockQuery } from "../common/validation.js";

/** The error code of a tenant whose stock no run has read completely yet (404). */
export const NO_COMPLETE_STOCK_RUN = "no_complete_stock_run";

/**
 * `GET /tenants/:id/stock?location=&item=`: the expected stock the tenant's last complete stock run
 * read, what a count on the shelves is compared with, as JSON or (`Accept: text/csv`) CSV, a page at
 * a time in key order (location, item, installation). Both carry the run and when it finished
 * (`X-Stock-Run`, `X-Stock-As-Of`) and link the next page (`Link: rel="next"`): a response deployed
 * is cut at 6 MB, so a whole tenant's stock is put together from pages (the console's download does).
 */
export function stockRoutes(deps: ApiDependencies): Hono<ApiEnv> {
  return new Hono<ApiEnv>().get("/tenants/:id/stock", async (c) => {
    const tenant = await tenantFor(deps, c.get("principal"), c.req.param());
    const { limit = DEFAULT_STOCK_PAGE, ...filter } = parseRequest(StockQuery, c.req.query(), "query");
    if (!tenant.streams?.stock)
      throw new ApiError(404, `tenant ${tenant.id} syncs no stock: streams.stock in its file`, {
        tenantId: tenant.id,
        stream: "stock",
      });
    // A read of one location cannot start outside it (DynamoDB refuses such a start key).
    if (
      filter.location !== undefined &&
      filter.after !== undefined &&
      !filter.after.startsWith(`${filter.location}|`)
    ) {
      const problem = `is not a key of location ${filter.location} (got ${JSON.stringify(filter.after)}): pass the previous page's next`;
      throw new ApiError(400, `invalid query parameter after: ${problem}`, {
        issues: [{ field: "after", problem }],
      });
    }
    const snapshot = await stockSnapshot(deps, tenant.id, filter);
    if (!snapshot)
      throw new ApiError(
        404,
        `tenant ${tenant.id} has no complete stock run yet: its stock is served once a stock run has read all of it`,
        { tenantId: tenant.id, stream: "stock" },
        NO_COMPLETE_STOCK_RUN,
      );
    const { run } = snapshot;
    const { rows, next } = await firstRows(snapshot.rows, limit);
    c.header("X-Stock-Run", run.runId);
    if (run.finishedAt) c.header("X-Stock-As-Of", run.finishedAt);
    if (next) c.header("Link", `<${nextPage(tenant.id, filter, limit, next)}>; rel="next"`);
    if (!(c.req.header("accept") ?? "").includes("text/csv")) {
      return c.json({
        tenantId: tenant.id,
        runId: run.runId,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt ?? null,
        ...(filter.location !== undefined ? { location: filter.location } : {}),
        ...(filter.item !== undefined ? { item: filter.item } : {}),
        rows: rows.map((row) => row.stock),
        ...(next ? { next } : {}),
      });
    }
    c.header("Content-Type", "text/csv; charset=utf-8");
    c.header("Content-Disposition", `attachment; filename="stock-${tenant.id}-${run.runId}.csv"`);
    c.header("Cache-Control", "no-store");
    return c.body(stockCsvHeader() + stockCsvRows(rows));
  });
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
  return `/tenants/${encodeURIComponent(tenantId)}/stock?${query}`;
}
