import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

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
