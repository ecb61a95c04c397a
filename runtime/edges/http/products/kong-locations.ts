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
import { locationHoldsCustomer } from "../../../core/streams/warehouses.js";
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
/**
 * That Kong refuses a second location with one external id is assumed, not confirmed
 * (docs/integrations/stock-and-locations.md): a location the ledger does not know is looked up
 * before it is created. Warehouses are few, so the lookup costs little.
 */
export const KONG_LOCATION_WRITE_FLOW: WriteFlowOptions = { findBeforeCreate: true };
/**
 * The location types the Kong team's loader names, external id → name
 * (docs/integrations/stock-and-locations.md). Kong publishes no list of them: the probe checks a
 * tenant's type against this one, and the sandbox knows these.
 */
export const KONG_LOCATION_TYPES: Readonly<Record<string, string>> = {
  A1: "COUNTRY",
  B1: "DEPARTMENT/STATE",
  C1: "CITY",
  D1: "HOLDING",
  E1: "WAREHOUSE",
  F1: "SALON",
  G1: "ROW",
  H1: "FRONT",
  H2: "BACK",
  I1: "RACK",
  I2: "RACK",
  J1: "LEVEL",
  J2: "LEVEL",
  K1: "POSITION",
  K2: "POSITION",
  M1: "STORE",
  N1: "STORE_WAREHOUSE",
  O1: "SHOWROOM",
};
const DEFAULT_LOCATIONS_PATH = "/inventory/locations/";
const DEFAULT_LOGIN_PATH = "/auth/token/login/";
/** Largest page asked for; DRF cuts it to its max_limit anyway. */
const PAGE_LIMIT = "100";

/**
 * Kong RFID's locations (`/inventory/locations/`, docs/integrations/stock-and-locations.md): the same
 * Djoser login and token as the SKUs, one location per POST, PATCH by id (never PUT or DELETE),
 * find by the exact `external_id` within the customer, and DRF's limit/offset pages.
 */
export class KongLocationClient implements ProductClient, ProductReader {
  readonly type = SERVICE;
  readonly #locationsUrl: string;
  readonly #api: ProductApi;

  constructor(options: ProductClientOptions) {
    this.#locationsUrl = withTrailingSlash(
      joinUrl(options.baseUrl, options.endpoints.locations ?? DEFAULT_LOCATIONS_PATH),
    );
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
      KONG_LOCATION_WRITE_FLOW,
    );
  }

  patch(productId: string, record: ProductRecord): Promise<PatchResult> {
    return patchRecord({ update: (id, r) => this.#update(id, r) }, productId, record);
  }

  /** The id of the customer's location with this external id, as a write's lookup finds it (read-only: the probe). */
  async findId(externalId: string, scope: ListScope): Promise<{ id?: string; refused?: string }> {
    const customer = scope.customerId === undefined ? undefined : Number(scope.customerId);
    const payload = customer === undefined ? {} : { customer_ids: [customer] };
    return lookedUp(await this.#find({ key: "probe", externalId, payload }));
  }

  /** Every location of the customer, page by page; later pages asked from our own URL with `next`'s query. */
  async *list(scope: ListScope): AsyncGenerator<ListedRecord[]> {
    const query: Record<string, string> = { limit: PAGE_LIMIT };
    if (scope.customerId !== undefined) query.customer_id = scope.customerId;
    for await (const response of drfPages(this.#api, this.#locationsUrl, "list locations", query)) {
      if (!isSuccess(response.status)) throw this.#api.listRefused(response, "list locations");
      yield listedRecords(SERVICE, "list locations", pageResults(response));
    }
  }

  #create(record: ProductRecord): Promise<CreateAnswer> {
    // Sent once, as the WMS's: that Kong refuses a second location with one external id is assumed,
    // so a create that may have been applied (a 5xx, a timeout) is retried only through the lookup.
    return this.#api.create("create location", this.#locationsUrl, record, {
      isDuplicate: isDuplicateAnswer,
      once: true,
    });
  }

  #update(id: string, record: ProductRecord): Promise<UpdateAnswer> {
    const url = `${this.#locationsUrl}${encodeURIComponent(id)}/`;
    return this.#api.update(
      "update location",
      url,
      id,
      record,
      record.payload,
      "known location is gone from Kong",
    );
  }

  /**
   * Asks for `?external_id=` within the record's customer, but trusts neither filter: a Kong whose
   * list lacks one answers every location (DRF drops parameters it does not know). So only a
   * location with exactly this external id that holds the customer counts, and pages are read
   * until it turns up: another customer's location is never patched into ours.
   */
  async #find(record: ProductRecord): Promise<FindAnswer> {
    const customer = customerOf(record);
    const query: Record<string, string> = { external_id: record.externalId, limit: PAGE_LIMIT };
    if (customer !== undefined) query.customer_id = String(customer);
    for await (const response of drfPages(this.#api, this.#locationsUrl, "find location", query)) {
      if (!isSuccess(response.status)) return this.#api.refused(response);
      const mine = listedRecords(SERVICE, "find location", pageResults(response)).find(
        (location) =>
          location.externalId === record.externalId &&
          (customer === undefined || locationHoldsCustomer(location.fields, customer)),
      );
      if (mine) return { kind: "found", id: mine.id };
    }
    const scope = customer !== undefined ? ` for customer_id ${customer}` : "";
    return {
      kind: "missing",
      reason: `external_id ${record.externalId} already exists in Kong but no location with it was found${scope}`,
    };
  }
}

/** The customer a location record is written for: the first of its `customer_ids`, when a whole number. */
function customerOf(record: ProductRecord): number | undefined {
  const ids = record.payload.customer_ids;
  const first = Array.isArray(ids) ? ids[0] : undefined;
  return typeof first === "number" && Number.isInteger(first) ? first : undefined;
}
