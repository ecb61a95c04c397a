import { Hono } from "hono";
import { createApp } from "../../runtime/api/app.js";
import { consoleRoutes } from "../../runtime/api/console/routes.js";
import type { RunView } from "../../runtime/core/ports/api.js";
import { aRun, fakeApi } from "../api/factories.js";
import { recordingLog } from "../support/log.js";

/**
 * The console over the API with in-memory dependencies (test/api/factories.ts), where each tenant's
 * status also reports `heldDeactivations` when `held` says so: the field the deactivation guard
 * (issue 9) adds to the API, which this console shows. Records the bodies of the POSTs it receives.
 */
export function consoleOverFakeApi(held: Record<string, number> = {}) {
  const { deps, state } = fakeApi();
  const api = createApp(deps, { log: recordingLog() });
  const posts: { path: string; body: string }[] = [];
  const request = async (path: string, init: { headers: Record<string, string> }) => {
    const response = await api.request(path, init);
    const tenantId = /^\/tenants\/([^/]+)\/status$/.exec(path)?.[1];
    if (!tenantId || held[tenantId] === undefined) return response;
    const body = { ...((await response.json()) as object), heldDeactivations: held[tenantId] };
    return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
  };
  const app = new Hono()
    .route("/", consoleRoutes({ request, now: deps.now }))
    .post("*", async (c, next) => {
      posts.push({ path: c.req.path, body: await c.req.raw.clone().text() });
      await next();
    })
    .all("*", (c) => api.fetch(c.req.raw));
  return { app, deps, state, posts };
}

/** A finished run of acme-staging that held `count` deactivations, the API keeping the first 50 keys. */
export function aHeldRun(count: number): RunView {
  const keys = Array.from({ length: Math.min(count, 50) }, (_, i) => String(7_001 + i));
  return aRun({
    runId: "20250310T100000.000Z-hhhhhhhhhhhh",
    status: "partial",
    reason: `held ${count} deactivations, limit 125`,
    heldDeactivations: { count, limit: 125, fingerprint: "f".repeat(32), keys },
  });
}
