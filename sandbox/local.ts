import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ProductType } from "../runtime/core/domain/model.js";
import type { TenantCredentials } from "../runtime/core/ports/tenant-clients.js";
import { type CatalogueOptions, generateCatalogue } from "./catalogue.js";
import { type FaultKnobs, noFaults } from "./faults.js";
import { createKongSandbox, type KongSandbox, SANDBOX_KONG_CREDENTIALS } from "./kong.js";
import { listen, type RunningServer } from "./serve.js";
import { createSiesaSandbox, SANDBOX_SIESA_CREDENTIALS, type SiesaSandbox } from "./siesa.js";
import { generateStock, type StockOptions } from "./stock.js";
import { createWmsSandbox, SANDBOX_WMS_CREDENTIALS, type WmsSandbox } from "./wms.js";

export interface LocalSandboxOptions {
  product: ProductType;
  /** Items of the tenant's ERP company in the generated catalogue (default: as last time, or 1,000). */
  items?: number;
  /** Default: as last time, or 42. */
  seed?: number;
  /**
   * Keeps the catalogue's size and seed and the product's records here across restarts, so the demo
   * behaves like a real tenant (its second run finds everything unchanged). In memory when absent.
   */
  stateDir?: string;
  /** false: the catalogue asked for is served, not kept for next time (a dry run changes nothing). */
  keepCatalogue?: boolean;
  malformedShare?: CatalogueOptions["malformedShare"];
  beyondIntIds?: CatalogueOptions["beyondIntIds"];
  /** Warehouses and stock generated with these (sandbox/stock.ts); absent: the defaults, on first use. */
  stock?: StockOptions;
  siesaFaults?: Partial<FaultKnobs>;
  productFaults?: Partial<FaultKnobs>;
  /** Fixed ports (the local stack); 0 or absent picks free ones. */
  siesaPort?: number;
  productPort?: number;
}

export interface LocalSandboxes {
  siesa: SiesaSandbox;
  /** Exactly one of these is set, per the tenant's product. */
  kong?: KongSandbox;
  wms?: WmsSandbox;
  /** Base URL as a tenant file writes it (Siesa's includes /api/siesa/v3/). */
  siesaUrl: string;
  productUrl: string;
  /** The pairs the sandboxes accept: not secrets. */
  credentials: TenantCredentials;
  /** The catalogue served: as asked, else as kept in `stateDir`, else the defaults. */
  catalogue: { items: number; seed: number };
  close(): Promise<void>;
}

/**
 * Starts a Siesa sandbox with a deterministic catalogue and the tenant's product sandbox, each on
 * its own localhost port: what `npm run sync`, `npm start`, the end-to-end tests and the
 * benchmarks run a `local` tenant against.
 */
export async function startSandboxes(options: LocalSandboxOptions): Promise<LocalSandboxes> {
  const { items, seed } = catalogueParameters(options);
  const catalogue = generateCatalogue({
    size: items,
    seed,
    ...(options.malformedShare !== undefined ? { malformedShare: options.malformedShare } : {}),
    ...(options.beyondIntIds !== undefined ? { beyondIntIds: options.beyondIntIds } : {}),
  });
  const siesa = createSiesaSandbox({
    catalogue,
    seed,
    ...(options.stock ? { stock: generateStock(catalogue, options.stock) } : {}),
    ...(options.siesaFaults ? { faults: noFaults(options.siesaFaults) } : {}),
  });
  const servers: RunningServer[] = [];
  const close = async () => {
    await Promise.all(servers.map((s) => s.close()));
  };
  try {
    const siesaServer = await listen(siesa.app, options.siesaPort ?? 0);
    servers.push(siesaServer);
    const base = { siesa, siesaUrl: `${siesaServer.url}/api/siesa/v3/`, catalogue: { items, seed }, close };
    if (options.product === "kong-rfid") {
      const kong = createKongSandbox({
        ...(options.productFaults ? { faults: options.productFaults } : {}),
        ...(options.stateDir ? { stateFile: join(options.stateDir, "kong-skus.jsonl") } : {}),
      });
      const server = await listen(kong.app, options.productPort ?? 0);
      servers.push(server);
      return {
        ...base,
        kong,
        productUrl: `${server.url}/`,
        credentials: { siesa: { ...SANDBOX_SIESA_CREDENTIALS }, product: { ...SANDBOX_KONG_CREDENTIALS } },
      };
    }
    const wms = createWmsSandbox({
      ...(options.productFaults ? { faults: options.productFaults } : {}),
      ...(options.stateDir ? { stateFile: join(options.stateDir, "wms-products.jsonl") } : {}),
    });
    const server = await listen(wms.app, options.productPort ?? 0);
    servers.push(server);
    return {
      ...base,
      wms,
      productUrl: `${server.url}/`,
      credentials: { siesa: { ...SANDBOX_SIESA_CREDENTIALS }, product: { ...SANDBOX_WMS_CREDENTIALS } },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export const DEFAULT_ITEMS = 1_000;
const DEFAULT_SEED = 42;

/** The catalogue asked for, else the one kept in `stateDir`, else the defaults; kept for next time. */
function catalogueParameters(options: LocalSandboxOptions): { items: number; seed: number } {
  const file = options.stateDir ? join(options.stateDir, "siesa-catalogue.json") : undefined;
  let kept: { items?: number; seed?: number } = {};
  if (file && existsSync(file)) kept = JSON.parse(readFileSync(file, "utf8"));
  const chosen = {
    items: options.items ?? kept.items ?? DEFAULT_ITEMS,
    seed: options.seed ?? kept.seed ?? DEFAULT_SEED,
  };
  if (file && options.keepCatalogue !== false) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(chosen)}\n`);
  }
  return chosen;
}
