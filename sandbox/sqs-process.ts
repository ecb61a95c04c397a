import { spawnServer } from "./server-process.js";

/**
 * fauxqs (the local SQS) in its own process, for benchmarks: SQS is a remote service in AWS, so the
 * sync being measured should not also pay for the queues' CPU. Pass `endpoint` to runInProcess
 * (`sqsEndpoint`), which creates its queues there.
 */
export function spawnLocalSqs(): Promise<{ endpoint: string; close(): Promise<void> }> {
  return spawnServer(
    "local SQS",
    [
      `const { buildApp } = await import(${JSON.stringify(import.meta.resolve("fauxqs"))});`,
      `const app = buildApp({ logger: false, host: "localhost", defaultRegion: "us-east-1" });`,
      `process.stdout.write(await app.listen({ port: 0, host: "127.0.0.1" }) + "\\n");`,
    ].join("\n"),
    // fauxqs opens node:sqlite, which Node 22 marks experimental; nothing else runs in this process,
    // so its experimental warnings are none of the bench's (the entry points drop the same one).
    ["--disable-warning=ExperimentalWarning", "--input-type=module"],
  );
}
