import { spawn } from "node:child_process";
import { once } from "node:events";

/**
 * fauxqs (the local SQS) in its own process, for benchmarks: SQS is a remote service in AWS, so the
 * sync being measured should not also pay for the queues' CPU. Pass `endpoint` to runInProcess
 * (`sqsEndpoint`), which creates its queues there.
 */
export async function spawnLocalSqs(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = [
    // The benchmark died without closing it (even while it starts): it goes too.
    `process.on("disconnect", () => process.exit(0));`,
    `const { buildApp } = await import(${JSON.stringify(import.meta.resolve("fauxqs"))});`,
    `const app = buildApp({ logger: false, host: "localhost", defaultRegion: "us-east-1" });`,
    `process.stdout.write(await app.listen({ port: 0, host: "127.0.0.1" }) + "\\n");`,
  ].join("\n");
  // fauxqs opens node:sqlite, which Node 22 marks experimental; nothing else runs in this process,
  // so its experimental warnings are none of the bench's (the entry points drop the same one).
  const child = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", "--input-type=module", "-e", server],
    {
      stdio: ["ignore", "pipe", "inherit", "ipc"],
    },
  );
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
    throw new Error(`the local SQS process did not start listening (it printed: ${address ?? "nothing"})`);
  }
  return { endpoint: `http://127.0.0.1:${port}`, close };
}
