import { Hono } from "hono";
import { otherStreamsOf, runnableOtherStreamsOf } from "../../core/domain/stream.js";
import type { Log } from "../../core/observability/logger.js";
import type { ApiDependencies } from "../../core/ports/api.js";
import type { ScheduleState } from "../../core/ports/pipeline.js";
import { resumeAfterFirstProbe } from "../../core/steps/first-probe.js";
import { setStreamSchedules } from "../../core/steps/stream-schedules.js";
import { assertOperator } from "../common/auth.js";
import type { ApiEnv } from "../common/env.js";
import { ApiError } from "../common/errors.js";
import { assertRunnableStream, tenantFor } from "../common/tenant-access.js";
import { ProbeBody, readJsonBody, VerifyBody } from "../common/validation.js";

/**
 * Operator actions on a tenant: `POST /tenants/:id/pause`, `/resume` (its EventBridge schedule),
 * `/check` (connectivity with its secrets), `/probe` (the contract probe: read-only, or `{"write": true}`
 * for the checks that write one inactive probe record; the first passing one resumes a new tenant's
 * schedule, runtime/core/steps/first-probe.ts) and `/verify` (starts a run that reads the product back and
 * compares it with the ledger, answering 202 with its id; `{"repair": true}` also starts a run that
 * rewrites what differs; `{"stream": "warehouses"}` verifies the product's locations). Tenant tokens
 * are read-only: 403.
 */
export function controlRoutes(deps: ApiDependencies, log: Log): Hono<ApiEnv> {
  const setSchedule = (state: ScheduleState, action: string) =>
    new Hono<ApiEnv>().post(`/tenants/:id/${action}`, async (c) => {
      const principal = c.get("principal");
      assertOperator(principal, `${action} a tenant's schedule`);
      const tenant = await tenantFor(deps, principal, c.req.param());
      const current = await deps.schedules.getState(tenant.id);
      if (current === undefined) {
        throw new ApiError(409, `tenant ${tenant.id} has no schedule to ${action}: it is not deployed here`, {
          tenantId: tenant.id,
        });
      }
      // Already in that state: nothing to write (pause and resume are idempotent). Every stream's
      // schedule goes with the catalogue's: a paused tenant reads nothing from Siesa. A stream the
      // tenant may not sync yet (streamRefusal) stays paused.
      if (current !== state) await deps.schedules.setState(tenant.id, state);
      const streams = state === "ENABLED" ? runnableOtherStreamsOf(tenant) : otherStreamsOf(tenant);
      await setStreamSchedules(deps.schedules, tenant.id, streams, state);
      log.info(`tenant schedule ${state === "DISABLED" ? "paused" : "resumed"}`, {
        tenantId: tenant.id,
        state,
        changed: current !== state,
      });
      return c.json({
        tenantId: tenant.id,
        schedule: { expression: tenant.sync.schedule, state },
        paused: state === "DISABLED",
      });
    });

  return new Hono<ApiEnv>()
    .route("/", setSchedule("DISABLED", "pause"))
    .route("/", setSchedule("ENABLED", "resume"))
    .post("/tenants/:id/check", async (c) => {
      const principal = c.get("principal");
      assertOperator(principal, "check a tenant's connectivity");
      const tenant = await tenantFor(deps, principal, c.req.param());
      // 200 even when a check fails: the request succeeded and the report (ok + each check) is the answer.
      return c.json(await deps.checkTenant(tenant.id));
    })
    .post("/tenants/:id/probe", async (c) => {
      const principal = c.get("principal");
      assertOperator(principal, "probe a tenant's Siesa and product");
      const tenant = await tenantFor(deps, principal, c.req.param());
      const { write } = await readJsonBody(c, ProbeBody);
      const request = { write: write ?? false };
      const report = await deps.probeTenant(tenant.id, request);
      if (!report) throw new ApiError(404, `tenant ${tenant.id} does not exist`, { tenantId: tenant.id });
      // A stream the tenant may not sync yet (a WMS's unconfirmed locations) is not resumed.
      const streams = runnableOtherStreamsOf(tenant);
      const schedule = await resumeAfterFirstProbe(deps, report, { ...request, streams });
      if (schedule === "resumed")
        log.info("tenant schedule resumed by its first passing probe", { tenantId: tenant.id });
      // 200 even when a check fails, as /check: the report is the answer.
      return c.json({ ...report, schedule });
    })
    .post("/tenants/:id/verify", async (c) => {
      const principal = c.get("principal");
      assertOperator(principal, "verify a tenant's product");
      const tenant = await tenantFor(deps, principal, c.req.param());
      const { repair, stream } = await readJsonBody(c, VerifyBody);
      assertRunnableStream(tenant, stream);
      const which = stream ? { stream } : {};
      const result = await deps.verify(tenant.id, { repair: repair ?? false, ...which });
      if (!result.started) {
        throw new ApiError(409, `tenant ${tenant.id} has a run in progress (${result.activeRunId})`, {
          tenantId: tenant.id,
          activeRunId: result.activeRunId,
        });
      }
      log.info("verify started", {
        tenantId: tenant.id,
        runId: result.runId,
        repair: repair ?? false,
        ...which,
      });
      // The verify worker reads the product: its report is on GET /runs/:runId once the run ends.
      return c.json({ runId: result.runId }, 202);
    });
}
