import { MAPPINGS } from "../../mappings/index.js";
import type { ListScope, ProductReader } from "../products/types.js";
import { compileMapping } from "../sync/mapping.js";
import type { Ledger } from "../sync/ports.js";
import type { Tenant } from "../tenants/schema.js";
import { Comparison } from "./compare.js";
import { ledgerEntries } from "./ledger-entries.js";
import { payloadShape } from "./payload-shape.js";
import type { VerifyCounts, VerifyReport } from "./report.js";

export interface VerifyOptions {
  tenant: Tenant;
  /** The tenant's product, read back page by page (runtime/products: `list`). */
  product: ProductReader;
  ledger: Ledger;
  /** After each page: records read so far and their counts. */
  onProgress?: (progress: { read: number; counts: Readonly<VerifyCounts> }) => void;
  now?: () => Date;
  /**
   * Stop with an error once reading took longer than this (the API's function has 15 s: a verify
   * cut off by its timeout would leave its run open and the tenant's lease held).
   */
  budgetMs?: number;
}

/**
 * Reads every record of the tenant back from its product and compares it with the ledger (docs/operations.md,
 * `npm run verify`): `ok`, `missing` (we wrote it, it is gone), `drifted` (changed by someone else since
 * our write), `unknown` (the tenant's, in the product, never written by us). Writes nothing.
 */
export async function verifyTenant(options: VerifyOptions): Promise<VerifyReport> {
  const { tenant } = options;
  const now = options.now ?? (() => new Date());
  const started = now();
  const definition = MAPPINGS[tenant.mapping];
  if (!definition) throw new Error(`tenant ${tenant.id}: mapping "${tenant.mapping}" does not exist`);
  const mapping = compileMapping(definition);
  const comparison = new Comparison(
    await ledgerEntries(options.ledger, tenant.id),
    payloadShape(definition.payload),
    mapping.inactive,
    mapping.listed,
  );
  for await (const page of options.product.list(scopeOf(tenant))) {
    comparison.add(page);
    options.onProgress?.({ read: comparison.listed, counts: comparison.counts });
    const elapsed = now().getTime() - started.getTime();
    if (options.budgetMs !== undefined && elapsed > options.budgetMs) {
      throw new Error(
        `stopped after ${(elapsed / 1000).toFixed(1)} s with ${comparison.listed} records read: too many to verify here, use npm run verify -- --tenant ${tenant.id}`,
      );
    }
  }
  comparison.finish();
  return {
    tenantId: tenant.id,
    product: tenant.product.type,
    startedAt: started.toISOString(),
    durationMs: now().getTime() - started.getTime(),
    read: { product: comparison.listed, ledger: comparison.ledgerSize },
    counts: comparison.counts,
    differences: comparison.differences,
  };
}

/** Kong holds many customers' SKUs: the tenant's are those of its `customer_id`. */
function scopeOf(tenant: Tenant): ListScope {
  const customerId = tenant.product.defaults.customer_id;
  return customerId === undefined ? {} : { customerId: String(customerId) };
}
