/**
 * A process that opens the embedded DynamoDB on a data directory, as `npm start` and `npm run sync`
 * do, for the claim tests, and holds what it opened until killed.
 * - `claim-child.ts race`: says "ready"; for each stdin line "go <epoch ms> <dir> <open|claim>" opens
 *   <dir> (or only claims it, without the file system calls before) at that instant (waited for by
 *   spinning, so racers on different cores start within microseconds of each other) and says
 *   "<dir> won" or "<dir> refused: <why>".
 * - `claim-child.ts exit <dir>`: opens <dir> at once, says "<dir> won" (or refused), and exits.
 */
import { createInterface } from "node:readline";
import { claimDirectory } from "../../../runtime/edges/local/directory-claim.js";
import { startDynalite } from "../../../runtime/wiring/local-store.js";

async function open(dir: string): Promise<void> {
  try {
    await startDynalite({ path: dir });
    process.stdout.write(`${dir} won\n`);
  } catch (error) {
    process.stdout.write(`${dir} refused: ${(error as Error).message}\n`);
  }
}

const [mode, dir] = process.argv.slice(2);
if (mode === "exit" && dir) {
  await open(dir);
  process.exit(0);
} else if (mode === "race") {
  process.stdout.write("ready\n");
  for await (const line of createInterface({ input: process.stdin })) {
    const [go, at, path, how] = line.split(" ");
    if (go !== "go" || !path) continue;
    while (Date.now() < Number(at)) {
      // spin: a timer would add a millisecond of jitter, as long as the race itself
    }
    if (how === "claim") {
      const holder = claimDirectory(path);
      process.stdout.write(holder ? `${path} refused: in use by process ${holder.pid}\n` : `${path} won\n`);
    } else {
      await open(path);
    }
  }
} else {
  throw new Error("usage: claim-child.ts race | claim-child.ts exit <dir>");
}
