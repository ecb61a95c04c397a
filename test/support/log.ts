import type { Log } from "../../runtime/core/observability/logger.js";

export interface LogEntry {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  data: unknown[];
}

/**
 * A Log that keeps what it was told: `entries` to read a warning's fields, `lines` (each call as
 * JSON) to check that no secret was ever logged.
 */
export function recordingLog(): Log & { entries: LogEntry[]; lines: string[] } {
  const entries: LogEntry[] = [];
  const lines: string[] = [];
  const at =
    (level: LogEntry["level"]) =>
    (message: unknown, ...data: unknown[]) => {
      entries.push({ level, message: String(message), data });
      lines.push(JSON.stringify([message, ...data]));
    };
  return { entries, lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A Log that drops everything, for tests about something else. */
export const quietLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
