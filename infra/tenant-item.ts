import type { Tenant } from "../runtime/core/domain/tenant.js";
import { TABLE_DEFINITIONS } from "../runtime/edges/store/tables.js";

/**
 * The tenants table item the program writes for each tenant, in DynamoDB's attribute-value JSON
 * (what `aws.dynamodb.TableItem` takes): `{ tenantId, config: <the validated tenant> }`. The runtime
 * reads `config` back with the document client, so it gets the tenant file's object unchanged.
 */
export function tenantItem(tenant: Tenant): string {
  return JSON.stringify({
    [TABLE_DEFINITIONS.tenants.hashKey]: { S: tenant.id },
    config: attributeValue(tenant),
  });
}

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> };

/** Marshals plain JSON data (what a tenant file holds); `undefined` fields are left out, as the SDK does. */
export function attributeValue(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`cannot store ${value} in DynamoDB`);
    return { N: String(value) };
  }
  if (typeof value === "boolean") return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(attributeValue) };
  if (typeof value === "object") {
    const map: Record<string, AttributeValue> = {};
    for (const [key, field] of Object.entries(value)) {
      if (field !== undefined) map[key] = attributeValue(field);
    }
    return { M: map };
  }
  throw new TypeError(`cannot store a ${typeof value} in DynamoDB`);
}
