import { Hono } from "hono";
import type { Log } from "../../observability/logger.js";
import { ApprovalError } from "../../pipeline/start-run.js";
import { InvalidCursorError } from "../../store/errors.js";
import { assertOperator, canRead } from "../auth.js";
import type { ApiDependencies } from "../dependencies.js";
import type { ApiEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { tenantFor } from "../tenant-access.js";
import { parseRequest, RunBody, RunParams, RunsQuery, readJsonBody } from "../validation.js";
import { runJson } from "../views.js";

/** Run history and the manual trigger: `GET /tenants/:id/runs`, `GET /runs/:runId`, `POST /tenants/:id/runs`. */
export function runRoutes(deps: ApiDependencies, log: Log): Hono<ApiEnv> {
  return new Hono<ApiEnv>()
    .get("/tenants/:id/runs", async (c) => {
      const tenant = await tenantFor(deps, c.get("principal"), c.req.param());
      const query = parseRequest(RunsQuery, c.req.query(), "query");
      try {
        const page = await deps.runs.list(tenant.id, query);
        return c.json({ runs: page.runs.map(runJson), ...(page.cursor ? { cursor: page.cursor } : {}) });
      } catch (error) {
        if (error instanceof InvalidCursorError) {
          const problem =
            "is not a cursor this service issued for this tenant: pass the previous page's cursor";
          throw new ApiError(400, `invalid query parameter cursor: ${problem}`, {
            issues: [{ field: "cursor", problem }],
          });
        }
        throw error;
      }
    })
    .get("/runs/:runId", async (c) => {
      const { runId } = parseRequest(RunParams, c.req.param(), "path");
      const run = await deps.runs.get(runId);
      // Another tenant's run answers exactly like a missing one, so a tenant token cannot probe run ids.
      if (!run || !canRead(c.get("principal"), run.tenantId)) {
        throw new ApiError(404, `run ${runId} does not exist`, { runId });
      }
      return c.json(runJson(run));
    })
    .post("/tenants/:id/runs", async (c) => {
      const principal = c.get("principal");
      assertOperator(principal, "start a run");
      const tenant = await tenantFor(deps, principal, c.req.param());
      const { approveDeactivationsOf } = await readJsonBody(c, RunBody);
      const approval = approveDeactivationsOf !== undefined ? { approveDeactivationsOf } : {};
      let result: Awaited<ReturnType<typeof deps.startRun>>;
      try {
        result = await deps.startRun(tenant.id, "manual", approval);
      } catch (error) {
        if (!(error instanceof ApprovalError)) throw error;
        throw new ApiError(400, `invalid body parameter approveDeactivationsOf: ${error.message}`, {
          issues: [{ field: "approveDeactivationsOf", problem: error.message }],
        });
      }
      if (!result.started) {
        throw new ApiError(409, `tenant ${tenant.id} already has an active run ${result.activeRunId}`, {
          tenantId: tenant.id,
          activeRunId: result.activeRunId,
        });
      }
      log.info("manual run started", {
        tenantId: tenant.id,
        runId: result.runId,
        ...approval,
      });
      return c.json({ runId: result.runId }, 202);
    });
}
