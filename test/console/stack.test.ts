import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../runtime/cli/stack.js";
import { newToken, TOKENS_ENV, tokenEntry } from "../../runtime/edges/aws/tokens.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import type { Browser } from "../../scripts/chromium.js";
import { recordingLog } from "../local/support.js";
import { browserAvailable, openConsole, SKIP_NOTE, screenshot, startBrowser } from "./browser.js";

/**
 * The operator console in a real browser against `npm start`'s stack: what an operator does every
 * morning, found on the page the way a person finds it (roles, names, words).
 * One stack and one browser for the file; each test opens its own tab (its own sessionStorage).
 */

let stack: LocalStack;
let browser: Browser;
/** A read-only token for the demo tenant only. */
const demoToken = newToken();
const OTHER = "demo-elsewhere";

beforeAll(async () => {
  if (!browserAvailable) return;
  const demo = (await loadTenants()).require("demo");
  // The stack takes further tokens from the environment, as `npm start` does.
  process.env[TOKENS_ENV.json] = JSON.stringify([
    tokenEntry(demoToken, { kind: "tenant", tenantId: "demo" }, "demo's read-only token"),
  ]);
  [stack, browser] = await Promise.all([
    startLocalStack({
      items: 200,
      tenants: [demo, { ...demo, id: OTHER }],
      tablePrefix: `console-test-${Date.now()}`,
      log: recordingLog(),
    }),
    startBrowser(),
  ]);
  delete process.env[TOKENS_ENV.json];
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const consoleUrl = (path = "") => `${stack.apiUrl}/console${path}`;

const asOperator = (path: string, method = "GET") =>
  fetch(`${stack.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${stack.operatorToken}` } });

/** Starts a run of demo through the API and waits until it finished. */
async function runDemoOnce(): Promise<string> {
  const { runId } = (await (await asOperator("/tenants/demo/runs", "POST")).json()) as { runId: string };
  await expect
    .poll(async () => ((await (await asOperator(`/runs/${runId}`)).json()) as { status: string }).status, {
      timeout: 30_000,
    })
    .not.toBe("running");
  return runId;
}

