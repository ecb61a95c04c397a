import { type Context, Hono } from "hono";
import type { Log } from "../../core/observability/logger.js";
import type { ApiDependencies } from "../../core/ports/api.js";
import { DEFAULT_EXCEPTIONS_PAGE } from "../../core/ports/pipeline.js";
import { InvalidCursorError } from "../../core/ports/store-errors.js";
import { ApprovalError } from "../../core/steps/start-run.js";
import { assertOperator, canRead } from "../common/auth.js";
import type { ApiEnv } from "../common/env.js";
import { ApiError } from "../common/errors.js";
import { csvHeader, csvRows } from "../common/exceptions-csv.js";
import { assertRunnableStream, tenantFor } from "../common/tenant-access.js";
import {
  ExceptionsQuery,
  ItemParams,
  parseRequest,
  RunBody,
  RunParams,
  RunsQuery,
  readJsonBody,
} from "../common/validation.js";
import { runJson } from "../common/views.js";

/**
 * Run history and the manual trigger: `GET /tenants/:id/runs`, `GET /runs/:runId`,
 * `GET /runs/:runId/exceptions`, `POST /tenants/:id/runs`, and `POST /tenants/:id/items/:f120Id/sync`
 * (a run of that one item: 202 with its id; whether Siesa has the item, its outcome says).
 */
export function runRoutes(deps: ApiDependencies, log: Log): Hono<ApiEnv> {
  return new Hono<ApiEnv>()
    .get("/tenants/:id/runs", async (c) => {
      const tenant = await tenantFor(deps, c.get("principal"), c.req.param());
      const query = parseRequest(RunsQuery, c.req.query(), "query");
      const page = await pageOf("this tenant", () => deps.runs.list(tenant.id, query));
      return c.json({ runs: page.runs.map(runJson), ...(page.cursor ? { cursor: page.cursor } : {}) });
    })
    .get("/runs/:runId", async (c) => {
      return c.json(runJson(await readableRun(deps, c)));
    })
    .get("/runs/:runId/exceptions", async (c) => {
      const run = await readableRun(deps, c);
      const query = parseRequest(ExceptionsQuery, c.req.query(), "query");
      const page = await pageOf("this run", () => deps.runs.exceptions(run.tenantId, run.runId, query));
      const csv = (c.req.header("accept") ?? "").includes("text/csv");
      if (!csv) {
        return c.json({
          runId: run.runId,
          exceptions: page.exceptions,
          ...(page.cursor ? { cursor: page.cursor } : {}),
        });
      }
      c.header("Content-Type", "text/csv; charset=utf-8");
      c.header("Content-Disposition", `attachment; filename="exceptions-${run.runId}.csv"`);
      c.header("Cache-Control", "no-store");
      // One page, as JSON's, and the next one linked: a response deployed is cut at 6 MB, so a
      // whole run's CSV is put together from pages by whoever downloads it (the console does).
      if (page.cursor) {
        const limit = query.limit ?? DEFAULT_EXCEPTIONS_PAGE;
        c.header("Link", `<${nextPage(run.runId, limit, page.cursor)}>; rel="next"`);
      }
      return c.body(csvHeader() + csvRows(page.exceptions));
    })
    .post("/tenants/:id/runs", async (c) => {
      const principal = c.get("principal");
      assertOperator(principal, "start a run");
      const tenant = await tenantFor(deps, principal, c.req.param());
      const { approveDeactivationsOf, stream } = await readJsonBody(c, RunBody);
      const approval = approveDeactivationsOf !== undefined ? { approveDeactivationsOf } : {};
      assertRunnableStream(tenant, stream);
      let result: Awaited<ReturnType<typeof deps.startRun>>;
      try {
        result = await deps.startRun(tenant.id, "manual", { ...approval, ...(stream ? { stream } : {}) });
      } catch (error) {
        if (!(error instanceof ApprovalError)) throw error;
        throw new ApiError(400, `invalid body parameter approveDeactivationsOf: ${error.message}`, {
          issues: [{ field: "approveDeactivationsOf", problem: error.message }],
        });
      }
      if (!result.started) throw activeRun(tenant.id, result.activeRunId);
      log.info("manual run started", {
        tenantId: tenant.id,
        runId: result.runId,
        ...approval,
        ...(stream ? { stream } : {}),
      });
      return c.json({ runId: result.runId }, 202);
    })
    .post("/tenants/:id/items/:f120Id/sync", async (c) => {
      const principal = c.get("principal");
      assertOperator(principal, "sync an item");
      const tenant = await tenantFor(deps, principal, c.req.param());
      const { f120Id } = parseRequest(ItemParams, { f120Id: c.req.param("f120Id") }, "path");
      // Refused, like any run, while another holds the lease: it never races a full run.
      const result = await deps.startRun(tenant.id, "manual", { item: f120Id });
      if (!result.started) throw activeRun(tenant.id, result.activeRunId);
      log.info("item run started", { tenantId: tenant.id, runId: result.runId, item: f120Id });
      return c.json({ runId: result.runId, item: f120Id }, 202);
    });
}

const activeRun = (tenantId: string, activeRunId: string) =>
  new ApiError(409, `tenant ${tenantId} already has an active run ${activeRunId}`, { tenantId, activeRunId });

/** The run of the path, if the caller may read it; another tenant's answers exactly like a missing one. */
async function readableRun(deps: ApiDependencies, c: Context<ApiEnv>) {
  const { runId } = parseRequest(RunParams, c.req.param(), "path");
  const run = await deps.runs.getById(runId);
  // So a tenant token cannot probe run ids.
  if (!run || !canRead(c.get("principal"), run.tenantId)) {
    throw new ApiError(404, `run ${runId} does not exist`, { runId });
  }
  return run;
}

/** A page read, with a cursor this service did not issue for `owner` answered 400. */
async function pageOf<T>(owner: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof InvalidCursorError)) throw error;
    const problem = `is not a cursor this service issued for ${owner}: pass the previous page's cursor`;
    throw new ApiError(400, `invalid query parameter cursor: ${problem}`, {
      issues: [{ field: "cursor", problem }],
    });
  }
}

const nextPage = (runId: string, limit: number, cursor: string) =>
  `/runs/${encodeURIComponent(runId)}/exceptions?limit=${limit}&cursor=${encodeURIComponent(cursor)}`;
