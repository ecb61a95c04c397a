import { MAPPINGS } from "../../../mappings/index.js";
import { compileMapping } from "../domain/mapping.js";
import type { Tenant } from "../domain/tenant.js";
import type { VerifyCounts, VerifyReport } from "../domain/verify-report.js";
import type { ListScope, ProductReader } from "../ports/product.js";
import type { Ledger } from "../ports/records.js";
import { Comparison } from "./compare.js";
import { ledgerEntries } from "./ledger-entries.js";
import { payloadShape } from "./payload-shape.js";

export interface VerifyOptions {
  tenant: Tenant;
  /** The tenant's product, read back page by page (runtime/products: `list`). */
  product: ProductReader;
  ledger: Ledger;
  /** After each page: records read so far and their counts. */
  onProgress?: (progress: { read: number; counts: Readonly<VerifyCounts> }) => void;
  now?: () => Date;
  /**
   * When reading must be over (epoch ms, on `now`'s clock), and the longest one page can take: a
   * page that might not be read by then is not asked for, and the verify stops with
   * VerifyOutOfTimeError (a verify cut off by its function's timeout would leave its run open and
   * the tenant's lease held).
   */
  deadline?: { at: number; pageMs: number };
}

/** The verify stopped before a page that might not have been read in the time left. */
export class VerifyOutOfTimeError extends Error {
  override readonly name = "VerifyOutOfTimeError";
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
  const pages = options.product.list(scopeOf(tenant));
  for (;;) {
    const { deadline } = options;
    if (deadline && now().getTime() + deadline.pageMs > deadline.at) {
      await pages.return(undefined);
      const left = Math.max(0, deadline.at - now().getTime());
      throw new VerifyOutOfTimeError(
        `stopped with ${comparison.listed} records read, ${Math.floor(left / 1000)} s before its time ran out (a page may take ${deadline.pageMs / 1000} s): too many to verify here, use npm run verify -- --tenant ${tenant.id}`,
      );
    }
    const next = await pages.next();
    if (next.done) break;
    comparison.add(next.value);
    options.onProgress?.({ read: comparison.listed, counts: comparison.counts });
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
