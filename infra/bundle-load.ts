import { execFile } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { ENV } from "../runtime/core/domain/resource-names.js";

const run = promisify(execFile);

/**
 * The environment a function sees in Lambda, with stand-in values, so a bundle that reads its wiring
 * at load time loads here too. No credentials: loading must not call AWS.
 */
export const STAND_IN_ENVIRONMENT: Readonly<Record<string, string>> = {
  AWS_REGION: "us-east-1",
  AWS_LAMBDA_FUNCTION_NAME: "bundle-load-check",
  [ENV.stack]: "bundle-check",
  [ENV.tablePrefix]: "siesa-integration-bundle-check",
  [ENV.syncRequestsQueueUrl]: "https://sqs.us-east-1.amazonaws.com/000000000000/sync-requests",
  [ENV.unitsQueueUrl]: "https://sqs.us-east-1.amazonaws.com/000000000000/units.fifo",
  [ENV.loadsQueueUrl]: "https://sqs.us-east-1.amazonaws.com/000000000000/loads",
  [ENV.verifyRequestsQueueUrl]: "https://sqs.us-east-1.amazonaws.com/000000000000/verify-requests",
  [ENV.notificationsQueueUrl]: "https://sqs.us-east-1.amazonaws.com/000000000000/notifications",
  [ENV.apiUrl]: "https://bundle-check.execute-api.us-east-1.amazonaws.com/bundle-check",
  [ENV.notifyTopicArnPrefix]: "arn:aws:sns:us-east-1:000000000000:siesa-integration-bundle-check-notify-",
  [ENV.retryBaseSeconds]: "30",
};

export interface LoadResult {
  /** Time for `import()` of the bundle in a fresh Node process, in milliseconds. */
  loadMs: number;
  /** The bundle's export names (a Lambda entry must export `handler`). */
  exports: string[];
}

/**
 * Imports a bundle in a new Node process (nothing cached) and reports how long the import took. The
 * bundle is `dist/lambda/<function>/index.mjs`: the function's name is set as the program sets it.
 */
export async function loadInFreshProcess(file: string): Promise<LoadResult> {
  const script = [
    "const started = performance.now();",
    `const module = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    "const loadMs = performance.now() - started;",
    "process.stdout.write(JSON.stringify({ loadMs, exports: Object.keys(module) }));",
  ].join("\n");
  const { stdout } = await run(process.execPath, ["--input-type=module", "--eval", script], {
    env: {
      PATH: process.env.PATH ?? "",
      ...STAND_IN_ENVIRONMENT,
      [ENV.function]: path.basename(path.dirname(file)),
    },
  });
  return JSON.parse(stdout) as LoadResult;
}
