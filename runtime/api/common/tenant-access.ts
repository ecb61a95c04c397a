import type { Tenant } from "../../core/domain/tenant.js";
import type { ApiDependencies, Principal } from "../../core/ports/api.js";
import { assertCanRead } from "./auth.js";
import { ApiError } from "./errors.js";
import { parseRequest, TenantParams } from "./validation.js";

/**
 * The tenant a `/tenants/:id/...` route is about, checked in the order a caller can act on: a malformed
 * id is 400, another tenant's id for a tenant token is 403 (before looking it up, so a tenant token
 * cannot learn which tenants exist), an unknown tenant is 404.
 */
export async function tenantFor(
  deps: ApiDependencies,
  principal: Principal,
  params: Record<string, string>,
): Promise<Tenant> {
  const { id } = parseRequest(TenantParams, params, "path");
  assertCanRead(principal, id);
  const tenant = await deps.tenants.get(id);
  if (!tenant) throw new ApiError(404, `tenant ${id} does not exist`, { tenantId: id });
  return tenant;
}
