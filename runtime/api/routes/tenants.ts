import { Hono } from "hono";
import { shortCache } from "../../core/domain/short-cache.js";
import {
  DEFAULT_STREAM,
  otherStreamsOf,
  type StreamName,
  scheduleOf,
  streamScope,
} from "../../core/domain/stream.js";
import type { Tenant } from "../../core/domain/tenant.js";
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
  /** One stream's status, from its own schedule, runs and lease. */
  const streamStatus = async (tenant: Tenant, stream: StreamName) => {
    const scope = streamScope(tenant.id, stream);
    const expression = scheduleOf(tenant, stream);
    const [schedule, lastFinished, lastSucceeded, active] = await Promise.all([
      deps.schedules.describe(scope),
      deps.runs.lastFinished(scope),
      deps.runs.lastSucceeded(scope),
      deps.runs.active(scope),
    ]);
    const status = tenantStatus({
      schedule: expression,
      scheduleState: schedule?.state,
      enabledSince: schedule?.changedAt,
      lastFinished,
      lastSucceeded,
      active,
      now: deps.now(),
      nextFire: deps.schedules.nextFire?.(scope),
    });
    return {
      verdict: status.verdict,
      reason: status.reason,
      lastRun: lastFinished ? runJson(lastFinished) : null,
      activeRun: active ? runJson(active) : null,
      lastSuccessAt: status.lastSuccessAt ?? null,
      nextRunAt: status.nextRunAt ?? null,
      schedule: { expression, state: schedule?.state ?? null },
    };
  };

  const statuses = shortCache(
    async (tenantId) => {
      const tenant = await deps.tenants.get(tenantId);
      if (!tenant) throw new ApiError(404, `tenant ${tenantId} does not exist`, { tenantId });
      const others = otherStreamsOf(tenant);
      const [catalogue, streams] = await Promise.all([
        streamStatus(tenant, DEFAULT_STREAM),
        Promise.all(others.map(async (stream) => ({ stream, status: await streamStatus(tenant, stream) }))),
      ]);
      // The tenant is healthy when every stream it syncs is: otherwise the catalogue's verdict, or
      // the first unhealthy stream's, named.
      const unhealthy = streams.find(({ status }) => status.verdict !== "healthy");
      const verdict =
        catalogue.verdict !== "healthy" || !unhealthy
          ? { verdict: catalogue.verdict, reason: catalogue.reason }
          : { verdict: unhealthy.status.verdict, reason: `${unhealthy.stream}: ${unhealthy.status.reason}` };
      const body = JSON.stringify({
        tenantId: tenant.id,
        ...verdict,
        lastRun: catalogue.lastRun,
        activeRun: catalogue.activeRun,
        lastSuccessAt: catalogue.lastSuccessAt,
        nextRunAt: catalogue.nextRunAt,
        schedule: catalogue.schedule,
        ...(others.length > 0
          ? { streams: Object.fromEntries(streams.map(({ stream, status }) => [stream, status])) }
          : {}),
      });
      return { body, healthy: verdict.verdict === "healthy" };
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
