import type { ProductRecord } from "../../core/domain/model.js";
import type { ProductClient, ProductReader } from "../../core/ports/product.js";
import type { ProductWriter } from "../../core/ports/records.js";

/** A change a dry run would make. */
export interface DryRunChange {
  key: string;
  externalId: string;
  outcome: "created" | "updated" | "deactivated";
}

/**
 * A stream's target as a dry run sees it: every write the pipeline decides on is recorded, none is
 * sent. A record the ledger knows (it has a product id) would be updated, any other created.
 */
export function dryRunWriter(changes: DryRunChange[]): ProductWriter {
  return {
    login: async () => {},
    async write(record: ProductRecord, knownProductId?: string) {
      const outcome = knownProductId ? ("updated" as const) : ("created" as const);
      changes.push({ key: record.key, externalId: record.externalId, outcome });
      return { outcome, productId: knownProductId ?? `dry-run:${record.externalId}` };
    },
    async patch(_productId: string, record: ProductRecord) {
      changes.push({ key: record.key, externalId: record.externalId, outcome: "deactivated" });
      return { outcome: "updated" as const };
    },
  };
}

/** The catalogue's product as a dry run sees it: writes recorded (dryRunWriter); listing goes to the real one. */
export function dryRunProduct(
  real: ProductClient & ProductReader,
  changes: DryRunChange[],
): ProductClient & ProductReader {
  return { type: real.type, list: (scope) => real.list(scope), ...dryRunWriter(changes) };
}
