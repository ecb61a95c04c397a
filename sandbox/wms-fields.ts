import type { Context } from "hono";

export const STATUSES = ["ACTIVE", "INACTIVE"] as const;

/**
 * What the WMS sandbox's resources (products, locations) share: their field checks, the error list
 * a 400 carries (`{"message":"Validation failed","errors":[{"field","message"}]}`), and reading a body.
 */

export interface FieldError {
  field: string;
  message: string;
}

export type Check = (value: unknown) => string | undefined;

export interface FieldRule {
  required?: boolean;
  check: Check;
}

export const text =
  (maxLength: number, options: { nullable?: boolean; nonEmpty?: boolean } = {}): Check =>
  (value) => {
    if (value === null) return options.nullable ? undefined : "must not be null";
    if (typeof value !== "string") return "must be a string";
    if (options.nonEmpty && value.trim() === "") return "must not be empty";
    return value.length > maxLength ? `must be at most ${maxLength} characters` : undefined;
  };

export const oneOf =
  (...allowed: string[]): Check =>
  (value) =>
    typeof value === "string" && allowed.includes(value) ? undefined : `must be one of ${allowed.join(", ")}`;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks a body against a resource's fields; `partial` is a PATCH, which may leave fields out but
 * never `external_id`. A field the resource does not have is refused, naming the resource (`noun`).
 */
export function validateFields(
  fields: Record<string, FieldRule>,
  noun: string,
  body: Record<string, unknown>,
  partial: boolean,
): FieldError[] {
  const errors: FieldError[] = Object.keys(body)
    .filter((field) => !Object.hasOwn(fields, field))
    .map((field) => ({ field, message: `is not a field of a ${noun}` }));
  for (const [field, rule] of Object.entries(fields)) {
    if (body[field] === undefined) {
      if (rule.required && (!partial || field === "external_id"))
        errors.push({ field, message: "is required" });
      continue;
    }
    const message = rule.check(body[field]);
    if (message) errors.push({ field, message });
  }
  return errors;
}

export async function readObject(
  c: Context,
): Promise<{ ok: true; value: Record<string, unknown> } | { ok: false; message: string }> {
  try {
    const value: unknown = await c.req.json();
    if (isObject(value)) return { ok: true, value };
  } catch {
    // Falls through to the same answer as a non-object body.
  }
  return { ok: false, message: "Request body must be a JSON object" };
}

/**
 * Which statuses a list answers: `status__eq`, else `status__in` (comma-separated), else only
 * `ACTIVE` (sandbox choice, the least convenient: the collection's own list asks
 * `status__in=ACTIVE,INACTIVE`, as if both were not the default). An unknown status is refused.
 */
export function listedStatuses(
  c: Context,
): { ok: true; statuses: string[] } | { ok: false; message: string } {
  const eq = c.req.query("status__eq");
  const asked = eq !== undefined ? [eq] : (c.req.query("status__in")?.split(",") ?? ["ACTIVE"]);
  const unknown = asked.find((status) => !(STATUSES as readonly string[]).includes(status));
  return unknown === undefined
    ? { ok: true, statuses: asked }
    : { ok: false, message: `status '${unknown}' must be one of ${STATUSES.join(", ")}` };
}
