/**
 * `npm start`: the whole system on this machine (runtime/cli/stack.ts): sandboxes, embedded DynamoDB
 * and SQS, the workers fed by Lambda-like pollers, the local scheduler and the API. Prints the API URL
 * and an operator token, then runs until Ctrl-C (SIGINT) or SIGTERM, which stop everything cleanly.
 *
 *   npm start [-- --items 1000 --seed 42]   (default: the catalogue the last command kept, else these)
 *   PORT=8080 SIESA_INTEGRATION_TOKEN=... npm start      fixed port and operator token (scripts, monitors)
 *   SIESA_INTEGRATION_WEBHOOK_URL=http://127.0.0.1:9000/hook npm start   every local tenant's notifications, POSTed there
 *
 * Logs are the workers' and API's JSON lines on stdout/stderr (POWERTOOLS_LOG_LEVEL, default INFO).
 * Exit status: 130 after Ctrl-C (SIGINT) and 143 after SIGTERM once everything has stopped (the
 * shell's 128 + signal), 1 when the stack could not start or did not stop cleanly.
 */

import { randomBytes } from "node:crypto";
import { webhookUrlProblem } from "../core/domain/notification.js";
import { logger } from "../core/observability/logger.js";
import type { WebhookTarget } from "../core/ports/notifier.js";
import { LOCAL_WEBHOOK_ENV } from "../wiring/local-credentials.js";
import { dataDir } from "../wiring/local-state.js";
import { oneLine, runCommand, UsageError } from "./args.js";
import type { LocalStack } from "./stack.js";
import { wholeNumber } from "./tenant-sides.js";

const spec = {
  command: "npm start --",
  name: "start",
  summary:
    "Runs the whole system on this machine (sandboxes, embedded DynamoDB and SQS, workers, scheduler, API) until Ctrl-C.",
  synopsis: "[--items <n>] [--seed <s>]",
  options: {
    items: {
      type: "string",
      value: "n",
      help: "items in each local tenant's sandbox catalogue (default: as last time, or 1000)",
    },
    seed: {
      type: "string",
      value: "s",
      help: "seed of the sandbox catalogues (default: as last time, or 42)",
    },
  },
  notes: [
    "environment:",
    "  PORT                     the API's port (default: a free one)",
    "  SIESA_INTEGRATION_TOKEN  the operator token to accept, at least 16 characters (default: a new one)",
    "  SIESA_INTEGRATION_TOKENS, SIESA_INTEGRATION_TOKENS_FILE  further token entries (the JSON, or a path to it)",
    "  SIESA_INTEGRATION_WEBHOOK_URL     where every local tenant's notifications are POSTed (https, or http to this machine)",
    "  SIESA_INTEGRATION_WEBHOOK_SECRET  their signing secret (default: a new one, printed)",
    "  POWERTOOLS_LOG_LEVEL     the level of the JSON logs (default INFO)",
    "all of them: .env.example",
  ],
  examples: ["PORT=8080 npm start -- --items 10000"],
} as const;

/** A stop that takes longer than this is abandoned (exit 1) rather than leaving Ctrl-C unanswered. */
const STOP_TIMEOUT_MS = 30_000;
/**
 * One Ctrl-C can arrive twice: the terminal signals the whole process group and `npm start` relays
 * it to this process as well. A second signal this soon after the first is that copy, not a user
 * insisting, and is ignored; a later one exits at once.
 */
const SAME_SIGNAL_MS = 1_000;
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** Absent --items and --seed stay absent: the sandboxes then serve the catalogue kept in the local state. */
function parse(values: { items?: string | undefined; seed?: string | undefined }) {
  const items = wholeNumber("items", values.items);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (values.seed !== undefined && (!/^-?\d+$/.test(values.seed) || !Number.isSafeInteger(seed)))
    throw new UsageError(`--seed must be an integer (got ${JSON.stringify(values.seed)})`);
  const webhook = webhookFromEnv();
  return {
    ...(items !== undefined ? { items } : {}),
    ...(seed !== undefined ? { seed } : {}),
    port: portFromEnv(),
    operatorToken: tokenFromEnv(),
    ...(webhook ? { webhook } : {}),
  };
}

