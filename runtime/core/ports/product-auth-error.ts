import type { ProductType } from "../domain/model.js";

/**
 * The product refused our credentials (bad login, or a fresh token refused again). Writing more
 * records is pointless, so the run stops. The message names product and tenant, never a secret.
 */
export class ProductAuthError extends Error {
  override readonly name = "ProductAuthError";
  constructor(
    readonly product: ProductType,
    readonly tenantId: string,
    readonly status: number | undefined,
    detail: string,
  ) {
    super(
      `${product} refused the credentials of tenant ${tenantId}${status ? ` (${status})` : ""}: ${detail}`,
    );
  }
}
