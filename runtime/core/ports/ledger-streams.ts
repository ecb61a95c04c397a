import { DEFAULT_STREAM, parseScope } from "../domain/stream.js";
import type { Ledger } from "./records.js";

/**
 * One Ledger over the catalogue's and the other streams' (two DynamoDB tables: the catalogue's keys
 * are f120_ids, sorted as numbers; the others' are text), chosen by each call's partition.
 */
export function ledgerOfStreams(catalogue: Ledger, streams: Ledger): Ledger {
  const of = (partition: string) => (parseScope(partition).stream === DEFAULT_STREAM ? catalogue : streams);
  return {
    getMany: (partition, keys) => of(partition).getMany(partition, keys),
    putMany: (partition, entries) => of(partition).putMany(partition, entries),
    all: (partition, range) => of(partition).all(partition, range),
  };
}
