import type { TenantInput } from "./tenant.js";

/**
 * What a tenant file default-exports. It only gives editors the tenant's type (and flags unknown
 * keys as you type): validation runs in the registry, so an error can name the file it came from.
 */
export function defineTenant(tenant: TenantInput): TenantInput {
  return tenant;
}
