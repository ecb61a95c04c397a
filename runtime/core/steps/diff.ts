import { mappingRule, type RuleTally, tallyRules } from "../domain/drift.js";
import { payloadHash } from "../domain/hash.js";
import type { ProductRecord, RecordError, SourceRecord } from "../domain/model.js";
import type { Ledger, LedgerEntry, RecordMapper } from "../ports/records.js";

export interface ChangedRecord {
  record: ProductRecord;
  hash: string;
  /** The ledger's entry when the record was written before (an update), else undefined (a create). */
  previous?: LedgerEntry;
  /** The item's reference, for its exception should the product refuse it. */
  reference?: string;
}

export interface Diff {
  rejected: RecordError[];
  /** Which rules the rejected records broke (drift.ts). */
  rules: RuleTally;
  unchanged: number;
  changed: ChangedRecord[];
}

/**
 * Maps source records and compares each payload's hash with the ledger: what the mapping refuses is
 * rejected, what the product already holds is unchanged, the rest must be written (the extract step).
 */
export async function diffRecords(
  /** The stream's ledger partition (`scopeOfRun`). */
  partition: string,
  sources: readonly SourceRecord[],
  mapper: RecordMapper,
  ledger: Pick<Ledger, "getMany">,
  /** A record this run already wrote is changed (its write is being repeated), never unchanged. */
  runId?: string,
  /** Every record is written, whatever the ledger holds (a run of one item on demand). */
  rewrite = false,
): Promise<Diff> {
  const rejected: RecordError[] = [];
  const broken: string[] = [];
  const mapped: { record: ProductRecord; hash: string; reference: string }[] = [];
  for (const source of sources) {
    const result = mapper.map(source);
    // As Siesa sends it (trimmed): what the people who fix the item know it by.
    const reference = String(source.item.f120_referencia ?? "");
    if (result.ok) {
      mapped.push({ record: result.record, hash: payloadHash(result.record.payload), reference });
      continue;
    }
    const fields = Object.entries(result.fields ?? {});
    rejected.push({
      key: source.key,
      outcome: "rejected",
      reason: result.reason,
      step: "mapping",
      ...(reference ? { reference } : {}),
      ...(fields.length > 0 ? { field: fields.map(([field]) => field).join(", ") } : {}),
    });
    if (fields.length === 0) broken.push(result.reason);
    for (const [field, problem] of fields) broken.push(mappingRule(field, problem));
  }
  const known = await ledger.getMany(
    partition,
    mapped.map((m) => m.record.key),
  );
  let unchanged = 0;
  const changed: ChangedRecord[] = [];
  for (const { record, hash, reference } of mapped) {
    const previous = known.get(record.key);
    // A record set inactive is written again when it comes back, even with the same payload.
    const same = previous?.hash === hash && previous.active !== false;
    if (same && !rewrite && (runId === undefined || previous.runId !== runId)) unchanged++;
    else
      changed.push({ record, hash, ...(previous ? { previous } : {}), ...(reference ? { reference } : {}) });
  }
  return { rejected, rules: tallyRules(broken), unchanged, changed };
}
