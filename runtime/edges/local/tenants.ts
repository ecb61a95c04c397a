import type { Tenant } from "../../core/domain/tenant.js";
import type { TenantDirectory } from "../../core/ports/pipeline.js";

/** The local stack's tenants: the registry's `local` tenants, pointed at this machine's sandboxes. */
export function localTenantDirectory(tenants: readonly Tenant[]): TenantDirectory {
  const byId = new Map(tenants.map((tenant) => [tenant.id, tenant]));
  return {
    get: async (tenantId) => byId.get(tenantId),
    list: async () => [...byId.values()],
  };
}

/** A tenant file's URLs are placeholders locally: the sandboxes listen on whatever ports were free. */
export const withSandboxUrls = (tenant: Tenant, urls: { siesaUrl: string; productUrl: string }): Tenant => ({
  ...tenant,
  siesa: { ...tenant.siesa, baseUrl: urls.siesaUrl },
  product: { ...tenant.product, baseUrl: urls.productUrl },
});
