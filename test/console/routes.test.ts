import { describe, expect, it } from "vitest";
import { zeroCounts } from "../../runtime/core/domain/model.js";
import { stockKey } from "../../runtime/core/streams/stock.js";
import { apiUnderTest, aRun, TOKENS } from "../api/factories.js";
import { aHeldRun, aStockRow, consoleOverFakeApi, STOCK_RUN, withStock } from "./support.js";

/**
 * The console's routes without a browser: what each answer holds and who may see it.
 * (The pages in a real browser: stack.test.ts and pages.test.ts.)
 */

const bearer = (token: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[token]}` });

describe("the console's pages", () => {
  it("are served without a token and hold no data, only the frame and the sign-in form", async () => {
    const { app } = apiUnderTest();

    const response = await app.request("/console");

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<label>Token");
    expect(html).not.toContain("acme-staging");
  });

  it("say, to a browser that runs no script, that the console needs it, rather than show an empty page", async () => {
    const { app } = apiUnderTest();

    const html = await (await app.request("/console/tenants/acme-staging")).text();

    // Without the script the sign-in form and the data stay hidden: this is all such a browser shows.
    expect(html).toMatch(/<noscript>[^<]*<p[^>]*>[^<]*needs JavaScript[^<]*<\/p>/);
  });

  it("allow only their own inline script and stylesheet, and cannot be framed", async () => {
    const { app } = apiUnderTest();

    const csp = (await app.request("/console/tenants/acme-staging")).headers.get("content-security-policy");

    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
  });

  it("asked with a trailing slash (an address typed by hand), are redirected to the page rather than refused 401 like an API call", async () => {
    const { app } = apiUnderTest();

    const home = await app.request("/console/");
    const stock = await app.request("/console/tenants/acme-staging/stock/?location=L1");

    expect(home.status).toBe(308);
    expect(home.headers.get("location")).toBe("/console");
    expect(stock.status).toBe(308);
    expect(stock.headers.get("location")).toBe("/console/tenants/acme-staging/stock?location=L1");
  });

  it("keep the token check on their data, trailing slash or not", async () => {
    const { app } = apiUnderTest();

    const response = await app.request("/console/fragments/tenants/");

    expect(response.status).toBe(401);
  });

  it("escape what comes from the address", async () => {
    const { app } = apiUnderTest();

    const html = await (await app.request("/console/runs/%3Cscript%3Ealert(1)%3C%2Fscript%3E")).text();

    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });
});

describe("the console's data", () => {
  it("needs the token: without one it is the API's own 401", async () => {
    const { app } = apiUnderTest();

    const response = await app.request("/console/fragments/tenants");

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("shows a tenant token its own tenant only", async () => {
    const { app } = apiUnderTest();

    const html = await (await app.request("/console/fragments/tenants", { headers: bearer("acme") })).text();

    expect(html).toContain(">acme-staging</a>");
    expect(html).not.toContain("globex-prod");
  });

  it("offers a read-only tenant token no operator action: its tenant page and stock page have no buttons that act", async () => {
    // prepare: a run that held deactivations (an Approve for an operator) and a tenant with no stock run yet
    const { app, state } = apiUnderTest();
    state.runs.push(aHeldRun(12));
    await withStock(state, [], false);
    const read = async (path: string, token: keyof typeof TOKENS) =>
      (await app.request(path, { headers: bearer(token) })).text();

    // act
    const tenantAsTenant = await read("/console/fragments/tenants/acme-staging", "acme");
    const stockAsTenant = await read("/console/fragments/tenants/acme-staging/stock", "acme");
    const tenantAsOperator = await read("/console/fragments/tenants/acme-staging", "operator");

    // assess: the tenant token reads the same data, and is told why there is nothing to press
    for (const html of [tenantAsTenant, stockAsTenant]) {
      expect(html).not.toContain("data-action");
      expect(html).toContain("This token is read-only");
    }
    expect(tenantAsTenant).toContain("12 deactivations are held");
    expect(tenantAsTenant).not.toMatch(/>(Run now|Pause|Resume|Verify|Approve)</);
    expect(stockAsTenant).toContain("No stock run has completed yet");
    expect(stockAsTenant).not.toContain("Run stock now");
    expect(tenantAsOperator.match(/data-action=/g)).toHaveLength(4); // Run now, Pause, Verify, Approve
  });

  it("offers no Pause or Resume for a tenant with no schedule deployed in this stack, and says so instead of a next run", async () => {
    // prepare: the API would answer Pause and Resume 409
    const { app, state } = apiUnderTest();
    state.scheduleStates.delete("acme-staging");

    // act
    const html = await (
      await app.request("/console/fragments/tenants/acme-staging", { headers: bearer("operator") })
    ).text();

    // assess
    expect(html).not.toMatch(/data-action="[^"]*\/(pause|resume)"/);
    expect(html).toContain("no schedule is deployed for this tenant in this stack");
    expect(html).not.toMatch(/<dt>Next run<\/dt><dd>\d{4}-/);
    expect(html).toMatch(/>Run now</);
  });

  it("lists a tenant with no schedule deployed in this stack with no next run, saying why", async () => {
    // prepare
    const { app, state } = apiUnderTest();
    state.scheduleStates.delete("acme-staging");

    // act
    const html = await (
      await app.request("/console/fragments/tenants", { headers: bearer("operator") })
    ).text();

    // assess: globex-prod's next run is shown, acme-staging's never comes
    const row = (id: string) => html.slice(html.indexOf(`>${id}</a>`)).split("</tr>")[0] ?? "";
    expect(row("globex-prod")).toMatch(/<span title="\d{4}-[^"]+">in /);
    expect(row("acme-staging")).not.toMatch(/<span title="\d{4}-[^"]+">in /);
    expect(row("acme-staging")).toContain("no schedule deployed");
  });

  it("answers the API's error, with its status, when the API refuses", async () => {
    const { app } = apiUnderTest();

    const response = await app.request("/console/fragments/tenants/globex-prod", { headers: bearer("acme") });

    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      error: { message: "this token may not read tenant globex-prod" },
    });
  });

  it("lists a run's rejected records with their reasons", async () => {
    const { app, state } = apiUnderTest();
    state.runs.push(aRun({ runId: "r-partial", status: "partial" }));

    const html = await (
      await app.request("/console/fragments/runs/r-partial", { headers: bearer("operator") })
    ).text();

    expect(html).toContain("f120_referencia: must not be empty");
    expect(html).toContain("data-final");
  });

  it("shows a verify run's report: how many records were ok, missing, drifted and unknown, which, and the repair", async () => {
    // prepare: what Verify (POST /tenants/:id/verify with repair) leaves on its run
    const { app, state } = apiUnderTest();
    state.runs.push(
      aRun({
        runId: "r-verify",
        trigger: "verify",
        status: "partial",
        reason: "not ok: 1 missing, 1 drifted, 0 unknown",
        counts: zeroCounts(),
        errors: [],
        verify: {
          tenantId: "acme-staging",
          product: "kong-rfid",
          startedAt: "2025-03-10T11:00:00.000Z",
          durationMs: 1_000,
          read: { product: 5, ledger: 5 },
          counts: { ok: 3, missing: 1, drifted: 1, unknown: 1 },
          differences: [
            {
              status: "missing",
              key: "1042",
              productId: "p-1042",
              detail: "gone from the product since run r-1 wrote it",
            },
            {
              status: "drifted",
              key: "1043",
              productId: "p-1043",
              externalId: "1043",
              detail: "changed in the product since run r-1 wrote it",
            },
            {
              // Neither a ledger key nor an external id: its product id is all that names it.
              status: "unknown",
              productId: "p-9001",
              detail: "in the product for this tenant, but not in the ledger",
            },
          ],
          repair: { marked: 2, runId: "r-repair" },
        },
      }),
    );

    // act
    const html = await (
      await app.request("/console/fragments/runs/r-verify", { headers: bearer("operator") })
    ).text();

    // assess
    expect(html).toContain("Verify report");
    expect(html).toMatch(/ok<\/th><td class="num">3</);
    expect(html).toMatch(/missing<\/th><td class="num">1</);
    expect(html).toMatch(/drifted<\/th><td class="num">1</);
    expect(html).toContain("gone from the product since run r-1 wrote it");
    expect(html).toContain("<code>1043</code>");
    expect(html).toContain("<code>p-9001</code>");
    expect(html).toContain('<a href="/console/runs/r-repair">r-repair</a>');
  });

  it("says why a run failed only of a failed run: a partial run's reason is its reason", async () => {
    // prepare
    const { app, state } = apiUnderTest();
    state.runs.push(aHeldRun(80), aRun({ runId: "r-failed", status: "failed", reason: "Siesa unreachable" }));
    const html = async (runId: string) =>
      (await app.request(`/console/fragments/runs/${runId}`, { headers: bearer("operator") })).text();

    // act
    const partial = await html(aHeldRun(80).runId);
    const failed = await html("r-failed");

    // assess
    expect(partial).toContain("<dt>Reason</dt><dd>held 80 deactivations, limit 125</dd>");
    expect(partial).not.toContain("Why it failed");
    expect(failed).toContain("<dt>Why it failed</dt><dd>Siesa unreachable</dd>");
  });

  it("says which stream a run synced, in the tenant's history and on the run's page: a stock run is not the catalogue's", async () => {
    // prepare: a catalogue run and a stock run of acme-staging
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042)]);
    state.runs.push(aRun({ runId: "r-catalogue" }));
    const read = async (path: string) => (await app.request(path, { headers: bearer("operator") })).text();

    // act
    const tenant = await read("/console/fragments/tenants/acme-staging");
    const stockRun = await read(`/console/fragments/runs/${STOCK_RUN.runId}`);
    const catalogueRun = await read("/console/fragments/runs/r-catalogue");

    // assess
    const history = tenant.slice(tenant.indexOf('id="history"'));
    const row = (runId: string) => history.slice(history.indexOf(`>${runId}</a>`)).split("</tr>")[0] ?? "";
    expect(row(STOCK_RUN.runId)).toContain("<td>stock</td>");
    expect(row("r-catalogue")).toContain("<td>catalogue</td>");
    expect(stockRun).toContain("<dt>Stream</dt><dd>stock</dd>");
    expect(catalogueRun).toContain("<dt>Stream</dt><dd>catalogue</dd>");
  });

  it("offers a run's exceptions as a CSV download, read from the API", async () => {
    const { app, state } = apiUnderTest();
    state.runs.push(aRun({ runId: "r-partial", status: "partial" }));

    const html = await (
      await app.request("/console/fragments/runs/r-partial", { headers: bearer("operator") })
    ).text();

    expect(html).toContain(
      '<button type="button" data-download="/runs/r-partial/exceptions?limit=1000" data-filename="exceptions-r-partial.csv">Download exceptions (CSV)</button>',
    );
  });
});

describe("what Siesa and the product send", () => {
  const hostile = `<script>alert("x")</script>'"&`;
  const escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&quot;&amp;";

  it("is shown as text on every page, never as markup: a reason, a reference, a key, a warehouse", async () => {
    // prepare: a failed run whose reason and record are the product's and Siesa's words, and stock
    const { app, state } = apiUnderTest();
    state.runs.push(
      aRun({
        runId: "r-hostile",
        status: "failed",
        reason: hostile,
        errors: [{ key: hostile, outcome: "rejected", reason: hostile }],
      }),
    );
    await withStock(state, [{ ...aStockRow(hostile, 1042), reference: hostile }]);
    const read = async (path: string) => (await app.request(path, { headers: bearer("operator") })).text();

    // act
    const pages = await Promise.all(
      [
        "/console/fragments/tenants",
        "/console/fragments/tenants/acme-staging",
        "/console/fragments/runs/r-hostile",
        "/console/fragments/tenants/acme-staging/stock",
      ].map(read),
    );

    // assess
    for (const html of pages) {
      expect(html).not.toContain("<script>");
      expect(html).toContain(escaped);
    }
  });
});

