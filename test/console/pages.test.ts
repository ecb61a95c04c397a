import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveLocally } from "../../runtime/edges/local/http.js";
import type { Browser } from "../../scripts/chromium.js";
import { aRun, TOKENS } from "../api/factories.js";
import { browserAvailable, openConsole, SKIP_NOTE, screenshot, startBrowser } from "./browser.js";
import { aHeldRun, aStockRow, consoleOverFakeApi, STOCK_RUN, withStock } from "./support.js";

/**
 * The console in a real browser over the API with in-memory dependencies, for what the local stack
 * does not produce on demand: held deactivations, a failed run with rejected records.
 */

const api = consoleOverFakeApi();
const heldRun = aHeldRun(600);
api.state.runs.push(heldRun);
let server: Awaited<ReturnType<typeof serveLocally>>;
let browser: Browser;

beforeAll(async () => {
  if (!browserAvailable) return;
  [server, browser] = await Promise.all([serveLocally(api.app.fetch, 0), startBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.skipIf(!browserAvailable)(`the operator console's pages${SKIP_NOTE}`, () => {
  it("Approve names the run that held the deactivations", async () => {
    // prepare
    const page = await openConsole(browser, `${server.url}/console/tenants/acme-staging`, TOKENS.operator);
    const held = page.getByRole("region", { name: "Held deactivations" });
    await held.getByText("600 deactivations are held").waitFor();

    // act
    await held.getByRole("button", { name: "Approve" }).click();

    // assess
    await page
      .getByRole("status")
      .getByText(/^Approved the deactivations run \S+ held/)
      .waitFor();
    expect(api.posts).toContainEqual({
      path: "/tenants/acme-staging/runs",
      body: JSON.stringify({ approveDeactivationsOf: heldRun.runId }),
    });
    await screenshot(page, "held-deactivations-approved");
    await page.close();
  });

  it("a failed run's page says why, with its rejected and failed records in a table", async () => {
    // prepare
    api.state.runs.push(
      aRun({
        runId: "r-failed",
        status: "failed",
        reason: "Siesa unreachable: connect ECONNREFUSED",
        errors: [
          { key: "17", outcome: "rejected", reason: "f120_referencia: must not be empty" },
          { key: "23", outcome: "failed", reason: "kong-rfid answered 503 after 3 attempts" },
        ],
      }),
    );

    // act
    const page = await openConsole(browser, `${server.url}/console/runs/r-failed`, TOKENS.operator);

    // assess
    const summary = page.getByRole("region", { name: "Summary" });
    await summary.getByText("failed", { exact: true }).waitFor();
    expect(await summary.getByText("Siesa unreachable: connect ECONNREFUSED").count()).toBe(1);
    const records = page.getByRole("region", { name: "Rejected and failed records" }).getByRole("table");
    expect(await records.getByRole("row").allTextContents()).toEqual([
      "RecordOutcomeReason",
      "17rejectedf120_referencia: must not be empty",
      "23failedkong-rfid answered 503 after 3 attempts",
    ]);
    await screenshot(page, "run-failed");
    await page.close();
  });

  it("Download exceptions saves every exception of the run as one CSV, read a page at a time with the tab's token", async () => {
    // prepare: a run with more exceptions than its page shows, downloaded in pages of 7 (9 pages)
    const errors = Array.from({ length: 60 }, (_, i) => ({
      key: String(i + 1),
      outcome: "rejected" as const,
      reason: `kong-rfid refused: name, too long (${i + 1})`,
      step: "write" as const,
    }));
    api.state.runs.push(aRun({ runId: "r-noisy", status: "partial", errors: errors.slice(0, 50) }));
    await api.state.addErrors("r-noisy", errors);
    const page = await openConsole(browser, `${server.url}/console/runs/r-noisy`, TOKENS.acme);
    const button = page.getByRole("button", { name: "Download exceptions (CSV)" });
    await button.waitFor();
    // The page asks for pages of 1,000; pages of 7 make this run's 60 a download of 9 pages.
    expect(await button.getAttribute("data-download")).toBe("/runs/r-noisy/exceptions?limit=1000");
    await button.evaluate((b) => b.setAttribute("data-download", "/runs/r-noisy/exceptions?limit=7"));

    // act
    const [download] = await Promise.all([page.waitForEvent("download"), button.click()]);

    // assess
    expect(download.suggestedFilename()).toBe("exceptions-r-noisy.csv");
    const lines = (await readFile(await download.path(), "utf8")).trimEnd().split("\r\n");
    expect(lines[0]).toBe("f120_id,reference,outcome,step,field,reason");
    expect(lines.slice(1)).toEqual(
      errors.map((e) => `${e.key},,rejected,write,,"kong-rfid refused: name, too long (${e.key})"`),
    );
    await page.close();
  });

  it("an API failure shows as a message over the last data, and goes away when the API recovers", async () => {
    // prepare
    const page = await openConsole(browser, `${server.url}/console/tenants/globex-prod`, TOKENS.operator);
    const status = page.getByRole("region", { name: "Status" });
    await status.waitFor();

    // act
    api.state.explode = new Error("the tenants table is unreachable");

    // assess: the API's own message (no internals), the page still there
    const alert = page.getByRole("alert");
    await alert.getByText("internal error: the request could not be completed, see the logs").waitFor();
    expect(await status.isVisible()).toBe(true);
    await screenshot(page, "api-failure");

    // act
    api.state.explode = undefined;

    // assess
    await alert.waitFor({ state: "hidden" });
    await page.close();
  });

  it("a page that refreshes with new data leaves the keyboard focus on the button it was on", async () => {
    // prepare: a keyboard user has moved to Run now
    const page = await openConsole(browser, `${server.url}/console/tenants/globex-prod`, TOKENS.operator);
    const runNow = page.getByRole("button", { name: "Run now" });
    await runNow.focus();

    // act: a run of globex-prod finishes meanwhile, so the next refresh brings a new history
    api.state.runs.push(aRun({ runId: "r-globex-focus", tenantId: "globex-prod" }));

    // assess
    await page
      .getByRole("region", { name: "Run history" })
      .getByRole("link", { name: "r-globex-focus" })
      .waitFor();
    expect(await page.locator(":focus").allTextContents()).toEqual(["Run now"]);
    await page.close();
  });

  it("a button stays disabled while its request is under way, even when a refresh brings the page new data", async () => {
    // prepare: the API takes its time to answer Run now
    const page = await openConsole(browser, `${server.url}/console/tenants/globex-prod`, TOKENS.operator);
    const runNow = page.getByRole("button", { name: "Run now" });
    await runNow.waitFor();
    let answer = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    await page.route(/\/tenants\/globex-prod\/runs$/, async (route) => {
      await answered;
      await route.fulfill({ status: 202, contentType: "application/json", body: '{"runId":"r-slow"}' });
    });

    // act: clicked, and a refresh brings new data before the API answers
    await runNow.click();
    api.state.runs.push(aRun({ runId: "r-globex-busy", tenantId: "globex-prod" }));
    await page
      .getByRole("region", { name: "Run history" })
      .getByRole("link", { name: "r-globex-busy" })
      .waitFor();

    // assess: a second click cannot send a second run
    expect(await runNow.isDisabled()).toBe(true);
    answer();
    await page.getByRole("status").getByText("Run started: run r-slow").waitFor();
    expect(await runNow.isEnabled()).toBe(true);
    await page.close();
  });

  it("the stage's throttle (API Gateway's 429) leaves the last data on the page, which tries again", async () => {
    // prepare
    const page = await openConsole(browser, `${server.url}/console/tenants/globex-prod`, TOKENS.operator);
    const status = page.getByRole("region", { name: "Status" });
    await status.waitFor();

    // act: the gateway refuses the next refreshes, as it does above the stage's rate
    await page.route(/\/console\/fragments\//, (route) =>
      route.fulfill({
        status: 429,
        contentType: "application/json",
        body: '{"message":"Too Many Requests"}',
      }),
    );

    // assess: said, the data still there, and gone once the gateway lets requests through again
    const alert = page.getByRole("alert");
    await alert
      .getByText("The API is refusing requests for now (too many, 429): this page tries again by itself")
      .waitFor();
    expect(await status.isVisible()).toBe(true);
    await page.unroute(/\/console\/fragments\//);
    await alert.waitFor({ state: "hidden" });
    await page.close();
  });

  it("an action's answer stays on the page when the refreshes that failed before it recover", async () => {
    // prepare: the page's refreshes fail, and the operator acts meanwhile
    const page = await openConsole(browser, `${server.url}/console/tenants/globex-prod`, TOKENS.operator);
    const runNow = page.getByRole("button", { name: "Run now" });
    await runNow.waitFor();
    await page.route(/\/console\/fragments\//, (route) =>
      route.fulfill({
        status: 503,
        contentType: "application/json",
        body: '{"message":"Service Unavailable"}',
      }),
    );
    await page.getByRole("alert").getByText("the API answered 503").waitFor();
    await page.route(/\/tenants\/globex-prod\/runs$/, (route) =>
      route.fulfill({
        status: 409,
        contentType: "application/json",
        body: JSON.stringify({
          error: {
            code: "conflict",
            message: "tenant globex-prod already has an active run r-1",
            details: {},
          },
        }),
      }),
    );
    await runNow.click();
    const answer = page
      .getByRole("alert")
      .getByText("Run now: tenant globex-prod already has an active run r-1");
    await answer.waitFor();

    // act: the refreshes recover (two, so the script has read the first)
    const recovered = () =>
      page.waitForResponse((r) => r.url().includes("/console/fragments/") && r.status() === 200);
    await page.unroute(/\/console\/fragments\//);
    await recovered();
    await recovered();

    // assess
    expect(await answer.isVisible()).toBe(true);
    await page.close();
  });

  it("an API that does not answer at all is said, with what the page does about it and what to do", async () => {
    // prepare
    api.state.runs.push(aRun({ runId: "r-unreachable", status: "partial" }));
    const page = await openConsole(browser, `${server.url}/console/runs/r-unreachable`, TOKENS.operator);
    const download = page.getByRole("button", { name: "Download exceptions (CSV)" });
    await download.waitFor();
    const alert = page.getByRole("alert");

    // act: the API is unreachable for a download
    await page.route(/\/runs\/r-unreachable\/exceptions/, (route) => route.abort("connectionrefused"));
    await download.click();

    // assess
    await alert
      .getByText(
        /^Download exceptions \(CSV\): the API did not answer \(.+\): nothing was saved, download again$/,
      )
      .waitFor();

    // act: and for the page's refresh (a running run's page refreshes)
    api.state.runs.push(aRun({ runId: "r-globex-running-2", tenantId: "globex-prod", status: "running" }));
    await page.goto(`${server.url}/console/runs/r-globex-running-2`);
    await page.getByRole("region", { name: "Summary" }).waitFor();
    await page.route(/\/console\/fragments\//, (route) => route.abort("connectionrefused"));

    // assess
    await alert.getByText(/^The API did not answer \(.+\): this page tries again by itself$/).waitFor();
    api.state.runs.pop();
    await page.close();
  });

  it("a download refused half-way says that nothing was saved and to download again", async () => {
    // prepare: a run whose exceptions are two pages of 7; the API fails on the second
    const errors = Array.from({ length: 10 }, (_, i) => ({
      key: String(i + 1),
      outcome: "rejected" as const,
      reason: "kong-rfid refused",
      step: "write" as const,
    }));
    api.state.runs.push(aRun({ runId: "r-half", status: "partial", errors }));
    await api.state.addErrors("r-half", errors);
    const page = await openConsole(browser, `${server.url}/console/runs/r-half`, TOKENS.operator);
    const button = page.getByRole("button", { name: "Download exceptions (CSV)" });
    await button.waitFor();
    await button.evaluate((b) => b.setAttribute("data-download", "/runs/r-half/exceptions?limit=7"));
    await page.route(/\/runs\/r-half\/exceptions\?.*cursor=/, (route) =>
      route.fulfill({
        status: 500,
        contentType: "application/json",
        body: JSON.stringify({
          error: {
            code: "internal_error",
            message: "internal error: the request could not be completed, see the logs",
            details: {},
          },
        }),
      }),
    );
    const downloads: unknown[] = [];
    page.on("download", (download) => downloads.push(download));

    // act
    await button.click();

    // assess
    await page
      .getByRole("alert")
      .getByText(
        "Download exceptions (CSV): internal error: the request could not be completed, see the logs: nothing was saved, download again",
      )
      .waitFor();
    expect(downloads).toEqual([]);
    await page.close();
  });

  it("Sign out forgets the token: the tab asks for it again, also after a reload", async () => {
    // prepare
    const page = await openConsole(browser, `${server.url}/console`, TOKENS.operator);
    await page.getByRole("table").waitFor();

    // act
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.reload();

    // assess
    await page.getByLabel("Token").waitFor();
    expect(await page.getByRole("table").count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.close();
  });

  it("the stock page shows when its run read Siesa and the rows, and filters them by location", async () => {
    // prepare
    await withStock(api.state, [aStockRow("NB1", 1042), aStockRow("PPAL", 1042), aStockRow("PPAL", 1043)]);
    const page = await openConsole(browser, `${server.url}/console/tenants/acme-staging`, TOKENS.acme);
    await page.getByRole("link", { name: "Expected stock" }).click();
    const run = page.getByRole("region", { name: "Stock run" });
    await run.getByRole("link", { name: STOCK_RUN.runId }).waitFor();
    const rows = page.getByRole("region", { name: "Expected stock" }).getByRole("row");
    expect(await run.textContent()).toContain("to 2025-03-10 09:02:00 UTC");
    expect(await rows.count()).toBe(1 + 3);

    // act
    await page.getByLabel("Location").fill("PPAL");
    await page.getByRole("button", { name: "Filter" }).click();

    // assess
    await page.waitForURL(/\/stock\?location=PPAL$/);
    await expect.poll(() => rows.count()).toBe(1 + 2);
    expect(await rows.nth(1).getByRole("cell").allTextContents()).toEqual([
      "PPAL",
      "1042",
      "REF-1042",
      "01",
      "10",
      "2",
      "1",
      "7",
      "",
    ]);
    await screenshot(page, "stock-filtered");
    await page.close();
  });

  it("Download stock saves nothing and says so when a page comes from another stock run than the first", async () => {
    // prepare: three rows downloaded a row at a time; the API answers the later pages from another run
    await withStock(api.state, [aStockRow("NB1", 1042), aStockRow("PPAL", 1042), aStockRow("PPAL", 1043)]);
    const page = await openConsole(browser, `${server.url}/console/tenants/acme-staging/stock`, TOKENS.acme);
    const button = page.getByRole("button", { name: "Download stock (CSV)" });
    await button.waitFor();
    await button.evaluate((b) =>
      b.setAttribute(
        "data-download",
        String(b.getAttribute("data-download")).replace("limit=10000", "limit=1"),
      ),
    );
    const other = "20250310T091500.000Z-tttttttttttt";
    await page.route(/\/tenants\/acme-staging\/stock\?.*after=/, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), "x-stock-run": other } });
    });
    const downloads: unknown[] = [];
    page.on("download", (download) => downloads.push(download));

    // act
    await button.click();

    // assess
    await page
      .getByRole("alert")
      .getByText(
        `Download stock (CSV): a page came from stock run ${other}, the first from ${STOCK_RUN.runId}: nothing was saved, download again`,
      )
      .waitFor();
    expect(downloads).toEqual([]);
    await page.close();
  });

  it("Download stock says to reload the page when a later stock run replaced the one it shows", async () => {
    // prepare: the page shows a run; before the download, later stock runs replace it (the API's 409)
    await withStock(api.state, [aStockRow("NB1", 1042)]);
    const page = await openConsole(browser, `${server.url}/console/tenants/acme-staging/stock`, TOKENS.acme);
    const button = page.getByRole("button", { name: "Download stock (CSV)" });
    await button.waitFor();
    await page.route(/\/tenants\/acme-staging\/stock\?/, (route) =>
      route.fulfill({
        status: 409,
        contentType: "application/json",
        body: JSON.stringify({
          error: { code: "stock_run_replaced", message: "start the download again without run", details: {} },
        }),
      }),
    );

    // act
    await button.click();

    // assess: what a console user can do, not what a client of the API would
    await page
      .getByRole("alert")
      .getByText(
        `Download stock (CSV): later stock runs replaced run ${STOCK_RUN.runId}, the one shown: reload the page to see and download the latest`,
      )
      .waitFor();
    await page.close();
  });

  it("the tenants page refreshes itself", async () => {
    // prepare
    const page = await openConsole(browser, `${server.url}/console`, TOKENS.operator);
    const row = page.getByRole("table").getByRole("row", { name: /^globex-prod / });
    await row.waitFor();
    expect(await row.getByText("paused", { exact: true }).count()).toBe(0);

    // act: someone pauses the tenant elsewhere
    api.state.scheduleStates.set("globex-prod", "DISABLED");

    // assess: without a reload
    await row.getByText("paused", { exact: true }).first().waitFor();
    await page.close();
  });

  it("an action the API refuses, or cannot answer, says what to do", async () => {
    // prepare: globex-prod has a run under way, and its schedule enabled (an earlier test paused it)
    api.state.scheduleStates.set("globex-prod", "ENABLED");
    const running = aRun({ runId: "r-globex-running", tenantId: "globex-prod", status: "running" });
    api.state.runs.push(running);
    const page = await openConsole(browser, `${server.url}/console/tenants/globex-prod`, TOKENS.operator);
    const alert = page.getByRole("alert");

    // act, assess: the API's 409
    await page.getByRole("button", { name: "Run now" }).click();
    await alert
      .getByText(
        "Run now: tenant globex-prod already has an active run r-globex-running: wait for it to end, then try again",
      )
      .waitFor();

    // act, assess: no answer at all
    await page.route(/\/tenants\/globex-prod\/verify$/, (route) => route.abort("connectionrefused"));
    await page.getByRole("button", { name: "Verify" }).click();
    await alert
      .getByText(
        /^Verify: the API did not answer \(.+\): check the connection, then reload the page to see whether it took effect$/,
      )
      .waitFor();

    // act, assess: an answer that is not the API's (a gateway's page)
    await page.route(/\/tenants\/globex-prod\/pause$/, (route) =>
      route.fulfill({ status: 502, contentType: "text/html", body: "<html>Bad Gateway</html>" }),
    );
    await page.getByRole("button", { name: "Pause" }).click();
    await alert
      .getByText(
        "Pause: the API answered 502 without saying why: reload the page to see whether it took effect, then try again",
      )
      .waitFor();
    await screenshot(page, "action-refused");
    api.state.runs.splice(api.state.runs.indexOf(running), 1);
    await page.close();
  });
});
