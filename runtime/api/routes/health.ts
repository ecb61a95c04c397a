import { Hono } from "hono";
import { shortCache } from "../../core/domain/short-cache.js";
import type { ApiDependencies } from "../../core/ports/api.js";
import { assertOperator } from "../common/auth.js";
import type { ApiEnv } from "../common/env.js";

/**
 * Health, in two routes:
 * - `GET /health`, without auth, for load balancers and uptime checks: `{"status":"ok"}` (200) or
 *   `{"status":"degraded"}` (503), and nothing else: an anonymous caller learns no names, versions
 *   or errors.
 * - `GET /health/details`, operator token: the version and each table's and queue's check.
 * Both read one probe result that is reused for HEALTH_CACHE_MS, so a flood of health checks costs
 * one set of describe calls every ten seconds, not one per request.
 */
export const HEALTH_CACHE_MS = 10_000;

export type HealthProbe = () => Promise<{ healthy: boolean; checks: Record<string, string> }>;

/** The cached probe both routes read; a failure of the probe itself is reported as a check. */
export function cachedHealthProbe(deps: ApiDependencies, cacheMs = HEALTH_CACHE_MS): HealthProbe {
  const cache = shortCache(
    async () => {
      let checks: Record<string, string>;
      try {
        checks = await deps.health();
      } catch (error) {
        checks = { health: `the health probe failed: ${error instanceof Error ? error.name : "error"}` };
      }
      return { healthy: Object.values(checks).every((result) => result === "ok"), checks };
    },
    cacheMs,
    () => deps.now().getTime(),
  );
  return () => cache.get("health");
}

export function healthRoutes(probe: HealthProbe): Hono<ApiEnv> {
  return new Hono<ApiEnv>().get("/health", async (c) => {
    const { healthy } = await probe();
    return c.json({ status: healthy ? "ok" : "degraded" }, healthy ? 200 : 503);
  });
}

/** Mounted behind the token check. */
export function healthDetailRoutes(deps: ApiDependencies, probe: HealthProbe): Hono<ApiEnv> {
  return new Hono<ApiEnv>().get("/health/details", async (c) => {
    assertOperator(c.get("principal"), "read the health details");
    const { healthy, checks } = await probe();
    return c.json(
      { status: healthy ? "ok" : "degraded", version: deps.version, checks },
      healthy ? 200 : 503,
    );
  });
}
