import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_TABLE_PREFIX } from "../store/local.js";

/**
 * Where local state lives: the embedded DynamoDB (runs, ledger, leases, audit) and the demo
 * sandboxes' catalogue and product records. `.data/` in the project (git-ignored), or
 * SIESA_INTEGRATION_DATA_DIR. `npm start` and `npm run sync` share it; `npm run reset` clears it.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.SIESA_INTEGRATION_DATA_DIR;
  if (configured) return resolve(configured);
  return fileURLToPath(new URL("../../.data", import.meta.url));
}

export const dynamoDir = (root: string) => join(root, "dynamodb");
export const sandboxDir = (root: string, tenantId: string) => join(root, "sandboxes", tenantId);

/** Deletes every piece of local state (the next run starts from nothing). */
export async function resetState(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
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