describe.skipIf(!browserAvailable)(`the operator console against npm start's stack${SKIP_NOTE}`, () => {
  it("signs in with the operator token and lists every tenant with its verdict in words: demo healthy after a run", async () => {
    // prepare
    await runDemoOnce();

    // act
    const page = await openConsole(browser, consoleUrl(), stack.operatorToken);

    // assess
    const table = page.getByRole("table");
    const demoRow = table.getByRole("row", { name: /^demo / });
    await demoRow.getByText("healthy", { exact: true }).waitFor();
    await table
      .getByRole("row", { name: new RegExp(`^${OTHER} `) })
      .getByText("late", { exact: true })
      .waitFor();
    expect(await demoRow.textContent()).toContain("kong-rfid");
    expect(await page.getByLabel("Token").isVisible()).toBe(false);
    expect(await demoRow.getByText(/^created \d/).textContent()).toMatch(/created [1-9]/);
    // The token stays in this tab's sessionStorage: not in the address, not in a cookie.
    expect(page.url()).not.toContain(stack.operatorToken);
    expect(await browser.context.cookies()).toEqual([]);
    await screenshot(page, "tenants-signed-in");
    await page.close();
  });

  it("Run now starts a run whose progress bar fills up to succeeded", async () => {
    // prepare: a slow Siesa, so the run is seen while it runs
    const page = await openConsole(browser, consoleUrl("/tenants/demo"), stack.operatorToken);
    await page.getByRole("region", { name: "Status" }).waitFor();
    const siesa = stack.sandboxes.get("demo")?.inProcess?.siesa;
    siesa?.setFaults({ latencyMs: 700 });

    // act
    await page.getByRole("button", { name: "Run now" }).click();

    // assess
    const started = await page
      .getByRole("status")
      .getByText(/^Run started: run /)
      .textContent();
    const runId = started?.replace("Run started: run ", "") ?? "";
    const active = page.getByRole("region", { name: "Active run" });
    await active.getByRole("link", { name: runId }).waitFor();
    await active.getByText("running", { exact: true }).waitFor();
    await active.getByRole("progressbar", { name: "Records done" }).waitFor();
    await screenshot(page, "tenant-run-in-progress");
    siesa?.setFaults({ latencyMs: 0 });
    const current = page.getByRole("region", { name: "Last run" });
    await current.getByRole("link", { name: runId }).waitFor({ timeout: 30_000 });
    await current.getByText("succeeded", { exact: true }).waitFor();
    const bar = current.getByRole("progressbar", { name: "Records done" });
    expect(await bar.getAttribute("aria-valuenow")).toBe(await bar.getAttribute("aria-valuemax"));
    expect(Number(await bar.getAttribute("aria-valuemax"))).toBeGreaterThan(0);
    const history = page.getByRole("region", { name: "Run history" });
    const row = history.getByRole("row", { name: new RegExp(`^${runId} `) });
    expect(await row.getByRole("cell").allTextContents()).toEqual(
      expect.arrayContaining(["succeeded", "manual", expect.stringMatching(/^extracted \d/)]),
    );
    await screenshot(page, "tenant-after-run-now");

    // and the run's own page shows what it did
    await current.getByRole("link", { name: runId }).click();
    await page.getByRole("heading", { name: `Run ${runId}` }).waitFor();
    const counts = page.getByRole("region", { name: "Counts" });
    await counts.getByRole("row", { name: /^extracted/ }).waitFor();
    expect(
      await page.getByRole("region", { name: "Summary" }).getByRole("link", { name: "demo" }).count(),
    ).toBe(1);
    await screenshot(page, "run-page");
    await page.close();
  });

  it("Pause disables the schedule and Resume enables it again", async () => {
    // prepare
    const page = await openConsole(browser, consoleUrl("/tenants/demo"), stack.operatorToken);
    const status = page.getByRole("region", { name: "Status" });

    // act
    await status.getByRole("button", { name: "Pause" }).click();

    // assess
    await status.getByText("paused", { exact: true }).waitFor();
    await status.getByRole("button", { name: "Resume" }).waitFor();
    expect(await stack.scheduler.getState("demo")).toBe("DISABLED");
    await screenshot(page, "tenant-paused");

    // act
    await status.getByRole("button", { name: "Resume" }).click();

    // assess
    await status.getByRole("button", { name: "Pause" }).waitFor();
    await expect.poll(() => status.getByText("paused", { exact: true }).count(), { timeout: 10_000 }).toBe(0);
    expect(await stack.scheduler.getState("demo")).toBe("ENABLED");
    await page.close();
  });

  it("a tenant token sees its own tenant only", async () => {
    // act
    const page = await openConsole(browser, consoleUrl(), demoToken);

    // assess
    const table = page.getByRole("table");
    await table.getByRole("row", { name: /^demo / }).waitFor();
    expect(await table.getByRole("rowheader").allTextContents()).toEqual(["demo"]);
    await screenshot(page, "tenants-as-tenant-token");

    // act: another tenant's page, by its address
    await page.goto(consoleUrl(`/tenants/${OTHER}`));

    // assess
    await page.getByRole("alert").getByText(`this token may not read tenant ${OTHER}`).waitFor();
    expect(await page.getByRole("main").textContent()).toBe("");
    await page.close();
  });

  it("a wrong token is refused, and the sign-in form comes back", async () => {
    // act
    const page = await openConsole(browser, consoleUrl(), "sit_not-a-token-anyone-has");

    // assess
    await page.getByRole("alert").getByText("Token refused: unknown or revoked token").waitFor();
    expect(await page.getByLabel("Token").isVisible()).toBe(true);
    expect(await page.getByRole("table").count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await screenshot(page, "wrong-token");
    await page.close();
  });

  it("a tenant token's tenant page offers no action, and an API error appears as a message on the page", async () => {
    // act: tenant tokens are read-only
    const page = await openConsole(browser, consoleUrl("/tenants/demo"), demoToken);

    // assess
    const status = page.getByRole("region", { name: "Status" });
    await status.getByText("This token is read-only").waitFor();
    expect(await status.getByRole("button").count()).toBe(0);
    await screenshot(page, "tenant-read-only");

    // act: a run that does not exist
    await page.goto(consoleUrl("/runs/no-such-run"));

    // assess
    await page.getByRole("alert").getByText("run no-such-run does not exist").waitFor();
    await page.close();
  });

  it("Verify asks the API to verify the tenant and shows its answer", async () => {
    // prepare
    const page = await openConsole(browser, consoleUrl("/tenants/demo"), stack.operatorToken);
    const verify = page.getByRole("button", { name: "Verify" });
    await verify.waitFor();

    // act
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/tenants/demo/verify")),
      verify.click(),
    ]);

    // assess: whatever the API answers (the endpoint may not be deployed yet), it is shown as text
    expect(request.headers().authorization).toBe(`Bearer ${stack.operatorToken}`);
    await page
      .locator("#message")
      .getByText(/^(Verify: |Verification started)/)
      .waitFor();
    await page.close();
  });

  // Last: it takes items out of demo's catalogue.
  it("a run that held deactivations shows them, and Approve applies exactly that number", async () => {
    // prepare: 40 % of demo's items leave Siesa, and the next run holds their deactivation
    await runDemoOnce();
    const sandboxes = stack.sandboxes.get("demo")?.inProcess;
    if (!sandboxes) throw new Error("demo's sandboxes run in this process");
    const ids = sandboxes.siesa.catalogue.companyItemIds();
    const removed = ids.filter((_, i) => i % 5 < 2);
    sandboxes.siesa.catalogue.removeItems(removed);
    const heldRunId = await runDemoOnce();
    const heldRun = (await (await asOperator(`/runs/${heldRunId}`)).json()) as {
      status: string;
      heldDeactivations?: { count: number };
    };
    expect(heldRun.status).toBe("partial");
    const count = heldRun.heldDeactivations?.count ?? 0;
    expect(count).toBeGreaterThan(0);
    const page = await openConsole(browser, consoleUrl("/tenants/demo"), stack.operatorToken);
    const held = page.getByRole("region", { name: "Held deactivations" });
    await held.getByText(`${count} deactivations are held`).waitFor();
    await page.getByText(new RegExp(`^held ${count} deactivations, limit \\d+$`)).waitFor();

    // act
    await held.getByRole("button", { name: "Approve" }).click();

    // assess: the approved run deactivates exactly those, and Kong holds them inactive
    await page.getByRole("status").getByText(`Approved the deactivations run ${heldRunId} held`).waitFor();
    const newest = async () =>
      (
        (await (await asOperator("/tenants/demo/runs?limit=1")).json()) as {
          runs: { runId: string; status: string; counts: { deactivated: number } }[];
        }
      ).runs[0];
    await expect.poll(async () => (await newest())?.status, { timeout: 30_000 }).toBe("succeeded");
    expect((await newest())?.counts.deactivated).toBe(count);
    const kong = sandboxes.kong;
    const inactive = removed.filter((id) => kong?.skus.getByExternalId(String(id))?.is_active === false);
    expect(inactive).toHaveLength(count);
    // The page shows the held run's reason, and then the approved run's deactivations.
    await page.reload();
    await page.getByText(`deactivated ${count}`).first().waitFor();
    await screenshot(page, "held-deactivations-approved-stack");
    await page.close();
  }, 60_000);
});
