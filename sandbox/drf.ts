import type { Context } from "hono";

/**
 * What the Kong sandbox's resources share of Django REST Framework: its serializer fields'
 * validation and messages, Python's type names in them, and its JSON parse error.
 */

export type FieldErrors = Record<string, string[]>;

export interface FieldRule {
  kind: "string" | "integer" | "boolean" | "dict";
  required?: boolean;
  nullable?: boolean;
  allowBlank?: boolean;
  maxLength?: number;
}

/** Python's name for a JSON value's type, as DRF puts it in its messages. */
export function pythonType(value: unknown): string {
  if (Array.isArray(value)) return "list";
  if (value === null) return "NoneType";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return "dict";
}

/** One field the way DRF's serializer fields do it: returns the clean value or the error. */
export function cleanField(rule: FieldRule, value: unknown): { value: unknown } | { error: string } {
  if (value === null) return rule.nullable ? { value: null } : { error: "This field may not be null." };
  switch (rule.kind) {
    case "string": {
      // CharField accepts numbers (str() of them) and trims whitespace by default.
      if (typeof value !== "string" && typeof value !== "number") return { error: "Not a valid string." };
      const text = String(value).trim();
      if (text === "" && !rule.allowBlank) return { error: "This field may not be blank." };
      if (rule.maxLength !== undefined && text.length > rule.maxLength) {
        return { error: `Ensure this field has no more than ${rule.maxLength} characters.` };
      }
      return { value: text };
    }
    case "integer": {
      if (typeof value === "number" && Number.isInteger(value)) return { value };
      if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) return { value: Number(value) };
      return { error: "A valid integer is required." };
    }
    case "boolean":
      return typeof value === "boolean" ? { value } : { error: "Must be a valid boolean." };
    case "dict":
      return pythonType(value) === "dict"
        ? { value }
        : { error: `Expected a dictionary of items but got type "${pythonType(value)}".` };
  }
}

export async function readJson(
  c: Context,
): Promise<{ ok: true; value: unknown } | { ok: false; detail: string }> {
  try {
    return { ok: true, value: await c.req.json() };
  } catch (error) {
    return {
      ok: false,
      detail: `JSON parse error - ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
