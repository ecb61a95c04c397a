import { cutText } from "../../../core/observability/cut-text.js";
import { isRecord } from "./api-text.js";

/** Keys whose messages are not about one field, so they are shown without a prefix. */
const GENERAL_KEYS = new Set(["non_field_errors", "detail"]);

/**
 * A DRF error body as one line that keeps every message:
 * `{"name":["Ensure this field has no more than 255 characters."]}` →
 * `name: Ensure this field has no more than 255 characters.`; nested fields get dotted paths.
 * Cut at 1,000 characters (outside text).
 */
export function drfMessage(data: unknown): string {
  if (data == null || data === "") return "no message";
  if (typeof data === "string") return cutText(data);
  const parts: string[] = [];
  collect(data, "", parts);
  return cutText(parts.length > 0 ? parts.join("; ") : JSON.stringify(data));
}

function collect(value: unknown, path: string, parts: string[]): void {
  if (typeof value === "string") {
    parts.push(path ? `${path}: ${value}` : value);
  } else if (Array.isArray(value)) {
    if (value.every((v) => typeof v === "string")) {
      if (value.length > 0) parts.push(path ? `${path}: ${value.join(" ")}` : value.join(" "));
    } else {
      value.forEach((v, i) => {
        collect(v, path ? `${path}[${i}]` : `[${i}]`, parts);
      });
    }
  } else if (isRecord(value)) {
    for (const [key, inner] of Object.entries(value)) {
      const innerPath = GENERAL_KEYS.has(key) ? path : path ? `${path}.${key}` : key;
      collect(inner, innerPath, parts);
    }
  } else if (value != null) {
    parts.push(path ? `${path}: ${String(value)}` : String(value));
  }
}

/** Kong's answer to a create whose `external_id` is taken (docs/integrations/INT-002-kong-rfid.md). */
export function isDuplicateExternalId(data: unknown): boolean {
  if (!isRecord(data) || !Array.isArray(data.external_id)) return false;
  return data.external_id.some((m) => typeof m === "string" && /already exists/i.test(m));
}

/** Kong's answer to a create of an external id it already holds: a 400 naming the field. */
export const isDuplicateAnswer = (response: { status: number; _data?: unknown }): boolean =>
  response.status === 400 && isDuplicateExternalId(response._data);
