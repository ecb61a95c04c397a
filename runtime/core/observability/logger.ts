import { Logger } from "@aws-lambda-powertools/logger";
import { cutText } from "./cut-text.js";
import { SERVICE_NAME } from "./metric-names.js";

/**
 * The one structured logger (Powertools): JSON lines with `service`, `level`, `message` and
 * whatever keys a caller appends (`tenantId`, `runId`). INFO goes to stdout, WARN/ERROR to stderr.
 * Level comes from POWERTOOLS_LOG_LEVEL (the CLI lowers it so its own output stays readable).
 * Every string field is cut at 1,000 characters (cut-text.ts): many carry an outside API's text.
 */
export function createLogger(): Logger {
  return new Logger({
    serviceName: SERVICE_NAME,
    environment: process.env.SIESA_INTEGRATION_ENV ?? "local",
    jsonReplacerFn: cutLongText,
  });
}

/**
 * JSON replacer: strings cut, and an Error's message and stack too (Powertools formats it after this).
 * An Error is logged as its name, message and stack only: Powertools would add its other enumerable
 * properties and its cause, where an HTTP client's error keeps the request it made, headers included.
 */
function cutLongText(_key: string, value: unknown): unknown {
  if (typeof value === "string") return cutText(value);
  if (value instanceof Error) {
    return {
      name: value.name,
      message: cutText(value.message),
      ...(value.stack ? { stack: cutText(value.stack) } : {}),
    };
  }
  return value;
}

export const logger = createLogger();

/** What code that logs needs: lets a test pass a recording logger. */
export type Log = Pick<Logger, "debug" | "info" | "warn" | "error">;
