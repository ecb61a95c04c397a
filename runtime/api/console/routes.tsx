import { type Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Principal } from "../../core/ports/api.js";
import type { ApiEnv } from "../common/env.js";
import { type ApiReader, type ApiRequest, apiReader, ConsoleApiError, segment } from "./api.js";
import { CONSOLE_CSP, Shell } from "./layout.js";
import { runFragment } from "./run-page.js";
import { stockFilterQuery, stockFragment } from "./stock-page.js";
import { tenantFragment } from "./tenant-page.js";
import { tenantsFragment } from "./tenants-page.js";

/** How often each page fetches its data again, ms. */
const REFRESH_MS = { tenants: 5_000, tenant: 2_000, run: 2_000, stock: 10_000 } as const;

/**
 * The operator console, `GET /console` and its pages, on the API itself (same function, same tokens).
 *
 * - `/console`, `/console/tenants/:id`, `/console/tenants/:id/stock?location=&item=`,
 *   `/console/runs/:runId`: the pages. They hold no data, so they
 *   need no token; the browser keeps the token (sessionStorage) and sends it with every call.
 * - `/console/fragments/…`: each page's data as server-rendered HTML, read from the JSON API with the
 *   caller's Authorization header; an error is the API's own JSON error with its status.
 * - The buttons call the JSON API directly (`POST /tenants/:id/runs`, `/pause`, `/resume`, `/verify`);
 *   only an operator's token gets them (the API refuses a tenant token's actions anyway).
 */
export interface ConsoleDependencies {
  request: ApiRequest;
  /** Who the caller's Authorization header names (undefined: nobody), to offer actions to operators only. */
  principal: (authorization: string | undefined) => Promise<Principal | undefined>;
  now: () => Date;
}

export function consoleRoutes(deps: ConsoleDependencies): Hono<ApiEnv> {
  return new Hono<ApiEnv>()
    .get("/console", (c) =>
      page(c, <Shell title="Tenants" fragment="/console/fragments/tenants" refreshMs={REFRESH_MS.tenants} />),
    )
    .get("/console/tenants/:id", (c) => {
      const id = c.req.param("id");
      return page(
        c,
        <Shell
          title={`Tenant ${id}`}
          trail={[{ href: `/console/tenants/${segment(id)}`, label: id }]}
          fragment={`/console/fragments/tenants/${segment(id)}`}
          refreshMs={REFRESH_MS.tenant}
        />,
      );
    })
    .get("/console/tenants/:id/stock", (c) => {
      const id = c.req.param("id");
      const filters = stockFilterQuery(c.req.query());
      return page(
        c,
        <Shell
          title={`Stock of ${id}`}
          trail={[
            { href: `/console/tenants/${segment(id)}`, label: id },
            { href: `/console/tenants/${segment(id)}/stock`, label: "stock" },
          ]}
          fragment={`/console/fragments/tenants/${segment(id)}/stock${filters}`}
          refreshMs={REFRESH_MS.stock}
        />,
      );
    })
    .get("/console/runs/:runId", (c) => {
      const runId = c.req.param("runId");
      return page(
        c,
        <Shell
          title={`Run ${runId}`}
          trail={[{ href: `/console/runs/${segment(runId)}`, label: runId }]}
          fragment={`/console/fragments/runs/${segment(runId)}`}
          refreshMs={REFRESH_MS.run}
        />,
      );
    })
    .get("/console/", withoutTrailingSlash)
    .get("/console/tenants/:id/", withoutTrailingSlash)
    .get("/console/tenants/:id/stock/", withoutTrailingSlash)
    .get("/console/runs/:runId/", withoutTrailingSlash)
    .get("/console/fragments/tenants", (c) => fragment(c, deps, (api) => tenantsFragment(api, deps.now())))
    .get("/console/fragments/tenants/:id", (c) =>
      fragment(c, deps, (api, operator) => tenantFragment(api, c.req.param("id"), deps.now(), operator)),
    )
    .get("/console/fragments/tenants/:id/stock", (c) =>
      fragment(c, deps, (api, operator) => stockFragment(api, c.req.param("id"), c.req.query(), operator)),
    )
    .get("/console/fragments/runs/:runId", (c) =>
      fragment(c, deps, (api) => runFragment(api, c.req.param("runId"))),
    );
}

/**
 * A page's address with a trailing slash (typed by hand, or completed so by a browser), sent to the
 * page with its query: it would otherwise meet the token check as an unknown path, and answer 401.
 */
function withoutTrailingSlash(c: Context<ApiEnv>): Response {
  const { pathname, search } = new URL(c.req.url);
  return c.redirect(`${pathname.replace(/\/+$/, "")}${search}`, 308);
}

/** A page: the shell, with headers that keep it from being framed, cached or fed other scripts. */
function page(c: Context<ApiEnv>, body: Child): Response {
  c.header("Content-Security-Policy", CONSOLE_CSP);
  c.header("Cache-Control", "no-store");
  c.header("X-Content-Type-Options", "nosniff");
  return c.html(`<!doctype html>${body}`);
}

/** A page's data: the rendered HTML, or the API's error (JSON, with the API's status) for the script to show. */
async function fragment(
  c: Context<ApiEnv>,
  deps: Pick<ConsoleDependencies, "request" | "principal">,
  /** `operator`: the caller may act, so the page offers its buttons. */
  render: (api: ApiReader, operator: boolean) => Promise<Child>,
): Promise<Response> {
  c.header("Cache-Control", "no-store");
  const authorization = c.req.header("authorization");
  try {
    const operator = (await deps.principal(authorization))?.kind === "operator";
    const body = await render(apiReader(deps.request, authorization), operator);
    return c.html(String(body));
  } catch (error) {
    if (!(error instanceof ConsoleApiError)) throw error;
    if (error.status === 401) c.header("WWW-Authenticate", 'Bearer realm="siesa-integration"');
    return c.json(error.body, error.status as ContentfulStatusCode);
  }
}
