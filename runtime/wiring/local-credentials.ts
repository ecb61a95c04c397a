import type { Tenant } from "../core/domain/tenant.js";
import { type CredentialSource, CredentialsError } from "../core/ports/pipeline.js";
import type { TenantCredentials } from "../core/ports/tenant-clients.js";

/** The sandboxes' credentials per tenant: what Secrets Manager holds in AWS. They are not secrets. */
export function credentialsOf(byTenant: ReadonlyMap<string, TenantCredentials>): CredentialSource {
  return {
    async forTenant(tenant: Tenant) {
      const credentials = byTenant.get(tenant.id);
      if (!credentials) {
        throw new CredentialsError(`tenant ${tenant.id}: no local sandbox credentials (not a local tenant)`);
      }
      return credentials;
    },
  };
}
