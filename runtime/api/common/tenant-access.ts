import { type StreamName, streamRefusal, syncsStream } from "../../core/domain/stream.js";
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

/**
 * A body's `stream` the tenant may run now: 400 when its file declares none, 409 while the stream
 * is refused (streamRefusal: a WMS tenant's warehouses before their locations are confirmed).
 */
export function assertRunnableStream(tenant: Tenant, stream: StreamName | undefined): void {
  if (stream === undefined) return;
  if (!syncsStream(tenant, stream))
    throw new ApiError(400, `invalid body parameter stream: tenant ${tenant.id} syncs no ${stream}`, {
      issues: [
        {
          field: "stream",
          problem: `tenant ${tenant.id} syncs no ${stream}: its file has no streams.${stream}`,
        },
      ],
    });
  const refusal = streamRefusal(tenant, stream);
  if (refusal) throw new ApiError(409, refusal, { tenantId: tenant.id, stream });
}