/** The webhook notifications go to, as a tenant's notify secret would give it in AWS. */
function webhookFromEnv(): WebhookTarget | undefined {
  const url = process.env[LOCAL_WEBHOOK_ENV.url];
  if (url === undefined || url === "") return undefined;
  const problem = webhookUrlProblem(url);
  if (problem) throw new UsageError(`${LOCAL_WEBHOOK_ENV.url} ${problem}`);
  const signingSecret = process.env[LOCAL_WEBHOOK_ENV.signingSecret] || randomBytes(24).toString("base64url");
  return { url, signingSecret };
}

function portFromEnv(): number {
  const text = process.env.PORT;
  if (text === undefined || text === "") return 0;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UsageError(`PORT must be a port number 1-65535 (got "${text}")`);
  }
  return port;
}

function tokenFromEnv(): string | undefined {
  const token = process.env.SIESA_INTEGRATION_TOKEN;
  if (token === undefined || token === "") return undefined;
  // Never echo it back: it may be a token someone also uses elsewhere.
  if (token.length < 16) throw new UsageError("SIESA_INTEGRATION_TOKEN must be at least 16 characters");
  return token;
}

runCommand(spec, async (values) => {
  const args = parse(values);
  if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel("INFO");
  const state = dataDir();
  // The stack's code loads once the arguments are read: --help and a wrong argument answer at once.
  const starting = import("./stack.js").then(({ startLocalStack }) =>
    startLocalStack({ ...args, dataDir: state }),
  );

  // Listening before the stack is up: a signal during startup still stops whatever has started.
  let stoppingSince: number | undefined;
  const stop = (signal: "SIGINT" | "SIGTERM") => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < SAME_SIGNAL_MS) return;
      process.stderr.write(`${signal} again: exiting without waiting\n`);
      process.exit(SIGNAL_EXIT[signal]);
    }
    stoppingSince = Date.now();
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
          process.exit(SIGNAL_EXIT[signal]);
        },
        (error: unknown) => {
          process.stderr.write(`could not stop cleanly: ${oneLine(error)}\n`);
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  const stack = await starting;
  if (stoppingSince !== undefined) return undefined;
  process.stdout.write(banner(stack, state, args.webhook));
  return undefined; // keeps running until a signal
});

/** What `npm start` prints once everything is up (the README quotes it). */
function banner(stack: LocalStack, state: string, webhook: WebhookTarget | undefined): string {
  const [first] = stack.tenants;
  // Each tenant's catalogue is the one its last command kept, unless --items said otherwise.
  const sizes = stack.tenants.map((t) => stack.sandboxes.get(t.id)?.items);
  const items = sizes.every((size) => size === sizes[0])
    ? `${sizes[0]} sandbox items each`
    : `sandbox items: ${stack.tenants.map((t, i) => `${t.id} ${sizes[i]}`).join(", ")}`;
  const { port } = new URL(stack.apiUrl);
  const auth = '-H "Authorization: Bearer $TOKEN"';
  const lines = [
    `siesa-integration local stack is running (tenants: ${stack.tenants.map((t) => t.id).join(", ")}; ${items})`,
    `  API:            ${stack.apiUrl}`,
    `  operator token: ${stack.operatorToken}`,
    `  console:        ${stack.apiUrl}/console (sign in with the operator token)`,
    `  in a shell:     export PORT=${port} TOKEN=${stack.operatorToken}`,
    ...(first
      ? [
          `  status:         curl ${auth} http://127.0.0.1:$PORT/tenants/${first.id}/status`,
          `  run now:        curl -X POST ${auth} http://127.0.0.1:$PORT/tenants/${first.id}/runs`,
        ]
      : []),
    ...(webhook
      ? [
          // A secret that was given is never echoed back; a new one is printed for the receiver.
          `  webhook:        notifications POSTed to ${LOCAL_WEBHOOK_ENV.url}, signed with ${process.env[LOCAL_WEBHOOK_ENV.signingSecret] ? `$${LOCAL_WEBHOOK_ENV.signingSecret}` : webhook.signingSecret} (docs/operations.md, "Notifications"; email is only logged here)`,
        ]
      : []),
    `  local state:    ${state} (kept across restarts; npm run reset clears it)`,
    "Ctrl-C stops everything.",
  ];
  return `${lines.join("\n")}\n`;
}
