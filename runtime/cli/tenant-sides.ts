/**
 * What `npm run sync` and `npm run verify` share: the tenant from its file, the local state (.data/),
 * and each side of the tenant, Siesa and its product, as either a sandbox (a `local` tenant, no URL
 * flag for that side) or the real thing with credentials from the environment.
 */
import type { Tenant } from "../core/domain/tenant.js";
import type { TenantCredentials } from "../core/ports/tenant-clients.js";
import { dynamoDir, localTablePrefix, sandboxDir } from "../wiring/local-state.js";
import type { Store } from "../wiring/local-store.js";
import { httpUrl, type OptionSpec, UsageError } from "./args.js";

/** The options both commands take to point a tenant's sides elsewhere or size its sandbox. */
export const SIDE_OPTIONS = {
  "siesa-url": {
    type: "string",
    value: "url",
    help: "use this Siesa instead of the tenant's (or the sandbox)",
  },
  "product-url": {
    type: "string",
    value: "url",
    help: "use this product API instead of the tenant's (or the sandbox)",
  },
  items: {
    type: "string",
    value: "n",
    help: "size of a local tenant's sandbox catalogue (default: as last time, or 1000)",
  },
  seed: {
    type: "string",
    value: "s",
    help: "seed of a local tenant's sandbox catalogue (default: as last time, or 42)",
  },
} as const satisfies Record<string, OptionSpec>;

export const CREDENTIAL_NOTES = [
  "credentials of a side that is not a sandbox come from the environment:",
  "  Siesa: SIESA_CONNI_KEY, SIESA_CONNI_TOKEN    product: PRODUCT_USERNAME, PRODUCT_PASSWORD",
] as const;

/** The tenant named by --tenant, or a UsageError listing the known ones. */
export async function tenantNamed(name: string | undefined): Promise<Tenant> {
  // This file's options and notes are read by each command's --help: what runs a tenant loads later.
  const { loadTenants } = await import("../wiring/tenant-registry.js");
  const registry = await loadTenants();
  const known = `known tenants: ${registry
    .all()
    .map((t) => t.id)
    .join(", ")}`;
  if (!name) throw new UsageError(`missing --tenant <id> (${known})`);
  const tenant = registry.get(name);
  if (!tenant) throw new UsageError(`unknown tenant "${name}" (${known})`);
  return tenant;
}

/** A whole-number flag, or a UsageError naming it. */
export function wholeNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  // Digits only: Number("") is 0, and "1e9" a catalogue nobody meant.
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value))
    throw new UsageError(`--${name} must be a whole number (got ${JSON.stringify(text)})`);
  return value;
}

const SIDE_VARIABLES = {
  siesa: ["SIESA_CONNI_KEY", "SIESA_CONNI_TOKEN"],
  product: ["PRODUCT_USERNAME", "PRODUCT_PASSWORD"],
} as const;

/** One side's credentials from the environment (only that side's variables are asked for). */
function fromEnv(side: keyof typeof SIDE_VARIABLES): [string, string] {
  const [first, second] = SIDE_VARIABLES[side].map((name) => {
    const value = process.env[name];
    if (!value)
      throw new Error(
        `${name} is not set (credentials of a side that is not a sandbox come from the environment)`,
      );
    return value;
  });
  return [first as string, second as string];
}

const siesaFromEnv = (): TenantCredentials["siesa"] => {
  const [conniKey, conniToken] = fromEnv("siesa");
  return { conniKey, conniToken };
};
const productFromEnv = (): TenantCredentials["product"] => {
  const [username, password] = fromEnv("product");
  return { username, password };
};

export interface SideOptions {
  "siesa-url"?: string | undefined;
  "product-url"?: string | undefined;
  items?: number | undefined;
  seed?: number | undefined;
  /** Whether Siesa is needed at all (verify reads only the product): its variables are not asked for otherwise. */
  siesa?: boolean;
  /** false (a dry run, a probe): a sandbox serves the catalogue asked for without keeping it for the next command. */
  keepCatalogue?: boolean;
}

export interface TenantSides {
  store: Store;
  /** The tenant with its base URLs pointed at the sandboxes or the overrides. */
  tenant: Tenant;
  credentials: TenantCredentials;
  close(): Promise<void>;
}

/**
 * Opens the local store (first: the data directory is claimed with it, before the sandboxes write
 * there), then each side: a sandbox, or the tenant's (or overridden) URL with the environment's
 * credentials. The variables of a sandbox side are never asked for.
 */
export async function openTenantSides(
  tenant: Tenant,
  state: string,
  options: SideOptions,
): Promise<TenantSides> {
  const sides = await openSides(tenant, state, options, "always");
  if (!sides.store) throw new Error("the local store was not opened"); // "always" opens it
  return { ...sides, store: sides.store };
}

/**
 * Each side, as openTenantSides finds it, without the store (the probe keeps no ledger): the data
 * directory is claimed only when a sandbox keeps its records there, so a probe of real APIs runs
 * beside an `npm start` that holds it; a sandbox's `--items` and `--seed` are not kept for next time.
 */
export function openProbeSides(
  tenant: Tenant,
  state: string,
  options: SideOptions,
): Promise<Omit<TenantSides, "store">> {
  return openSides(tenant, state, { ...options, keepCatalogue: false }, "for-sandboxes");
}

async function openSides(
  tenant: Tenant,
  state: string,
  options: SideOptions,
  store: "always" | "for-sandboxes",
): Promise<Omit<TenantSides, "store"> & { store?: Store }> {
  for (const name of ["siesa-url", "product-url"] as const) {
    const text = options[name];
    if (text !== undefined) httpUrl(name, text);
  }
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  const [{ openStore }, { startSandboxes }] = await Promise.all([
    import("../wiring/local-store.js"),
    import("../../sandbox/local.js"),
  ]);
  try {
    let siesaUrl = options["siesa-url"];
    let productUrl = options["product-url"];
    const needSiesa = options.siesa ?? true;
    let siesa = needSiesa && (siesaUrl || tenant.environment !== "local") ? siesaFromEnv() : undefined;
    let product = productUrl || tenant.environment !== "local" ? productFromEnv() : undefined;
    const needSandboxes = (needSiesa && !siesa) || !product;
    const opened =
      store === "always" || needSandboxes
        ? await openStore({ path: dynamoDir(state), prefix: localTablePrefix(options["product-url"]) })
        : undefined;
    if (opened) closers.push(opened.close);
    if ((needSiesa && !siesa) || !product) {
      const sandboxes = await startSandboxes({
        product: tenant.product.type,
        ...(options.items !== undefined ? { items: options.items } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        stateDir: sandboxDir(state, tenant.id),
        ...(options.keepCatalogue === false ? { keepCatalogue: false } : {}),
      });
      closers.push(sandboxes.close);
      if (needSiesa) {
        siesa ??= sandboxes.credentials.siesa;
        siesaUrl ??= sandboxes.siesaUrl;
      }
      product ??= sandboxes.credentials.product;
      productUrl ??= sandboxes.productUrl;
    }
    // A side that is not needed keeps no credentials: nothing will call it.
    const credentials: TenantCredentials = { siesa: siesa ?? { conniKey: "", conniToken: "" }, product };
    return {
      ...(opened ? { store: opened } : {}),
      tenant: {
        ...tenant,
        siesa: { ...tenant.siesa, baseUrl: siesaUrl ?? tenant.siesa.baseUrl },
        product: { ...tenant.product, baseUrl: productUrl ?? tenant.product.baseUrl },
      },
      credentials,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
