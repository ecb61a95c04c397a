import { cutText } from "../../../core/observability/cut-text.js";

/**
 * A product's error body as one short line: its `detail`/`message` when it has one, else the JSON;
 * cut at 1,000 characters (it is outside text, logged and stored as a record's reason).
 */
export function apiText(data: unknown): string {
  if (data == null || data === "") return "no message";
  if (typeof data === "string") return cutText(data);
  if (isRecord(data)) {
    if (typeof data.detail === "string") return cutText(data.detail);
    if (typeof data.message === "string") return cutText(data.message);
  }
  return cutText(JSON.stringify(data));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const isSuccess = (status: number): boolean => status >= 200 && status < 300;
