import { Logger } from "@aws-lambda-powertools/logger";
import { SERVICE_NAME } from "./metric-names.js";

/**
 * The one structured logger (Powertools): JSON lines with `service`, `level`, `message` and
 * whatever keys a caller appends (`tenantId`, `runId`). INFO goes to stdout, WARN/ERROR to stderr.
 * Level comes from POWERTOOLS_LOG_LEVEL (the CLI lowers it so its own output stays readable).
 */
export const logger = new Logger({
  serviceName: SERVICE_NAME,
  environment: process.env.SIESA_INTEGRATION_ENV ?? "local",
});

/** What code that logs needs: lets a test pass a recording logger. */
export type Log = Pick<Logger, "debug" | "info" | "warn" | "error">;