describe("held deactivations", () => {
  it("show their number, the first keys, and an Approve button that names the run that held them", async () => {
    const { app, state } = consoleOverFakeApi();
    const held = aHeldRun(600);
    state.runs.push(held);

    const html = await (
      await app.request("/console/fragments/tenants/acme-staging", { headers: bearer("operator") })
    ).text();

    expect(html).toContain("600 deactivations are held");
    expect(html).toContain("f120_id <code>7001, 7002, 7003");
    expect(html).toContain("7050</code> and 550 more");
    expect(html).toContain(`data-body="{&quot;approveDeactivationsOf&quot;:&quot;${held.runId}&quot;}"`);
    expect(html).toMatch(/<button[^>]*>Approve<\/button>/);
  });

  it("are listed on the page of the run that held them", async () => {
    const { app, state } = consoleOverFakeApi();
    const held = aHeldRun(12);
    state.runs.push(held);

    const html = await (
      await app.request(`/console/fragments/runs/${held.runId}`, { headers: bearer("operator") })
    ).text();

    expect(html).toContain("12 deactivations held (limit 125)");
    expect(html).toContain(
      "f120_id <code>7001, 7002, 7003, 7004, 7005, 7006, 7007, 7008, 7009, 7010, 7011, 7012</code>",
    );
  });

  it("of a stock run show on the tenant's page with an Approve for that stream, and its run's page says how to approve them", async () => {
    // prepare: the last stock run held 3 rows' deactivation
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042)]);
    const heldStock = aRun({
      runId: "20250310T100000.000Z-hhhhhhhhstck",
      stream: "stock",
      complete: true,
      status: "partial",
      reason: "held 3 deactivations, limit 1",
      heldDeactivations: {
        count: 3,
        limit: 1,
        fingerprint: "f".repeat(32),
        keys: ["NB1|1|01", "NB1|2|01", "NB1|3|01"],
      },
    });
    state.runs.push(heldStock);
    const read = async (path: string) => (await app.request(path, { headers: bearer("operator") })).text();

    // act
    const tenant = await read("/console/fragments/tenants/acme-staging");
    const run = await read(`/console/fragments/runs/${heldStock.runId}`);

    // assess
    expect(tenant).toContain("Held deactivations of stock");
    expect(tenant).toContain("3 deactivations are held");
    expect(tenant).toContain(
      `data-body="{&quot;stream&quot;:&quot;stock&quot;,&quot;approveDeactivationsOf&quot;:&quot;${heldStock.runId}&quot;}"`,
    );
    expect(run).toContain(
      `{&quot;stream&quot;: &quot;stock&quot;, &quot;approveDeactivationsOf&quot;: &quot;${heldStock.runId}&quot;}`,
    );
    // Their keys are the stock rows' (location|item|installation), no f120_id.
    for (const html of [tenant, run]) {
      expect(html).toContain("<code>NB1|1|01, NB1|2|01, NB1|3|01</code>");
      expect(html).not.toContain("f120_id <code>NB1");
    }
  });

  it("of a stock run are counted in the tenants table", async () => {
    // prepare
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042)]);
    state.runs.push(
      aRun({
        runId: "20250310T100000.000Z-hhhhhhhhstck",
        stream: "stock",
        complete: true,
        status: "partial",
        heldDeactivations: { count: 3, limit: 1, fingerprint: "f".repeat(32), keys: ["NB1|1|01"] },
      }),
    );

    // act
    const html = await (
      await app.request("/console/fragments/tenants", { headers: bearer("operator") })
    ).text();

    // assess
    expect(html).toContain('<th scope="col">Held deactivations</th>');
    const row = html.slice(html.indexOf(">acme-staging</a>")).split("</tr>")[0] ?? "";
    expect(row).toContain('<td class="num">3</td>');
  });

  it("appear in the tenants table only when the API reports them", async () => {
    const reported = consoleOverFakeApi({ "acme-staging": 3 });
    const silent = consoleOverFakeApi();

    const withField = await (
      await reported.app.request("/console/fragments/tenants", { headers: bearer("operator") })
    ).text();
    const without = await (
      await silent.app.request("/console/fragments/tenants", { headers: bearer("operator") })
    ).text();

    expect(withField).toContain("Held deactivations");
    expect(without).not.toContain("Held deactivations");
    expect(without).not.toContain("Approve");
  });
});

