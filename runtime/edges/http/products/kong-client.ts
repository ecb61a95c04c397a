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
import { isSuccess } from "./api-text.js";
import { drfMessage, isDuplicateAnswer } from "./kong-errors.js";
import { drfPages, pageResults } from "./list-pages.js";
import { listedRecords } from "./listed-records.js";
import { ProductApi } from "./product-api.js";
import { joinUrl, withTrailingSlash } from "./url.js";
import {
  type CreateAnswer,
  type FindAnswer,
  lookedUp,
  patchRecord,
  type UpdateAnswer,
  type WriteFlowOptions,
  writeRecord,
} from "./write-flow.js";

const SERVICE = "kong-rfid";
/** Kong refuses a second SKU with one external id (docs/integrations/INT-002-kong-rfid.md): a create is safe without a lookup. */
export const KONG_WRITE_FLOW: WriteFlowOptions = {};
const DEFAULT_SKUS_PATH = "/inventory/skus/";
export const DEFAULT_LOGIN_PATH = "/auth/token/login/";
/** Largest page a lookup asks for; DRF caps it at the server's max_page_size anyway. */
const LOOKUP_PAGE_SIZE = "100";

/** What a lookup reads of a listed SKU. */
interface DrfSku {
  id?: unknown;
  external_id?: unknown;
}

/**
 * Kong RFID (Django REST Framework + Djoser, docs/integrations/INT-002-kong-rfid.md): `Token` auth from a
 * Djoser login, one SKU per POST, PATCH by id, find-by-`external_id` through DRF's substring `search`, and
 * the customer's SKUs read back page by page (verify). Every call goes through `send()` (429/5xx/timeouts per
 * the error policy).
 */
export class KongClient implements ProductClient, ProductReader {
  readonly type = SERVICE;
  readonly #skusUrl: string;
  readonly #api: ProductApi;

  constructor(options: ProductClientOptions) {
    this.#skusUrl = withTrailingSlash(joinUrl(options.baseUrl, options.endpoints.skus ?? DEFAULT_SKUS_PATH));
    this.#api = new ProductApi(
      {
        product: SERVICE,
        loginUrl: withTrailingSlash(joinUrl(options.baseUrl, options.endpoints.login ?? DEFAULT_LOGIN_PATH)),
        tokenField: "auth_token",
        scheme: "Token",
        messageOf: drfMessage,
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
      KONG_WRITE_FLOW,
    );
  }

  /**
   * The id of the SKU with this external id, as a write's lookup finds it (read-only: the contract
   * probe, runtime/wiring/probe.ts); undefined when none is listed, the product's words when refused.
   */
  async findId(externalId: string, scope: ListScope): Promise<{ id?: string; refused?: string }> {
    const payload = scope.customerId === undefined ? {} : { customer_id: scope.customerId };
    return lookedUp(await this.#find({ key: "probe", externalId, payload }));
  }

  /** The first page of DRF's `search` for this text within the customer (read-only: the contract probe). */
  async searchPage(text: string, scope: ListScope): Promise<ListedRecord[]> {
    const query: Record<string, string> = { search: text, page_size: LOOKUP_PAGE_SIZE };
    if (scope.customerId !== undefined) query.customer_id = scope.customerId;
    const response = await this.#api.call("search skus", this.#skusUrl, { method: "GET", query });
    if (!isSuccess(response.status)) throw this.#api.listRefused(response, "search skus");
    return listedRecords(SERVICE, "search skus", pageResults(response));
  }

  patch(productId: string, record: ProductRecord): Promise<PatchResult> {
    return patchRecord({ update: (id, r) => this.#update(id, r) }, productId, record);
  }

  /**
   * Every SKU of the customer, page by page (DRF's `{count,next,previous,results}`). Later pages are
   * asked from our own URL with `next`'s query, as in `#find`; a `next` seen before ends the read.
   */
  async *list(scope: ListScope): AsyncGenerator<ListedRecord[]> {
    const query: Record<string, string> = { page_size: LOOKUP_PAGE_SIZE };
    if (scope.customerId !== undefined) query.customer_id = scope.customerId;
    for await (const response of drfPages(this.#api, this.#skusUrl, "list skus", query)) {
      if (!isSuccess(response.status)) throw this.#api.listRefused(response, "list skus");
      yield listedRecords(SERVICE, "list skus", pageResults(response));
    }
  }

  #create(record: ProductRecord): Promise<CreateAnswer> {
    return this.#api.create("create sku", this.#skusUrl, record, { isDuplicate: isDuplicateAnswer });
  }

  #update(id: string, record: ProductRecord): Promise<UpdateAnswer> {
    const url = `${this.#skusUrl}${encodeURIComponent(id)}/`;
    return this.#api.update("update sku", url, id, record, record.payload, "known SKU is gone from Kong");
  }

  /**
   * `search` matches substrings of several fields, so "10" also returns "100" and "A10": only the
   * exact `external_id` counts, and later pages are read until it turns up. The customer filter
   * keeps the lookup inside this tenant's customer, so another customer's SKU is never patched.
   * Later pages are asked from our own URL with `next`'s query: its host may be an internal one.
   */
  async #find(record: ProductRecord): Promise<FindAnswer> {
    const customerId = record.payload.customer_id;
    const query: Record<string, string> = { search: record.externalId, page_size: LOOKUP_PAGE_SIZE };
    if (customerId != null) query.customer_id = String(customerId);
    for await (const response of drfPages(this.#api, this.#skusUrl, "find sku", query)) {
      if (!isSuccess(response.status)) return this.#api.refused(response);
      const results = pageResults(response) as DrfSku[] | undefined;
      const exact = results?.find((sku) => String(sku.external_id) === record.externalId);
      if (exact && exact.id != null) return { kind: "found", id: String(exact.id) };
    }
    const scope = customerId != null ? ` for customer_id ${String(customerId)}` : "";
    return {
      kind: "missing",
      reason: `external_id ${record.externalId} already exists in Kong but no SKU with it was found${scope}`,
    };
  }
}
