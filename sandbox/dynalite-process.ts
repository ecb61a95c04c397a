import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";

/**
 * dynalite in its own process, for benchmarks: DynamoDB is a remote service in AWS, so the sync
 * being measured should not also pay for the database's CPU. Point the store at it with
 * AWS_ENDPOINT_URL_DYNAMODB = `endpoint`.
 */
export async function spawnDynalite(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = [
    // The benchmark died without closing it (a failed run, a kill): it goes too.
    `process.on("disconnect", () => process.exit(0));`,
    `const dynalite = require(${JSON.stringify(createRequire(import.meta.url).resolve("dynalite"))});`,
    `const server = dynalite({ createTableMs: 0, deleteTableMs: 0 });`,
    `server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));`,
  ].join("\n");
  const child = spawn(process.execPath, ["-e", server], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
  const exited = once(child, "exit");
  const close = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  };
  const ready = once(child.stdout as NodeJS.ReadableStream, "data").then(([data]) => String(data).trim());
  const port = await Promise.race([ready, exited.then(() => undefined)]);
  if (!port || !/^\d+$/.test(port)) {
    await close();
    throw new Error(`the dynalite process did not start listening (it printed: ${port ?? "nothing"})`);
  }
  return { endpoint: `http://127.0.0.1:${port}`, close };
}
