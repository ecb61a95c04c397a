import type { Tenant } from "../core/domain/tenant.js";
import type { NotifySecretSource, WebhookTarget } from "../core/ports/notifier.js";
import { type CredentialSource, CredentialsError } from "../core/ports/pipeline.js";
import type { TenantCredentials } from "../core/ports/tenant-clients.js";
import { webhookTarget } from "../edges/aws/secrets.js";

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

/** The variables `npm start` reads the local webhook from (what a tenant's notify secret holds in AWS). */
export const LOCAL_WEBHOOK_ENV = {
  url: "SIESA_INTEGRATION_WEBHOOK_URL",
  signingSecret: "SIESA_INTEGRATION_WEBHOOK_SECRET",
} as const;

/** Every local tenant's webhook: the one `npm start` was given, checked as a notify secret's would be. */
export function localWebhook(target: WebhookTarget | undefined): NotifySecretSource {
  const checked = target && webhookTarget(LOCAL_WEBHOOK_ENV.url, target.url, target.signingSecret);
  return {
    async webhookOf(tenant: Tenant) {
      if (!checked) {
        throw new CredentialsError(
          `tenant ${tenant.id}: no local webhook (start with ${LOCAL_WEBHOOK_ENV.url} set)`,
        );
      }
      return checked;
    },
  };
}