describe("the stock page", () => {
  const fragmentOf = async (
    app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
    path: string,
  ) => {
    const response = await app.request(path, { headers: bearer("operator") });
    return { status: response.status, html: await response.text() };
  };

  it("is linked from the tenant page of a tenant that syncs stock, and only from those", async () => {
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042)]);

    const stocked = await fragmentOf(app, "/console/fragments/tenants/acme-staging");
    const other = await fragmentOf(app, "/console/fragments/tenants/globex-prod");

    expect(stocked.html).toContain('<a href="/console/tenants/acme-staging/stock">Expected stock</a>');
    expect(other.html).not.toContain("/stock");
  });

  it("shows when the run read Siesa, the rows of the filter, and a download of them all", async () => {
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042), aStockRow("NB1", 1043), aStockRow("PPAL", 1042)]);

    const { status, html } = await fragmentOf(
      app,
      "/console/fragments/tenants/acme-staging/stock?location=NB1",
    );

    expect(status).toBe(200);
    expect(html).toContain("from 2025-03-10 09:00:00 UTC to 2025-03-10 09:02:00 UTC");
    expect(html).toContain("<td>1042</td>");
    expect(html).toContain("<td>1043</td>");
    expect(html).not.toContain("PPAL</td>");
    expect(html).toContain('name="location" value="NB1"');
    expect(html).toContain(
      'data-download="/tenants/acme-staging/stock?limit=10000&amp;location=NB1&amp;run=20250310T090000.000Z-ssssssssssss" data-run="20250310T090000.000Z-ssssssssssss" data-filename="stock-acme-staging-20250310T090000.000Z-ssssssssssss.csv"',
    );
  });

  it("says when its run read Siesa only in times that stay true on a page that is not refreshed, and how to see a later run", async () => {
    // prepare: the run finished three hours before the page is read
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042)]);

    // act
    const { html } = await fragmentOf(app, "/console/fragments/tenants/acme-staging/stock");

    // assess: the page stops refreshing (data-final), so "3 h ago" would still read so tomorrow
    expect(html).toContain("data-final");
    expect(html).toContain("from 2025-03-10 09:00:00 UTC to 2025-03-10 09:02:00 UTC");
    expect(html).not.toMatch(/ ago\b|just now/);
    expect(html).toContain("This page does not refresh: reload it to see a later stock run.");
  });

  it("marks a row the stock run rejected, with the reason, beside the quantities of the last read that mapped it", async () => {
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042), aStockRow("NB1", 1043)]);
    const reason = 'f400_cant_existencia_1 must be a number (got "n/a")';
    await state.addErrors(STOCK_RUN.runId, [
      { key: stockKey("NB1", 1043, "01"), outcome: "rejected", reason, step: "mapping" },
    ]);

    const { html } = await fragmentOf(app, "/console/fragments/tenants/acme-staging/stock");

    expect(html).toContain('<th scope="col">Rejected</th>');
    expect(html).toContain("<td>1043</td>");
    expect(html).toContain(`<td class="rejected">${reason.replaceAll('"', "&quot;")}</td>`);
    expect(html.match(/class="rejected"/g)).toHaveLength(1);
    expect(html).toContain(
      "its quantities are those of the last run that could, which Siesa no longer holds",
    );
  });

  it("keeps the filter form, with the API's reason, when the API refuses a filter", async () => {
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042)]);

    const { status, html } = await fragmentOf(app, "/console/fragments/tenants/acme-staging/stock?item=12x");

    expect(status).toBe(200);
    expect(html).toContain('name="item" value="12x"');
    expect(html).toContain("invalid query parameter item: must be an f120_id");
  });

  it("keeps the filter form, with the API's reason, for a location the stock run has no row of", async () => {
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042), aStockRow("PPAL", 1042)]);

    const { status, html } = await fragmentOf(
      app,
      "/console/fragments/tenants/acme-staging/stock?location=nb1",
    );

    expect(status).toBe(200);
    expect(html).toContain('name="location" value="nb1"');
    expect(html).toContain("has no location nb1 in its last complete stock run");
    expect(html).toContain("its locations are NB1, PPAL");
  });

  it("before any stock run has completed, shows the last stock run that did not, so a failed Run stock now is seen", async () => {
    // prepare: the operator's stock run failed
    const { app, state } = apiUnderTest();
    await withStock(state, [], false);
    state.runs.push(
      aRun({
        runId: "r-stock-failed",
        stream: "stock",
        status: "failed",
        reason: "Siesa unreachable",
        errors: [],
      }),
    );

    // act
    const { html } = await fragmentOf(app, "/console/fragments/tenants/acme-staging/stock");

    // assess
    expect(html).toContain("No stock run has completed yet");
    expect(html).toContain('<a href="/console/runs/r-stock-failed">r-stock-failed</a>');
    expect(html).toContain('<span class="word failed">failed</span>');
    expect(html).toContain("Siesa unreachable");
  });

  it("offers an operator the next stock run beside the last complete one's rows, and a tenant token not", async () => {
    // prepare: a complete stock run is served
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042)]);

    // act
    const { html } = await fragmentOf(app, "/console/fragments/tenants/acme-staging/stock");
    const asTenant = await (
      await app.request("/console/fragments/tenants/acme-staging/stock", { headers: bearer("acme") })
    ).text();

    // assess
    expect(html).toContain(`data-action="/tenants/acme-staging/runs"`);
    expect(html).toContain('data-body="{&quot;stream&quot;:&quot;stock&quot;}"');
    expect(asTenant).not.toContain("Run stock now");
    expect(asTenant).not.toContain(`data-action="/tenants/acme-staging/runs"`);
  });

  it("says that no stock run has completed yet, and offers to start one", async () => {
    const { app, state } = apiUnderTest();
    await withStock(state, [], false);

    const { status, html } = await fragmentOf(app, "/console/fragments/tenants/acme-staging/stock");

    expect(status).toBe(200);
    expect(html).toContain("No stock run has completed yet");
    expect(html).toContain('data-body="{&quot;stream&quot;:&quot;stock&quot;}"');
  });
});
