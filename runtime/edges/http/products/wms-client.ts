import type { ProductRecord } from "../../../core/domain/model.js";
import type {
  ListedRecord,
  ListScope,
  ProductClient,
  ProductClientOptions,
  ProductReader,
  WriteResult,
} from "../../../core/ports/product.js";
import type { PatchResult } from "../../../core/ports/records.js";
import { apiText, isSuccess } from "./api-text.js";
import { pageResults, wmsPages } from "./list-pages.js";
import { listedRecords } from "./listed-records.js";
import { ProductApi } from "./product-api.js";
import { joinUrl, withoutTrailingSlash } from "./url.js";
import { isConflict, wmsMessage } from "./wms-errors.js";
import {
  type CreateAnswer,
  type FindAnswer,
  lookedUp,
  patchRecord,
  type UpdateAnswer,
  type WriteFlowOptions,
  writeRecord,
} from "./write-flow.js";

const SERVICE = "wms";
/** The WMS may accept a second product with one external id (docs/integrations/INT-003-wms.md): look up before creating. */
export const WMS_WRITE_FLOW: WriteFlowOptions = { findBeforeCreate: true };
const DEFAULT_PRODUCTS_PATH = "/products";
const DEFAULT_LOGIN_PATH = "/auth";
/** Items per list page asked for when reading everything back. */
const LIST_PAGE_SIZE = "100";

/** What a lookup reads of a listed product. */
interface WmsRow {
  variant_id?: unknown;
  id?: unknown;
  external_id?: unknown;
  status?: unknown;
}

/**
 * The WMS (docs/integrations/INT-003-wms.md): `Bearer` auth from `POST /auth`, `POST /products` (200
 * with the product), `PATCH /products/{id}` (every body carries `external_id`), find-by-`external_id`
 * through `GET /products?external_id__eq=` with cursor pages, and every product read back by the
 * same cursor (verify). A list row names its record `variant_id` (`id` is read where a row has it).
 * Every call goes through `send()` (429/5xx/timeouts per the error policy).
 *
 * Whether the WMS refuses a second product with the same `external_id` (a 409) is not confirmed,
 * so a record the ledger holds no product id for is looked up before it is created: duplicate
 * protection does not depend on that 409 (which, if it comes, still leads to find + update).
 */
export class WmsClient implements ProductClient, ProductReader {
  readonly type = SERVICE;
  readonly #productsUrl: string;
  readonly #api: ProductApi;

  constructor(options: ProductClientOptions) {
    this.#productsUrl = withoutTrailingSlash(
      joinUrl(options.baseUrl, options.endpoints.products ?? DEFAULT_PRODUCTS_PATH),
    );
    this.#api = new ProductApi(
      {
        product: SERVICE,
        loginUrl: joinUrl(options.baseUrl, options.endpoints.login ?? DEFAULT_LOGIN_PATH),
        tokenField: "token",
        scheme: "Bearer",
        messageOf: wmsMessage,
      },
      options,
    );
  }

  login(): Promise<void> {
    return this.#api.login();
  }

  write(record: ProductRecord, knownProductId?: string): Promise<WriteResult> {
    return writeRecord(
      {
        create: (r) => this.#create(r),
        update: (id, r) => this.#update(id, r),
        find: (r) => this.#find(r),
      },
      record,
      knownProductId,
      WMS_WRITE_FLOW,
    );
  }

  /**
   * The id of the product with this external id, as a write's lookup finds it (read-only: the
   * contract probe, runtime/wiring/probe.ts); undefined when none is listed, the WMS's words when refused.
   */
  async findId(externalId: string, _scope: ListScope): Promise<{ id?: string; refused?: string }> {
    return lookedUp(await this.#find({ key: "probe", externalId, payload: {} }));
  }

  /**
   * Every product the list shows with this external id, as listed (read-only: the contract probe
   * counts them, and reads a row's `variant_id` and `status`): the cursor is followed to its end.
   */
  async listedWith(externalId: string): Promise<ListedRecord[]> {
    const found: ListedRecord[] = [];
    const query = { external_id__eq: externalId };
    for await (const response of wmsPages(this.#api, this.#productsUrl, "find product", query)) {
      if (!isSuccess(response.status)) throw this.#api.listRefused(response, "find product");
      const rows = listedRecords(SERVICE, "find product", pageResults(response));
      found.push(...rows.filter((row) => row.externalId === externalId));
    }
    return found;
  }

  patch(productId: string, record: ProductRecord): Promise<PatchResult> {
    return patchRecord({ update: (id, r) => this.#update(id, r) }, productId, record);
  }

  /**
   * Every product, following `last_evaluated_key_id` until it is null (or repeats). The WMS has no
   * customer: an instance serves one client account, so all of its products are the tenant's.
   */
  async *list(_scope: ListScope): AsyncGenerator<ListedRecord[]> {
    const query = { limit: LIST_PAGE_SIZE };
    for await (const response of wmsPages(this.#api, this.#productsUrl, "list products", query)) {
      if (!isSuccess(response.status)) throw this.#api.listRefused(response, "list products");
      yield listedRecords(SERVICE, "list products", pageResults(response));
    }
  }

  #create(record: ProductRecord): Promise<CreateAnswer> {
    // Sent once: the WMS keeps a second product with one external id, so a create that may have
    // been applied (a timeout, a 5xx) is retried only through the write flow's lookup.
    return this.#api.create("create product", this.#productsUrl, record, {
      isDuplicate: isConflict,
      once: true,
    });
  }

  #update(id: string, record: ProductRecord): Promise<UpdateAnswer> {
    const url = `${this.#productsUrl}/${encodeURIComponent(id)}`;
    // The WMS requires `external_id` in every PATCH body, a deactivation's `{status}` included.
    const body = { ...record.payload, external_id: record.externalId };
    return this.#api.update("update product", url, id, record, body, "known product is gone from the WMS");
  }

  /**
   * The list filters after it pages (like a DynamoDB Scan with a filter): a page may hold none of
   * the matches and still carry a cursor, so the cursor is followed until the match or its end.
   * Several matches (duplicates made before this lookup existed) resolve to the first ACTIVE one
   * listed (the one users see), else the first. A match whose row names no id is an answer we
   * cannot read: an error, never a create.
   */
  async #find(record: ProductRecord): Promise<FindAnswer> {
    const query = { external_id__eq: record.externalId };
    let inactive: string | undefined;
    for await (const response of wmsPages(this.#api, this.#productsUrl, "find product", query)) {
      if (!isSuccess(response.status)) return this.#api.refused(response);
      const results = pageResults(response) as WmsRow[] | undefined;
      for (const row of results ?? []) {
        if (String(row.external_id) !== record.externalId) continue;
        const id = row.variant_id ?? row.id;
        if ((typeof id !== "string" || id === "") && typeof id !== "number")
          throw this.#api.unreadable(
            "find product",
            `external_id ${record.externalId} is listed without a variant_id: ${apiText(row)}`,
          );
        if (row.status !== "INACTIVE") return { kind: "found", id: String(id) };
        inactive ??= String(id);
      }
    }
    if (inactive !== undefined) return { kind: "found", id: inactive };
    return {
      kind: "missing",
      reason: `external_id ${record.externalId} already exists in the WMS but no product with it was found`,
    };
  }
}
