import { Hono } from "hono";
import { shortCache } from "../../core/domain/short-cache.js";
import { type ApiDependencies, STATUS_CACHE_MS } from "../../core/ports/api.js";
import { tenantStatus } from "../../core/steps/tenant-status.js";
import { canRead } from "../common/auth.js";
import type { ApiEnv } from "../common/env.js";
import { ApiError } from "../common/errors.js";
import { tenantFor } from "../common/tenant-access.js";
import { runJson, tenantJson } from "../common/views.js";

/** Tenants' configuration and health: `GET /tenants`, `GET /tenants/:id`, `GET /tenants/:id/status`. */
export function tenantRoutes(deps: ApiDependencies): Hono<ApiEnv> {
  /**
   * The status body of a tenant, built at most once a second: its reads are already shared that
   * long (STATUS_CACHE_MS), so many monitors polling at once cost one build, not one each.
   */
  const statuses = shortCache(
    async (tenantId) => {
      const tenant = await deps.tenants.get(tenantId);
      if (!tenant) throw new ApiError(404, `tenant ${tenantId} does not exist`, { tenantId });
      const [schedule, lastFinished, lastSucceeded, active] = await Promise.all([
        deps.schedules.describe(tenant.id),
        deps.runs.lastFinished(tenant.id),
        deps.runs.lastSucceeded(tenant.id),
        deps.runs.active(tenant.id),
      ]);
      const scheduleState = schedule?.state;
      const status = tenantStatus({
        schedule: tenant.sync.schedule,
        scheduleState,
        enabledSince: schedule?.changedAt,
        lastFinished,
        lastSucceeded,
        active,
        now: deps.now(),
        nextFire: deps.schedules.nextFire?.(tenant.id),
      });
      const body = JSON.stringify({
        tenantId: tenant.id,
        verdict: status.verdict,
        reason: status.reason,
        lastRun: lastFinished ? runJson(lastFinished) : null,
        activeRun: active ? runJson(active) : null,
        lastSuccessAt: status.lastSuccessAt ?? null,
        nextRunAt: status.nextRunAt ?? null,
        schedule: { expression: tenant.sync.schedule, state: scheduleState ?? null },
      });
      return { body, healthy: status.verdict === "healthy" };
    },
    STATUS_CACHE_MS,
    () => deps.now().getTime(),
  );

  return new Hono<ApiEnv>()
    .get("/tenants", async (c) => {
      // A tenant token sees its own tenant only: the list is filtered rather than refused.
      const principal = c.get("principal");
      const visible = (await deps.tenants.list()).filter((t) => canRead(principal, t.id));
      const states = await Promise.all(visible.map((t) => deps.schedules.getState(t.id)));
      return c.json({ tenants: visible.map((t, i) => tenantJson(t, states[i])) });
    })
    .get("/tenants/:id", async (c) => {
      const tenant = await tenantFor(deps, c.get("principal"), c.req.param());
      return c.json(tenantJson(tenant, await deps.schedules.getState(tenant.id)));
    })
    .get("/tenants/:id/status", async (c) => {
      const tenant = await tenantFor(deps, c.get("principal"), c.req.param());
      const { body, healthy } = await statuses.get(tenant.id);
      // 503 unless healthy, so a plain uptime check alerts without reading the body.
      return c.body(body, healthy ? 200 : 503, { "content-type": "application/json" });
    });
}
