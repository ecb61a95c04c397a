/**
 * `npm run reset`: deletes the local state (`.data/`, or SIESA_INTEGRATION_DATA_DIR): runs, ledger,
 * leases and audit of `npm start` and `npm run sync`, and the demo sandboxes' catalogue and product
 * records. The next run starts from nothing, as a brand-new tenant would.
 */
import { existsSync } from "node:fs";
import { dataDir, resetState } from "../local/state.js";

const dir = dataDir();
if (!existsSync(dir)) {
  process.stdout.write(`reset: nothing to clear (${dir} does not exist)\n`);
} else {
  await resetState(dir);
  process.stdout.write(`reset: cleared the local state in ${dir}\n`);
}
