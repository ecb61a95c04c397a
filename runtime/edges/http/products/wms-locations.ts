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
/** Nothing says the WMS refuses a second location with one external id: look up before creating. */
export const WMS_LOCATION_WRITE_FLOW: WriteFlowOptions = { findBeforeCreate: true };
const DEFAULT_LOCATIONS_PATH = "/locations";
const DEFAULT_LOGIN_PATH = "/auth";
/** Items per list page asked for when reading everything back. */
const LIST_PAGE_SIZE = "100";

/**
 * The WMS's locations. The WMS documents no locations API: this client speaks the one we assume,
 * made like its products (docs/integrations/stock-and-locations.md, "WMS: locations"): the same
 * `Bearer` login, `POST /locations` (200 with the location), `PATCH /locations/{id}` with
 * `external_id` in every body, find by `GET /locations?external_id__eq=` following the cursor, and
 * every location read back by the same cursor. The probe must confirm it before a tenant uses it.
 */
export class WmsLocationClient implements ProductClient, ProductReader {
  readonly type = SERVICE;
  readonly #locationsUrl: string;
  readonly #api: ProductApi;

  constructor(options: ProductClientOptions) {
    this.#locationsUrl = withoutTrailingSlash(
      joinUrl(options.baseUrl, options.endpoints.locations ?? DEFAULT_LOCATIONS_PATH),
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
      WMS_LOCATION_WRITE_FLOW,
    );
  }

  patch(productId: string, record: ProductRecord): Promise<PatchResult> {
    return patchRecord({ update: (id, r) => this.#update(id, r) }, productId, record);
  }

  /** The id of the location with this external id, as a write's lookup finds it (read-only: the probe). */
  async findId(externalId: string, _scope: ListScope): Promise<{ id?: string; refused?: string }> {
    return lookedUp(await this.#find({ key: "probe", externalId, payload: {} }));
  }

  /** Every location, following `last_evaluated_key_id` until it is null (or repeats): a WMS serves one client. */
  async *list(_scope: ListScope): AsyncGenerator<ListedRecord[]> {
    const query = { limit: LIST_PAGE_SIZE };
    for await (const response of wmsPages(this.#api, this.#locationsUrl, "list locations", query)) {
      if (!isSuccess(response.status)) throw this.#api.listRefused(response, "list locations");
      yield listedRecords(SERVICE, "list locations", pageResults(response));
    }
  }

  #create(record: ProductRecord): Promise<CreateAnswer> {
    // Sent once: the WMS may keep a second location with one external id, so a create that may
    // have been applied (a timeout, a 5xx) is retried only through the write flow's lookup.
    return this.#api.create("create location", this.#locationsUrl, record, {
      isDuplicate: isConflict,
      once: true,
    });
  }

  #update(id: string, record: ProductRecord): Promise<UpdateAnswer> {
    const url = `${this.#locationsUrl}/${encodeURIComponent(id)}`;
    // As for products, `external_id` goes in every PATCH body, a deactivation's `{status}` included.
    const body = { ...record.payload, external_id: record.externalId };
    return this.#api.update("update location", url, id, record, body, "known location is gone from the WMS");
  }

  /**
   * The list filters after it pages: a page may hold no match and still carry a cursor, so the
   * cursor is followed until the exact external id or its end. Several matches (duplicates made
   * before this lookup) resolve to the first ACTIVE one listed, else the first; a row without an
   * id is an error, never a create.
   */
  async #find(record: ProductRecord): Promise<FindAnswer> {
    const query = { external_id__eq: record.externalId };
    let inactive: string | undefined;
    for await (const response of wmsPages(this.#api, this.#locationsUrl, "find location", query)) {
      if (!isSuccess(response.status)) return this.#api.refused(response);
      for (const row of listedRecords(SERVICE, "find location", pageResults(response))) {
        if (row.externalId !== record.externalId) continue;
        if (row.fields.status !== "INACTIVE") return { kind: "found", id: row.id };
        inactive ??= row.id;
      }
    }
    if (inactive !== undefined) return { kind: "found", id: inactive };
    return {
      kind: "missing",
      reason: `external_id ${record.externalId} already exists in the WMS but no location with it was found`,
    };
  }
}
