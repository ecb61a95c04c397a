/**
 * Siesa refused the ConniKey/ConniToken pair (HTTP 401). The run cannot start until someone fixes
 * the tenant's secret, so this is not retried. The message names the tenant, never the key or token.
 */
export class SiesaAuthError extends Error {
  override readonly name = "SiesaAuthError";
  constructor(readonly tenantId: string) {
    super(
      `Siesa rejected the ConniKey/ConniToken pair of tenant '${tenantId}' (HTTP 401): check the secret siesa-integration/${tenantId}/siesa`,
    );
  }
}
