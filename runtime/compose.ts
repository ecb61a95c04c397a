import { MAPPINGS } from "../mappings/index.js";
import type { CallPolicy } from "./http/policy.js";
import type { Log } from "./observability/logger.js";
import { createProductClient, type ProductClient, type ProductCredentials } from "./products/index.js";
import { SiesaClient, type SiesaCredentials } from "./siesa/index.js";
import { compileMapping } from "./sync/mapping.js";
import type { RecordMapper } from "./sync/ports.js";
import type { Tenant } from "./tenants/schema.js";

export interface TenantCredentials {
  siesa: SiesaCredentials;
  product: ProductCredentials;
}

export interface TenantClients {
  siesa: SiesaClient;
  product: ProductClient;
  mapper: RecordMapper;
}

/**
 * Builds the clients one tenant's run talks to. Base URLs can be overridden (the CLI's
 * --siesa-url/--product-url, the local stack's sandboxes); everything else is the tenant's file.
 */
export function clientsFor(
  tenant: Tenant,
  credentials: TenantCredentials,
  options: { policy: CallPolicy; log: Log; siesaUrl?: string; productUrl?: string },
): TenantClients {
  const { policy, log } = options;
  const definition = MAPPINGS[tenant.mapping];
  if (!definition) throw new Error(`tenant ${tenant.id}: mapping "${tenant.mapping}" does not exist`);
  const mapping = compileMapping(definition);
  return {
    siesa: new SiesaClient({
      baseUrl: options.siesaUrl ?? tenant.siesa.baseUrl,
      companyId: tenant.siesa.companyId,
      erpCompany: tenant.siesa.erpCompany,
      credentials: credentials.siesa,
      policy,
      tenantId: tenant.id,
      log,
    }),
    product: createProductClient(tenant.product.type, {
      baseUrl: options.productUrl ?? tenant.product.baseUrl,
      endpoints: tenant.product.endpoints,
      credentials: credentials.product,
      policy,
      tenantId: tenant.id,
      log,
    }),
    mapper: {
      map: (source) => mapping.map(source, tenant),
      ...(mapping.inactive ? { inactive: mapping.inactive } : {}),
    },
  };
}
