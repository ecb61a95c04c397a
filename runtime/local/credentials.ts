import type { TenantCredentials } from "../compose.js";
import { type CredentialSource, CredentialsError } from "../pipeline/ports.js";
import type { Tenant } from "../tenants/schema.js";

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
