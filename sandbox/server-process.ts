import { spawn } from "node:child_process";
import { once } from "node:events";

/**
 * A local service (dynalite, fauxqs) in its own Node process, for benchmarks: `script` starts it
 * and prints the URL it listens on as its first line. The process goes when its parent does (the
 * IPC channel closes: a benchmark that failed or was killed), even while it starts.
 */
export async function spawnServer(
  /** The service, in words ("dynalite"), for the error when it does not start. */
  what: string,
  script: string,
  nodeArgs: readonly string[] = [],
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const source = [`process.on("disconnect", () => process.exit(0));`, script].join("\n");
  const child = spawn(process.execPath, [...nodeArgs, "-e", source], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  const close = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  };
  const ready = once(child.stdout as NodeJS.ReadableStream, "data").then(([data]) => String(data).trim());
  const address = await Promise.race([ready, exited.then(() => undefined)]);
  const port = address && URL.canParse(address) ? new URL(address).port : "";
  if (!port) {
    await close();
    throw new Error(`the ${what} process did not start listening (it printed: ${address ?? "nothing"})`);
  }
  return { endpoint: `http://127.0.0.1:${port}`, close };
}
