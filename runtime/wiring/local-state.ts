import { createHash } from "node:crypto";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { claimDirectory, OWNER_DIR } from "../edges/local/directory-claim.js";

/** The tables of `npm start` and `npm run sync` (a tenant's runs, ledger and lease are shared by both). */
export const LOCAL_TABLE_PREFIX = "siesa-integration-local";

/**
 * Where local state lives: the embedded DynamoDB (runs, ledger, leases, audit) and the demo
 * sandboxes' catalogue and product records. `.data/` in the project (git-ignored), or
 * SIESA_INTEGRATION_DATA_DIR. `npm start` and `npm run sync` share it; `npm run reset` clears it.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.SIESA_INTEGRATION_DATA_DIR;
  if (configured) {
    const dir = resolve(configured);
    // Else the first write under it fails as ENOTDIR on a path inside, not naming the variable.
    if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false)
      throw new Error(`SIESA_INTEGRATION_DATA_DIR is ${dir}, a file: it must be a directory`);
    return dir;
  }
  return fileURLToPath(new URL("../../.data", import.meta.url));
}

export const dynamoDir = (root: string) => join(root, "dynamodb");
export const sandboxDir = (root: string, tenantId: string) => join(root, "sandboxes", tenantId);

/**
 * Deletes every piece of local state (the next run starts from nothing): "nothing" when there is
 * none. It first claims the data directory as `npm start` and `npm run sync` do, so none of them can
 * be using it (or start to) while it is deleted; while one of them holds it, it refuses and deletes
 * nothing. The claims' folder stays: the claim is reset's own, and gone once reset has ended.
 */
export function resetState(root: string): "cleared" | "nothing" {
  if (!existsSync(root)) return "nothing";
  const dynamo = dynamoDir(root);
  const holder = claimDirectory(dynamo);
  if (holder) {
    throw new Error(
      `the local state in ${root} is in use by process ${holder.pid} (${holder.command ?? "command unknown"}); ` +
        "stop it first (nothing was deleted)",
    );
  }
  for (const name of readdirSync(root)) {
    if (name !== basename(dynamo)) rmSync(join(root, name), { recursive: true, force: true });
  }
  for (const name of readdirSync(dynamo)) {
    if (name !== OWNER_DIR) rmSync(join(dynamo, name), { recursive: true, force: true });
  }
  return "cleared";
}

/**
 * The tables a local command uses. The ledger says what one product holds: a run pointed at another
 * product (--product-url) keeps its own tables, so it does not take that product's records for
 * unchanged. The demo's sandbox is the same product on whatever port it gets: the default tables.
 */
export function localTablePrefix(productUrlOverride: string | undefined): string {
  if (!productUrlOverride) return LOCAL_TABLE_PREFIX;
  return `${LOCAL_TABLE_PREFIX}-${createHash("sha256").update(productUrlOverride).digest("hex").slice(0, 8)}`;
}
