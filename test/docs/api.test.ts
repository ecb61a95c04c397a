import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../runtime/api/common/errors.js";
import {
  NO_COMPLETE_STOCK_RUN,
  STOCK_RUN_REPLACED,
  UNKNOWN_STOCK_LOCATION,
} from "../../runtime/api/routes/stock.js";
import { apiUnderTest, aRun } from "../api/factories.js";
import { documents, firstTable, readDoc, section } from "./markdown.js";

/**
 * docs/api.md's "## Routes" table against the app: a newcomer reads it as the list of what the API
 * serves, who may call it and what each route takes, so every line must be true of createApp.
 */

interface DocumentedRoute {
  method: string;
  /** The path as the table writes it (`/tenants/:id/runs`); `/console/` for the row's `/console/…`. */
  path: string;
  /** `/console/…`: every path under it. */
  underPath: boolean;
  /** The query parameters the table names (`?limit=&cursor=`). */
  query: string[];
  /** The row's second cell: `operator: …`, `anonymous: …`, or what anyone with a token may read. */
  what: string;
}

function documentedRoutes(): DocumentedRoute[] {
  const rows = firstTable(section(readDoc("docs/api.md"), "Routes", "docs/api.md"));
  return rows.flatMap(([routes = "", what = ""]) => {
    let method = "";
    return [...routes.matchAll(/`([^`]+)`/g)].map(([, spec = ""]) => {
      const parsed = /^(?:(GET|POST|PUT|PATCH|DELETE) )?(\/[^?\s]*)(?:\?(.*))?$/.exec(spec);
      if (!parsed) throw new Error(`docs/api.md, Routes: \`${spec}\` is not "METHOD /path?param=&…"`);
      method = parsed[1] ?? method;
      const [, , written = "", query = ""] = parsed;
      const underPath = written.endsWith("/…");
      return {
        method,
        path: underPath ? written.slice(0, -1) : written,
        underPath,
        query: query ? query.split("&").map((pair) => pair.replace(/=.*$/, "")) : [],
        what,
      };
    });
  });
}

const matches = (route: DocumentedRoute, method: string, path: string) =>
  route.method === method && (route.underPath ? path.startsWith(route.path) : route.path === path);

/** The app over the fake dependencies, with a run of acme-staging so that `/runs/:runId` finds one. */
function api() {
  const under = apiUnderTest();
  const run = aRun();
  under.state.runs.push(run);
  const concrete = (path: string) =>
    path.replace(":id", run.tenantId).replace(":runId", run.runId).replace(":f120Id", "42");
  return { ...under, concrete };
}

const served = () => {
  const { app } = api();
  const routes = app.routes
    .filter((route) => route.method !== "ALL")
    .map(({ method, path }) => ({ method, path }));
  return [...new Map(routes.map((route) => [`${route.method} ${route.path}`, route])).values()];
};

const documented = documentedRoutes();
const exact = documented.filter((route) => !route.underPath);
/** The JSON API's routes (the console's pages are tested on their own below). */
const jsonRoutes = exact.filter((route) => !route.path.startsWith("/console"));

describe("docs/api.md's routes (the Routes table)", () => {
  it("documents every route the app serves", () => {
    const undocumented = served().filter(
      ({ method, path }) => !documented.some((r) => matches(r, method, path)),
    );

    expect(undocumented).toEqual([]);
  });

  it("lists only routes the app serves", () => {
    const routes = served();
    const missing = documented.filter(
      (doc) => !routes.some(({ method, path }) => matches(doc, method, path)),
    );

    expect(served().length).toBeGreaterThan(10);
    expect(missing.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it.each(
    exact.filter((route) => route.query.length > 0).map((route) => [`${route.method} ${route.path}`, route]),
  )("%s: names exactly the query parameters the route knows", async (_, route) => {
    const { call, concrete } = api();

    const { status, body } = await call(route.method, `${concrete(route.path)}?not-a-parameter=1`);

    expect(status).toBe(400);
    const known = /\(known: ([^)]*)\)/.exec(body.error.message)?.[1]?.split(", ");
    expect(known?.sort()).toEqual([...route.query].sort());
  });

  it.each(jsonRoutes.map((route) => [`${route.method} ${route.path}`, route]))(
    "%s: asks for the token the table says",
    async (_, route) => {
      const { call, concrete } = api();
      const path = concrete(route.path);

      const anonymous = await call(route.method, path, "nobody");
      const tenantToken = await call(route.method, path, "acme");

      if (route.what.startsWith("anonymous")) expect(anonymous.status).not.toBe(401);
      else expect(anonymous.status).toBe(401);
      // A tenant token on its own tenant: refused only where the table says operator.
      if (route.what.startsWith("operator")) expect(tenantToken.status).toBe(403);
      else expect(tenantToken.status).not.toBe(403);
    },
  );

  it("serves the console's pages without a token, as the table says", async () => {
    const { app } = api();

    const response = await app.request("/console");

    expect(documented.some((route) => route.underPath && route.path === "/console/")).toBe(true);
    expect(response.status).toBe(200);
  });
});

describe("the routes every document names", () => {
  /** A path as a pattern: `:runId`, `<id>` and `:id` alike stand for one segment. */
  const pattern = (path: string) =>
    new RegExp(
      `^${path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/(:[A-Za-z0-9]+|<[^>]+>)/g, "[^/]+")}$`,
    );
  const routes = served();

  it.each(documents())("%s names only routes the API serves", (file) => {
    // This API's own paths only: the documents also quote Siesa's and the products' endpoints.
    const named = [
      ...readDoc(file).matchAll(
        /\b(GET|POST|PUT|PATCH|DELETE) (\/(?:tenants|runs|health|console)[^\s`)"',;?]*)/g,
      ),
    ];
    const unknown = named
      .map(([, method = "", path = ""]) => ({ method, path }))
      .filter(
        ({ method, path }) =>
          !routes.some(
            (route) =>
              route.method === method &&
              pattern(route.path).test(path.replace(/(:[A-Za-z0-9]+|<[^>]+>)/g, "x")),
          ),
      );

    expect(unknown.map(({ method, path }) => `${method} ${path}`)).toEqual([]);
  });
});

describe("docs/api.md's error codes (the Errors section)", () => {
  const errors = section(readDoc("docs/api.md"), "Errors", "docs/api.md").replace(/\s+/g, " ");

  it.each(Object.entries(ERROR_CODES))("names status %s with its code %s", (status, code) => {
    expect(errors).toContain(`\`${status} ${code}\``);
  });

  it.each([NO_COMPLETE_STOCK_RUN, UNKNOWN_STOCK_LOCATION, STOCK_RUN_REPLACED])(
    "names the more specific code %s",
    (code) => {
      expect(errors).toContain(`\`${code}\``);
    },
  );
});
