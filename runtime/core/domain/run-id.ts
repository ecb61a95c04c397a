import { randomBytes } from "node:crypto";

/**
 * `20250131T235959.123Z-9f8e7d6c5b4a`: UTC time to the millisecond, then 48 random bits. Sorts by time as a
 * string (so a tenant's runs list newest first by runId) and is unique without coordination.
 */
export function newRunId(now: Date = new Date()): string {
  const time = now.toISOString().replace(/[-:]/g, "");
  return `${time}-${randomBytes(6).toString("hex")}`;
}
