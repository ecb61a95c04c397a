import { MAPPINGS } from "../../mappings/index.js";
import { compileMapping } from "../core/domain/mapping.js";
import { type OtherStream, streamRefusal, streamsOf } from "../core/domain/stream.js";
import type { Tenant } from "../core/domain/tenant.js";
import type { Log } from "../core/observability/logger.js";
import type { CallPolicy } from "../core/ports/call-policy.js";
import type { ProductClient, ProductReader } from "../core/ports/product.js";
import type { StreamClients, TenantClients, TenantCredentials } from "../core/ports/tenant-clients.js";
import { snapshotWriter } from "../core/streams/snapshot-writer.js";
import { parseStockKey, stockMapper } from "../core/streams/stock.js";
import { warehouseMapper } from "../core/streams/warehouses.js";
import { createLocationClient, createProductClient } from "../edges/http/products/index.js";
import {
  SiesaClient,
  type SiesaClientOptions,
  SiesaConnection,
  SiesaStockReader,
  SiesaWarehouseReader,
} from "../edges/http/siesa/index.js";

type ClientOptions = { policy: CallPolicy; log: Log; siesaUrl?: string; productUrl?: string };

/** Siesa access and the product's client: what a check of the tenant's two sides calls. */
export interface TenantConnections {
  siesa: SiesaConnection;
  product: ProductClient;
}

/**
 * Builds the clients one tenant's run talks to. Base URLs can be overridden (the CLI's
 * --siesa-url/--product-url, the local stack's sandboxes); everything else is the tenant's file.
 */
export function clientsFor(
  tenant: Tenant,
  credentials: TenantCredentials,
  options: ClientOptions,
): TenantClients {
  const definition = MAPPINGS[tenant.mapping];
  if (!definition) throw new Error(`tenant ${tenant.id}: mapping "${tenant.mapping}" does not exist`);
  const mapping = compileMapping(definition);
  return {
    siesa: new SiesaClient(siesaOptions(tenant, credentials, options)),
    product: productClient(tenant, credentials, options),
    mapper: {
      map: (source) => mapping.map(source, tenant),
      ...(mapping.inactive ? { inactive: mapping.inactive } : {}),
      ...(mapping.listed ? { listed: mapping.listed } : {}),
    },
  };
}

/**
 * The clients of one of the tenant's other streams: its warehouses become the product's locations;
 * its stock is kept as this service's own snapshot (no product publishes a stock API yet).
 */
export function streamClientsFor(
  tenant: Tenant,
  credentials: TenantCredentials,
  stream: OtherStream,
  options: ClientOptions,
): StreamClients {
  const siesa = siesaOptions(tenant, credentials, options);
  // No client is made for an endpoint nobody confirmed: every run and verify of the stream stops here.
  const refusal = streamRefusal(tenant, stream);
  if (refusal) throw new Error(refusal);
  if (stream === "warehouses") {
    const locations = createLocationClient(tenant.product.type, productOptions(tenant, credentials, options));
    return {
      siesa: new SiesaWarehouseReader(siesa),
      product: locations,
      mapper: warehouseMapper(tenant),
      reader: locations,
    };
  }
  return {
    siesa: new SiesaStockReader(siesa, tenant.streams?.stock?.warehouses),
    product: snapshotWriter,
    mapper: stockMapper(tenant),
    keepsValues: true,
    partitionOf: (key) => parseStockKey(key)?.warehouse,
  };
}

/**
 * The tenant's two sides without what a run reads and maps with: the API checks them with this, and
 * so its bundle carries neither the Siesa extraction nor the mappings.
 */
export function connectionsFor(
  tenant: Tenant,
  credentials: TenantCredentials,
  options: ClientOptions,
): TenantConnections {
  return {
    siesa: new SiesaConnection(siesaOptions(tenant, credentials, options)),
    product: productClient(tenant, credentials, options),
  };
}

function siesaOptions(
  tenant: Tenant,
  credentials: TenantCredentials,
  options: ClientOptions,
): SiesaClientOptions {
  return {
    baseUrl: options.siesaUrl ?? tenant.siesa.baseUrl,
    companyId: tenant.siesa.companyId,
    erpCompany: tenant.siesa.erpCompany,
    credentials: credentials.siesa,
    policy: options.policy,
    tenantId: tenant.id,
    log: options.log,
    // Siesa counts the calls of the tenant's company whichever stream makes them, and each stream's
    // run has its own lease, so their workers may all be calling at once.
    workers: tenant.sync.concurrency * streamsOf(tenant).length,
  };
}

function productClient(
  tenant: Tenant,
  credentials: TenantCredentials,
  options: ClientOptions,
): ProductClient & ProductReader {
  return createProductClient(tenant.product.type, productOptions(tenant, credentials, options));
}

function productOptions(tenant: Tenant, credentials: TenantCredentials, options: ClientOptions) {
  return {
    baseUrl: options.productUrl ?? tenant.product.baseUrl,
    endpoints: tenant.product.endpoints,
    credentials: credentials.product,
    policy: options.policy,
    tenantId: tenant.id,
    log: options.log,
  };
}
