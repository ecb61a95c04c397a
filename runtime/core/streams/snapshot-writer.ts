import type { ProductWriter } from "../ports/records.js";

/**
 * The target of a stream whose records this service keeps itself (stock: no product publishes a
 * stock API yet). Nothing is called: the ledger entry the load step writes after it, with the
 * record's values (StreamClients.keepsValues), is the snapshot.
 */
export const snapshotWriter: ProductWriter = {
  async login() {},
  async write(record, knownProductId) {
    return { outcome: knownProductId === undefined ? "created" : "updated", productId: record.key };
  },
  async patch() {
    return { outcome: "updated" };
  },
};
