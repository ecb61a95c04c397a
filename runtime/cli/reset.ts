/**
 * `npm run reset`: deletes the local state (`.data/`, or SIESA_INTEGRATION_DATA_DIR): runs, ledger,
 * leases and audit of `npm start` and `npm run sync`, and the demo sandboxes' catalogue and product
 * records. The next run starts from nothing, as a brand-new tenant would. It refuses, deleting
 * nothing, while one of those commands is using the state, and for any argument it does not know.
 */
import { dataDir, resetState } from "../wiring/local-state.js";
import { runCommand } from "./args.js";

const spec = {
  command: "npm run reset --",
  name: "reset",
  summary:
    "Deletes the local state of npm start and npm run sync (runs, ledger, leases, audit, the demo " +
    "sandboxes' records): the next run starts from nothing.",
  synopsis: "[--verbose]",
  options: {},
  notes: [
    "Refuses, deleting nothing, while npm start or npm run sync uses the state: stop it first.",
    "environment: SIESA_INTEGRATION_DATA_DIR  where the local state is (default .data/ in the project)",
    "exit status: 0 cleared (or nothing to clear), 1 refused or failed",
  ],
  examples: ["npm run reset", "SIESA_INTEGRATION_DATA_DIR=/tmp/demo-state npm run reset"],
} as const;

runCommand(spec, async () => {
  const dir = dataDir();
  const result = resetState(dir);
  process.stdout.write(
    result === "nothing"
      ? `reset: nothing to clear (${dir} does not exist)\n`
      : `reset: cleared the local state in ${dir}\n`,
  );
  return 0;
});
