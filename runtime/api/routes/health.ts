import { Hono } from "hono";
import type { ApiDependencies } from "../dependencies.js";
import type { ApiEnv } from "../env.js";

/**
 * `GET /health`, without auth, for load balancers and uptime checks: 200 when every table and queue
 * answers, 503 naming the ones that do not. A failure of the health probe itself is reported as a check.
 */
export function healthRoutes(deps: ApiDependencies): Hono<ApiEnv> {
  return new Hono<ApiEnv>().get("/health", async (c) => {
    let checks: Record<string, string>;
    try {
      checks = await deps.health();
    } catch (error) {
      checks = { health: `the health probe failed: ${error instanceof Error ? error.name : "error"}` };
    }
    const healthy = Object.values(checks).every((result) => result === "ok");
    return c.json(
      { status: healthy ? "ok" : "degraded", version: deps.version, checks },
      healthy ? 200 : 503,
    );
  });
}
