/**
 * Debian's Chromium (`apt-get install chromium`) driven by playwright-core: no browser download (it is
 * not reachable here). Used by the console's browser tests and `npm run console:shot`.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BrowserContext } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

export const hasChromium = (): boolean => existsSync(CHROMIUM_PATH);

/** Where screenshots go (git-ignored): tests under tests/, `npm run console:shot` at the top. */
export const SCREENSHOTS_DIR = path.resolve(import.meta.dirname, "..", "screenshots");

/**
 * These machines run Chromium as root on a closed network: no sandbox (root), no GPU, and none of
 * Chromium's own background traffic (update checks, sync, QUIC probes), whose refused connections
 * would otherwise slow every start. A fresh profile each time, removed on close.
 */
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  if (!hasChromium()) {
    throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install chromium)`);
  }
  const profile = await mkdtemp(path.join(tmpdir(), "siesa-console-chromium-"));
  // Loaded on first launch: a command's --help, which imports this file for its paths, stays quick.
  const { chromium } = await import("playwright-core");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
