import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type Log, logger } from "../core/observability/logger.js";
import type { ApiDependencies } from "../core/ports/api.js";
import { principalOf, requireToken } from "./common/auth.js";
import type { ApiEnv } from "./common/env.js";
import { ApiError, errorBody, errorResponse } from "./common/errors.js";
import { consoleRoutes } from "./console/routes.js";
import { controlRoutes } from "./routes/control.js";
import { cachedHealthProbe, healthDetailRoutes, healthRoutes } from "./routes/health.js";
import { runRoutes } from "./routes/runs.js";
import { stockRoutes } from "./routes/stock.js";
import { tenantRoutes } from "./routes/tenants.js";

/**
 * The HTTP API, the same app under `hono/aws-lambda` (runtime/lambda/api.ts) and `@hono/node-server`
 * (the local stack). Everything but `GET /health` needs a bearer token; the token check runs before
 * routing, so without a valid token even an unknown path answers 401 (nothing about the API leaks).
 * `GET /health` itself says only "ok" or "degraded"; the details need an operator token.
 * The operator console's pages (`/console…`) are the other exception: they are empty frames, see console/.
 */
/** The largest request body any route reads: its bodies are a few small fields. */
export const MAX_BODY_BYTES = 256 * 1024;

export function createApp(deps: ApiDependencies, options: { log?: Log } = {}): Hono<ApiEnv> {
  const log = options.log ?? logger;
  const app = new Hono<ApiEnv>();
  app.onError((error, c) => errorResponse(c, error, log));
  app.notFound((c) => {
    const { method, path } = c.req;
    return c.json(errorBody(new ApiError(404, `no route ${method} ${path}`, { method, path })), 404);
  });

  const health = cachedHealthProbe(deps);
  app.route("/", healthRoutes(health));
  // The console's pages hold no data, so they come before the token check; their data is read through
  // this same app with the caller's token (runtime/api/console/routes.tsx).
  app.route(
    "/",
    consoleRoutes({
      request: async (path, init) => app.request(path, init),
      principal: (authorization) => principalOf(deps.tokens, authorization),
      now: () => deps.now(),
    }),
  );
  app.use("*", requireToken(deps.tokens));
  // Before any route reads it: a body over the limit is refused from its Content-Length, or, sent
  // without one, once the part read passes the limit (the rest is never read). The console's pages
  // above take no body.
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, `the request body is over ${MAX_BODY_BYTES} bytes`, {
          limitBytes: MAX_BODY_BYTES,
        });
      },
    }),
  );
  app.route("/", healthDetailRoutes(deps, health));
  app.route("/", tenantRoutes(deps));
  app.route("/", runRoutes(deps, log));
  app.route("/", stockRoutes(deps));
  app.route("/", controlRoutes(deps, log));
  return app;
}
