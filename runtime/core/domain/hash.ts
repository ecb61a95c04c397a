import { hash } from "node:crypto";

/**
 * JSON with object keys sorted at every level, so equal payloads always serialise alike. (Loops
 * rather than filter/map/join: it runs for every record of every run, and the text must not change,
 * or every ledger hash would.)
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = "{";
  for (const key of Object.keys(record).sort()) {
    const field = record[key];
    if (field === undefined) continue;
    out += `${out.length > 1 ? "," : ""}${JSON.stringify(key)}:${canonicalJson(field)}`;
  }
  return `${out}}`;
}

/**
 * The ledger's fingerprint of a product payload: equal hashes mean the product already holds
 * exactly this payload, so the record is `unchanged` and nothing is written.
 */
export function payloadHash(payload: unknown): string {
  // The one-shot form: no Hash object per record (half the time of createHash().update().digest()).
  return hash("sha256", canonicalJson(payload), "base64url");
}

/**
 * The fingerprint of the payload's fields a product lists (`listed`, in that order; absent ones left
 * out): for a product whose list shows only some of what we write, it is what verify can compare.
 */
export function listedHash(payload: Record<string, unknown>, listed: readonly string[]): string {
  const shown: Record<string, unknown> = {};
  for (const field of listed) if (payload[field] !== undefined) shown[field] = payload[field];
  return payloadHash(shown);
}
