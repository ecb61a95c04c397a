import {
  DEFAULT_ITEMS,
  type LocalSandboxes,
  type LocalSandboxOptions,
  startSandboxes,
} from "../../sandbox/local.js";
import { spawnSandboxes } from "../../sandbox/process.js";
import type { Tenant } from "../core/domain/tenant.js";
import type { TenantCredentials } from "../core/ports/tenant-clients.js";

/**
 * Where a local tenant's Siesa and product sandboxes run:
 * - "in-process" (default for `npm start`): one process, so stopping it can never leave a sandbox behind;
 *   tests can reach into the sandboxes' state.
 * - "child-process" (benchmarks): the "remote" APIs get their own CPU core, as real remote APIs would,
 *   so the figures measure the pipeline rather than the sandboxes competing with it.
 */
export type SandboxMode = "in-process" | "child-process";

export interface TenantSandboxes {
  siesaUrl: string;
  productUrl: string;
  credentials: TenantCredentials;
  /** The sandboxes themselves when in-process (their Kong/WMS state, fault knobs). */
  inProcess?: LocalSandboxes;
  /** The size of the catalogue Siesa's sandbox serves. */
  items: number;
  close(): Promise<void>;
}

export interface TenantSandboxOptions {
  mode: SandboxMode;
  /** In-process, absent: the catalogue kept in the state directory (overrides.stateDir), else the default. */
  items?: number;
  seed?: number;
  /** In-process only: faults, malformed share, fixed ports. */
  overrides?: Partial<Omit<LocalSandboxOptions, "product" | "items" | "seed">>;
}

export async function startTenantSandboxes(
  tenant: Tenant,
  options: TenantSandboxOptions,
): Promise<TenantSandboxes> {
  const { items, seed } = options;
  const product = tenant.product.type;
  if (options.mode === "child-process") {
    const child = await spawnSandboxes({
      product,
      items: items ?? DEFAULT_ITEMS,
      ...(seed !== undefined ? { seed } : {}),
    });
    return { ...child, items: items ?? DEFAULT_ITEMS };
  }
  const sandboxes = await startSandboxes({
    product,
    ...(items !== undefined ? { items } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...options.overrides,
  });
  return {
    items: sandboxes.catalogue.items,
    siesaUrl: sandboxes.siesaUrl,
    productUrl: sandboxes.productUrl,
    credentials: sandboxes.credentials,
    inProcess: sandboxes,
    close: sandboxes.close,
  };
}
