import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import {
  type Browser,
  CHROMIUM_PATH,
  hasChromium,
  launchChromium,
  SCREENSHOTS_DIR,
} from "../../scripts/chromium.js";

/**
 * The console's browser tests drive Debian's Chromium. CI installs it (.ci/run); on a machine without
 * it they are skipped, and say so, rather than failing for a reason unrelated to the console.
 */
export const browserAvailable = hasChromium();
const SKIP_REASON = `skipped: ${CHROMIUM_PATH} is missing (apt-get install chromium; CI installs it)`;
/** Appended to the suites' names, so the test report says why they did not run. */
export const SKIP_NOTE = browserAvailable ? "" : ` (${SKIP_REASON})`;
if (!browserAvailable) process.stderr.write(`console browser tests ${SKIP_REASON}\n`);

export const startBrowser = async (): Promise<Browser> => {
  const browser = await launchChromium();
  browser.context.setDefaultTimeout(15_000);
  return browser;
};

/** A new tab (its own sessionStorage) on a console page, signed in with `token` when one is given. */
export async function openConsole(browser: Browser, url: string, token?: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(url);
  if (token !== undefined) await signIn(page, token);
  return page;
}

export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Saves the page under screenshots/tests/ for a reviewer to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(SCREENSHOTS_DIR, "tests");
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}
