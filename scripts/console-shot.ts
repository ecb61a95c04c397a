/**
 * `npm run console:shot`: screenshots of the operator console's three pages (tenants, a tenant, a run),
 * for docs/api.md and for reviewers, taken in Debian's Chromium.
 *
 *   npm run console:shot                               starts a local stack, runs demo 3 times, shoots, stops
 *   npm run console:shot -- --url http://127.0.0.1:8080 --token "$TOKEN"   a running `npm start`
 *   ... --out DIR                                      where to write (default screenshots/)
 *
 * The token may also come from SIESA_INTEGRATION_TOKEN (as `npm start` takes it). With --url, a tenant
 * that has no run yet gets one (Run now), so the run page has something to show.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import { httpUrl, oneLine, runCommand, UsageError } from "../runtime/cli/args.js";
import type { LocalStack } from "../runtime/cli/stack.js";
import type { Log } from "../runtime/core/observability/logger.js";
import { launchChromium, SCREENSHOTS_DIR } from "./chromium.js";

const spec = {
  command: "npm run console:shot --",
  name: "console:shot",
  summary:
    "Screenshots of the operator console's three pages (tenants, a tenant, a run), taken in Debian's Chromium: of a local stack it starts, or of a running npm start.",
  synopsis: "[--url <url> --token <token>] [--tenant <id>] [--out <dir>]",
  options: {
    url: { type: "string", value: "url", help: "a running npm start's API (default: start a local stack)" },
    token: { type: "string", value: "token", help: "its operator token (or SIESA_INTEGRATION_TOKEN)" },
    tenant: { type: "string", value: "id", help: "the tenant to show (default: the first)" },
    out: { type: "string", default: SCREENSHOTS_DIR, value: "dir", help: "where to write the PNGs" },
  },
  examples: ["npm run console:shot", 'npm run console:shot -- --url http://127.0.0.1:8080 --token "$TOKEN"'],
} as const;

function parse(values: {
  url?: string | undefined;
  token?: string | undefined;
  tenant?: string | undefined;
  out: string;
}) {
  const token = values.token || process.env.SIESA_INTEGRATION_TOKEN;
  if (values.url !== undefined) {
    httpUrl("url", values.url);
    if (!token)
      throw new UsageError("--url needs the operator token: --token TOKEN or SIESA_INTEGRATION_TOKEN");
  }
  return {
    url: values.url?.replace(/\/+$/, ""),
    token,
    tenant: values.tenant,
    out: path.resolve(values.out),
  };
}

/**
 * A running API, asked before Chromium starts, so that a wrong URL, token or tenant is said in one
 * line instead of a browser's timeout: GET /tenants with the token.
 */
async function checkApi(url: string, token: string, tenant: string | undefined): Promise<void> {
  const answer = await fetch(`${url}/tenants`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  }).catch((error: unknown) => {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    throw new Error(`${url} does not answer (${oneLine(cause)})`);
  });
  if (answer.status === 401 || answer.status === 403)
    throw new Error(
      `${url} refused the token (${answer.status}): give a running npm start's operator token (--token or SIESA_INTEGRATION_TOKEN)`,
    );
  const body = (await answer.json().catch(() => undefined)) as { tenants?: { id: string }[] } | undefined;
  if (!answer.ok || !Array.isArray(body?.tenants))
    throw new Error(`${url} is not siesa-integration's API: GET /tenants answered ${answer.status}`);
  const known = body.tenants.map((t) => t.id);
  if (tenant !== undefined && !known.includes(tenant))
    throw new UsageError(`unknown tenant "${tenant}" at ${url} (known tenants: ${known.join(", ")})`);
}

async function main(values: Parameters<typeof parse>[0]): Promise<number> {
  const args = parse(values);
  if (args.url) await checkApi(args.url, args.token ?? "", args.tenant);
  let stack: LocalStack | undefined;
  if (!args.url) {
    process.stderr.write("starting a local stack (no --url given)…\n");
    // Loaded once the arguments are read: --help answers without loading the whole stack.
    const { startLocalStack } = await import("../runtime/cli/stack.js");
    // A few malformed catalogue rows, so the run page has rejected records and their reasons to show.
    stack = await startLocalStack({
      items: 500,
      log: quietLog,
      scheduler: false,
      sandboxOverrides: { malformedShare: 0.02 },
    });
    await someHistory(stack, 3);
  }
  const apiUrl = args.url ?? stack?.apiUrl ?? "";
  const token = args.token ?? stack?.operatorToken ?? "";
  const browser = await launchChromium();
  try {
    await mkdir(args.out, { recursive: true });
    const page = await browser.context.newPage();
    // Full-page shots grow to fit the content; a short window keeps short pages short.
    await page.setViewportSize({ width: 1280, height: 360 });
    const shoot = async (name: string) => {
      const file = path.join(args.out, `console-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      process.stdout.write(`${path.relative(process.cwd(), file)}\n`);
    };

    await page.goto(`${apiUrl}/console`);
    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    const firstTenant = page.getByRole("table").getByRole("rowheader").getByRole("link");
    await firstTenant.first().waitFor({ timeout: 15_000 });
    const tenant = args.tenant ?? (await firstTenant.first().textContent()) ?? "";

    await page.goto(`${apiUrl}/console/tenants/${encodeURIComponent(tenant)}`);
    const lastRun = page.getByRole("region", { name: /^(Active|Last) run$/ });
    await lastRun.waitFor();
    if (await lastRun.getByText("No run yet.").count()) await runOnce(page);
    await page
      .getByRole("region", { name: "Last run" })
      .getByRole("progressbar")
      .waitFor({ timeout: 60_000 });

    await page.goto(`${apiUrl}/console`);
    await page.getByRole("table").waitFor();
    await shoot("tenants");

    await page.goto(`${apiUrl}/console/tenants/${encodeURIComponent(tenant)}`);
    const runLink = page.getByRole("region", { name: "Last run" }).getByRole("link");
    await runLink.waitFor();
    await shoot("tenant");

    await runLink.click();
    await page.getByRole("region", { name: "Counts" }).waitFor();
    await shoot("run");
  } finally {
    await browser.close();
    await stack?.close();
  }
  return 0;
}

/** Presses Run now and waits for the run to finish (the "Last run" panel shows it). */
async function runOnce(page: Page): Promise<void> {
  process.stderr.write("the tenant has no run yet: pressing Run now\n");
  await page.getByRole("button", { name: "Run now" }).click();
  await page.getByRole("region", { name: "Last run" }).getByRole("progressbar").waitFor({ timeout: 60_000 });
}

/** The stack's JSON logs would drown the list of files written. */
const quietLog: Log = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Log;

/** A few runs through the API, so the history, its chart and a run's rejected records have something to show. */
async function someHistory(stack: LocalStack, runs: number): Promise<void> {
  const headers = { authorization: `Bearer ${stack.operatorToken}` };
  for (let i = 0; i < runs; i++) {
    const started = await fetch(`${stack.apiUrl}/tenants/demo/runs`, { method: "POST", headers });
    const { runId } = (await started.json()) as { runId: string };
    for (;;) {
      const run = (await (await fetch(`${stack.apiUrl}/runs/${runId}`, { headers })).json()) as {
        status: string;
      };
      if (run.status !== "running") break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

runCommand(spec, main);
