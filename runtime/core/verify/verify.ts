import { DEFAULT_STREAM, streamField } from "../domain/stream.js";
import type { Tenant } from "../domain/tenant.js";
import type { VerifyCounts, VerifyReport } from "../domain/verify-report.js";
import type { ListScope, ProductReader } from "../ports/product.js";
import type { Ledger } from "../ports/records.js";
import { Comparison } from "./compare.js";
import { ledgerEntries } from "./ledger-entries.js";
import { type VerifiedStream, verifyTarget } from "./verify-target.js";

export interface VerifyOptions {
  tenant: Tenant;
  /** The stream whose records are compared (default: the catalogue). */
  stream?: VerifiedStream;
  /** The tenant's product (or the stream's records in it), read back page by page (`list`). */
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
  const target = verifyTarget(tenant, options.stream);
  const comparison = new Comparison(
    await ledgerEntries(options.ledger, target.partition),
    target.shape,
    target.inactive,
    target.listed,
    target.owns,
  );
  const pages = options.product.list(scopeOf(tenant));
  for (;;) {
    const { deadline } = options;
    if (deadline && now().getTime() + deadline.pageMs > deadline.at) {
      await pages.return(undefined);
      const left = Math.max(0, deadline.at - now().getTime());
      // npm run verify has no time limit, but reads the catalogue only.
      const elsewhere =
        (options.stream ?? DEFAULT_STREAM) === DEFAULT_STREAM
          ? `, use npm run verify -- --tenant ${tenant.id}`
          : "";
      throw new VerifyOutOfTimeError(
        `stopped with ${comparison.listed} records read, ${Math.floor(left / 1000)} s before its time ran out (a page may take ${deadline.pageMs / 1000} s): too many to verify here${elsewhere}`,
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
    ...streamField(options.stream ?? DEFAULT_STREAM),
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
