import { createRequire } from "node:module";
import { spawnServer } from "./server-process.js";

/**
 * dynalite in its own process, for benchmarks: DynamoDB is a remote service in AWS, so the sync
 * being measured should not also pay for the database's CPU. Point the store at it with
 * AWS_ENDPOINT_URL_DYNAMODB = `endpoint`.
 */
export function spawnDynalite(): Promise<{ endpoint: string; close(): Promise<void> }> {
  return spawnServer(
    "dynalite",
    [
      `const dynalite = require(${JSON.stringify(createRequire(import.meta.url).resolve("dynalite"))});`,
      `const server = dynalite({ createTableMs: 0, deleteTableMs: 0 });`,
      `server.listen(0, "127.0.0.1", () => process.stdout.write("http://127.0.0.1:" + server.address().port + "\\n"));`,
    ].join("\n"),
  );
}
