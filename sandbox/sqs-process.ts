import { spawn } from "node:child_process";
import { once } from "node:events";

/**
 * fauxqs (the local SQS) in its own process, for benchmarks: SQS is a remote service in AWS, so the
 * sync being measured should not also pay for the queues' CPU. Pass `endpoint` to runInProcess
 * (`sqsEndpoint`), which creates its queues there.
 */
export async function spawnLocalSqs(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = [
    `const { buildApp } = await import(${JSON.stringify(import.meta.resolve("fauxqs"))});`,
    `const app = buildApp({ logger: false, host: "localhost", defaultRegion: "us-east-1" });`,
    `process.stdout.write(await app.listen({ port: 0, host: "127.0.0.1" }) + "\\n");`,
    // The benchmark died without closing it: it goes too.
    `process.on("disconnect", () => process.exit(0));`,
  ].join("\n");
  const child = spawn(process.execPath, ["--input-type=module", "-e", server], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  const ready = once(child.stdout as NodeJS.ReadableStream, "data").then(([data]) => String(data).trim());
  const address = await Promise.race([ready, exited.then(() => undefined)]);
  if (!address) throw new Error("the local SQS process exited before it listened");
  return {
    endpoint: `http://127.0.0.1:${new URL(address).port}`,
    close: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
