import type { ProductRecord, ProductType } from "../../runtime/core/domain/model.js";
import type { PatchResult, WriteResult } from "../../runtime/core/ports/records.js";
import { KONG_WRITE_FLOW } from "../../runtime/edges/http/products/kong-client.js";
import { WMS_WRITE_FLOW } from "../../runtime/edges/http/products/wms-client.js";
import { patchRecord, type RecordApi, writeRecord } from "../../runtime/edges/http/products/write-flow.js";

/** One object the product holds: the id it minted, the external id it was created with, its fields. */
export interface ProductObject {
  id: string;
  externalId: string;
  fields: Record<string, unknown>;
}

/** A wire call takes a turn of the event loop, as one over the network would: calls at once interleave. */
const aTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A product as the real ones behave on the wire, behind the production write flow (`writeRecord` with
 * the client's own options), holding objects with ids it mints and finding them by exact external id:
 * - Kong (`kong-rfid`) refuses a second create of one external id (docs/integrations/INT-002-kong-rfid.md);
 * - the WMS sandbox (`wms`) accepts it and mints another object (docs/integrations/INT-003-wms.md): only the lookup
 *   before a create stands between a record sent again and a second object.
 * Nothing upserts: a create that should not have happened leaves a second object to count.
 */
export class StrictProduct {
  readonly objects = new Map<string, ProductObject>();
  /** Scripts an answer per record, before any wire call: a thrown error or a refusal. */
  failWith: (record: ProductRecord) => Error | "rejected" | undefined = () => undefined;
  /**
   * Awaited before a wire call is sent: the crash harness holds back for ever the calls of an
   * invocation that died (one already sent lands, as a real one does before its message comes back).
   */
  sending: () => Promise<void> = async () => {};
  #minted = 0;

  constructor(readonly type: ProductType) {}

  objectsOf(externalId: string): ProductObject[] {
    return [...this.objects.values()].filter((o) => o.externalId === externalId);
  }

  /** External ids held by more than one object (one object per record: none). */
  duplicates(): string[] {
    const seen = new Map<string, number>();
    for (const { externalId } of this.objects.values()) seen.set(externalId, (seen.get(externalId) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([externalId, n]) => `${externalId} (${n} objects)`);
  }

  readonly api: RecordApi = {
    create: async (record) => {
      await this.sending();
      await aTurn();
      if (this.type === "kong-rfid" && this.objectsOf(record.externalId).length > 0)
        return { kind: "duplicate" };
      this.#minted++;
      const id = this.type === "wms" ? this.#minted.toString(16).padStart(32, "0") : String(this.#minted);
      this.objects.set(id, { id, externalId: record.externalId, fields: { ...record.payload } });
      return { kind: "created", id };
    },
    update: async (id, record) => {
      await this.sending();
      await aTurn();
      const object = this.objects.get(id);
      if (!object) return { kind: "gone" };
      object.fields = { ...object.fields, ...record.payload };
      return { kind: "updated", id };
    },
    find: async (record) => {
      await this.sending();
      await aTurn();
      const [first] = this.objectsOf(record.externalId);
      return first
        ? { kind: "found", id: first.id }
        : { kind: "missing", reason: `no object with external id ${record.externalId}` };
    },
  };

  async login(): Promise<void> {}

  async write(record: ProductRecord, knownProductId?: string): Promise<WriteResult> {
    const failure = this.failWith(record);
    if (failure === "rejected") return { outcome: "rejected", reason: `name: refused (${record.key})` };
    if (failure) throw failure;
    const flow = this.type === "wms" ? WMS_WRITE_FLOW : KONG_WRITE_FLOW;
    return writeRecord(this.api, record, knownProductId, flow);
  }

  async patch(productId: string, record: ProductRecord): Promise<PatchResult> {
    const failure = this.failWith(record);
    if (failure === "rejected") return { outcome: "rejected", reason: `refused (${record.key})` };
    if (failure) throw failure;
    return patchRecord(this.api, productId, record);
  }
}
