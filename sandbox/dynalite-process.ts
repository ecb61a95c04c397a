import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { freePort } from "./free-port.js";

/**
 * dynalite in its own process, for benchmarks: DynamoDB is a remote service in AWS, so the sync
 * being measured should not also pay for the database's CPU. Point the store at it with
 * AWS_ENDPOINT_URL_DYNAMODB = `endpoint`.
 */
export async function spawnDynalite(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const port = await freePort();
  const cli = createRequire(import.meta.url).resolve("dynalite/cli.js");
  const child = spawn(
    process.execPath,
    [cli, "--host", "127.0.0.1", "--port", String(port), "--createTableMs", "0", "--deleteTableMs", "0"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = once(child, "exit");
  const ready = once(child.stdout, "data");
  const first = await Promise.race([ready.then(() => "ready"), exited.then(() => "exited")]);
  if (first !== "ready") throw new Error("dynalite process exited before it listened");
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
