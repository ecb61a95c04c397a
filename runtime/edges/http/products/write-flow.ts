import type { ProductRecord } from "../../../core/domain/model.js";
import type { WriteResult } from "../../../core/ports/product.js";
import type { PatchResult } from "../../../core/ports/records.js";

/** What a product answered to one create, update or lookup, already read from its wire format. */
export type CreateAnswer = { kind: "created"; id: string } | { kind: "duplicate" } | Refused;
export type UpdateAnswer = { kind: "updated"; id: string } | { kind: "gone" } | Refused;
export type FindAnswer = { kind: "found"; id: string } | { kind: "missing"; reason: string } | Refused;
export type Refused = { kind: "refused"; reason: string };

/** A lookup's answer as the contract probe reports it: the id found, the product's refusal, or neither. */
export function lookedUp(answer: FindAnswer): { id?: string; refused?: string } {
  if (answer.kind === "found") return { id: answer.id };
  return answer.kind === "refused" ? { refused: answer.reason } : {};
}

/** The three wire operations a product client implements; `writeRecord` decides how to combine them. */
export interface RecordApi {
  create(record: ProductRecord): Promise<CreateAnswer>;
  update(id: string, record: ProductRecord): Promise<UpdateAnswer>;
  /** Finds the product's id for `record.externalId` (exact match only). */
  find(record: ProductRecord): Promise<FindAnswer>;
}

export interface WriteFlowOptions {
  /**
   * Look the record up by its external id before creating one the ledger does not know. For a
   * product whose refusal of a duplicate create is not confirmed (the WMS's 409): protection from
   * duplicates must not hang on it.
   */
  findBeforeCreate?: boolean;
}

/**
 * The write semantics every product shares:
 * - a known id is updated directly; if the product no longer has it (404), the record is created again;
 * - with `findBeforeCreate`, a record without a known id (or whose known id is gone) is first looked
 *   up, and updated if found (never created when the update of what the lookup found answers 404);
 * - a create refused as a duplicate (the record exists but the ledger lost its id) becomes find + update;
 * - anything else the product refuses is `rejected` with the product's own message.
 */
export async function writeRecord(
  api: RecordApi,
  record: ProductRecord,
  knownProductId?: string,
  options: WriteFlowOptions = {},
): Promise<WriteResult> {
  if (knownProductId !== undefined) {
    const updated = await api.update(knownProductId, record);
    if (updated.kind === "updated") return { outcome: "updated", productId: updated.id };
    if (updated.kind === "refused") return { outcome: "rejected", reason: updated.reason };
  }
  // Gone from the product (or never known): a write that died before the ledger heard of it may have
  // created it again already, so a product that takes a second create is asked first.
  if (options.findBeforeCreate) {
    const existing = await api.find(record);
    if (existing.kind === "refused") return { outcome: "rejected", reason: existing.reason };
    if (existing.kind === "found") {
      const updated = await api.update(existing.id, record);
      if (updated.kind === "updated") return { outcome: "updated", productId: updated.id };
      if (updated.kind === "refused") return { outcome: "rejected", reason: updated.reason };
      // Listed, yet unknown to the update: a race, or a list whose id is not the one updates take
      // (the WMS's variant_id). Creating now would make a second record; the next try looks again.
      throw goneAfterLookup(record, existing.id);
    }
  }
  const created = await api.create(record);
  if (created.kind === "created") return { outcome: "created", productId: created.id };
  if (created.kind === "refused") return { outcome: "rejected", reason: created.reason };

  const found = await api.find(record);
  if (found.kind !== "found") return { outcome: "rejected", reason: found.reason };
  const updated = await api.update(found.id, record);
  if (updated.kind === "updated") return { outcome: "updated", productId: updated.id };
  if (updated.kind === "refused") return { outcome: "rejected", reason: updated.reason };
  // Deleted between our lookup and our update: a race worth another try on the next run, not a rejection.
  throw goneAfterLookup(record, found.id);
}

function goneAfterLookup(record: ProductRecord, id: string): Error {
  return new Error(
    `external_id ${record.externalId}: the lookup listed it as ${id}, but the update of ${id} answered 404 (deleted meanwhile, or the list's id is not the one updates take); not created again`,
  );
}

/** Changes only the fields in `record.payload` of the product's record `productId` (deactivation). */
export async function patchRecord(
  api: Pick<RecordApi, "update">,
  productId: string,
  record: ProductRecord,
): Promise<PatchResult> {
  const answer = await api.update(productId, record);
  if (answer.kind === "updated") return { outcome: "updated" };
  if (answer.kind === "gone") return { outcome: "gone" };
  return { outcome: "rejected", reason: answer.reason };
}
