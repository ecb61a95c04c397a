/**
 * `npm start`: the whole system on this machine (runtime/local/stack.ts): sandboxes, embedded DynamoDB
 * and SQS, the workers fed by Lambda-like pollers, the local scheduler and the API. Prints the API URL
 * and an operator token, then runs until Ctrl-C (SIGINT) or SIGTERM, which stop everything cleanly.
 *
 *   npm start [-- --items 1000 --seed 42]
 *   PORT=8080 SIESA_INTEGRATION_TOKEN=... npm start      fixed port and operator token (scripts, monitors)
 *
 * Logs are the workers' and API's JSON lines on stdout/stderr (POWERTOOLS_LOG_LEVEL, default INFO).
 * Exit status: 0 after a clean stop, 1 when the stack could not start or did not stop cleanly.
 */
import { parseArgs } from "node:util";
import { startLocalStack } from "../local/stack.js";
import { dataDir } from "../local/state.js";
import { logger } from "../observability/logger.js";

class CannotStart extends Error {}

/** A stop that takes longer than this is abandoned (exit 1) rather than leaving Ctrl-C unanswered. */
const STOP_TIMEOUT_MS = 30_000;

function parse() {
  const { values } = parseArgs({
    options: {
      items: { type: "string", default: "1000" },
      seed: { type: "string", default: "42" },
    },
    strict: true,
  });
  const items = Number(values.items);
  if (!Number.isInteger(items) || items < 0) {
    throw new CannotStart(`--items must be a whole number (got ${values.items})`);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new CannotStart(`--seed must be an integer (got ${values.seed})`);
  return { items, seed, port: portFromEnv(), operatorToken: tokenFromEnv() };
}

function portFromEnv(): number {
  const text = process.env.PORT;
  if (text === undefined || text === "") return 0;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new CannotStart(`PORT must be a port number 1-65535 (got "${text}")`);
  }
  return port;
}

function tokenFromEnv(): string | undefined {
  const token = process.env.SIESA_INTEGRATION_TOKEN;
  if (token === undefined || token === "") return undefined;
  // Never echo it back: it may be a token someone also uses elsewhere.
  if (token.length < 16) throw new CannotStart("SIESA_INTEGRATION_TOKEN must be at least 16 characters");
  return token;
}

async function main(): Promise<void> {
  const args = parse();
  if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel("INFO");
  const state = dataDir();
  const starting = startLocalStack({ ...args, dataDir: state });

  // Listening before the stack is up: a signal during startup still stops whatever has started.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without waiting\n`);
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`${signal}: stopping the local stack…\n`);
    setTimeout(() => {
      process.stderr.write(`the local stack did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting\n`);
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    starting
      .then((stack) => stack.close())
      .then(
        () => {
          process.stderr.write("stopped\n");
          process.exit(0);
        },
        (error: unknown) => {
          process.stderr.write(`could not stop cleanly: ${messageOf(error)}\n`);
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  const stack = await starting;
  if (stopping) return;
  const [first] = stack.tenants;
  const auth = `-H "Authorization: Bearer ${stack.operatorToken}"`;
  const lines = [
    `siesa-integration local stack is running (tenants: ${stack.tenants.map((t) => t.id).join(", ")}; ${args.items} sandbox items each)`,
    `  API:            ${stack.apiUrl}`,
    `  operator token: ${stack.operatorToken}`,
    `  console:        ${stack.apiUrl}/console (sign in with the operator token)`,
    ...(first
      ? [
          `  status:         curl ${auth} ${stack.apiUrl}/tenants/${first.id}/status`,
          `  run now:        curl -X POST ${auth} ${stack.apiUrl}/tenants/${first.id}/runs`,
        ]
      : []),
    `  local state:    ${state} (kept across restarts; npm run reset clears it)`,
    "Ctrl-C stops everything.",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

main().catch((error: unknown) => {
  process.stderr.write(`start: ${messageOf(error)}\n`);
  process.exit(1);
});
