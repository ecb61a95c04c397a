import { cutText } from "../../../core/observability/cut-text.js";
import { apiText, isRecord } from "./api-text.js";

/**
 * The WMS's error body as one line that keeps every message:
 * `{"message":"Validation failed","errors":[{"field":"name","message":"is required"}]}` →
 * `Validation failed: name is required`. Cut at 1,000 characters (outside text).
 */
export function wmsMessage(data: unknown): string {
  if (!isRecord(data) || !Array.isArray(data.errors)) return apiText(data);
  const details = data.errors
    .map((e) =>
      isRecord(e) ? [e.field, e.message].filter((part) => typeof part === "string").join(" ") : "",
    )
    .filter(Boolean);
  const head = typeof data.message === "string" ? data.message : "Invalid product";
  return cutText(details.length > 0 ? `${head}: ${details.join("; ")}` : head);
}

/** The WMS's answer to a create of an external id it already holds, where it refuses one: 409. */
export const isConflict = (response: { status: number }): boolean => response.status === 409;
