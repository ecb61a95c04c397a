import { MAPPINGS } from "../../../mappings/index.js";
import { compileMapping } from "../domain/mapping.js";
import type { ProductType } from "../domain/model.js";
import { DEFAULT_STREAM, type StreamName, streamScope } from "../domain/stream.js";
import type { Tenant } from "../domain/tenant.js";
import { locationExternalId, locationHoldsCustomer, warehouseMapper } from "../streams/warehouses.js";
import { type PayloadShape, payloadShape } from "./payload-shape.js";

/** The streams a product holds the records of, so verify can read them back (stock's is this service's own snapshot). */
export type VerifiedStream = Extract<StreamName, "catalogue" | "warehouses">;

/** What verify compares one stream's product records with. */
export interface VerifyTarget {
  /** The stream's ledger partition (`streamScope`). */
  partition: string;
  /** The keys the stream's payload sets, and their kinds. */
  shape: PayloadShape;
  /** What a record the stream set inactive holds. */
  inactive: Record<string, unknown>;
  /** The payload fields the product's list shows, when fewer than the payload. */
  listed?: readonly string[];
  /**
   * Whether a listed record no ledger entry knows is the stream's (then `unknown`); absent: every
   * record listed for the tenant is.
   */
  owns?: (record: { externalId: string; fields: Record<string, unknown> }) => boolean;
}

/**
 * A warehouse's location payload as runtime/core/streams/warehouses.ts builds it, per product: that
 * mapping is code, not a mapping file, so its keys and kinds are declared here
 * (test/verify/verify-target.test.ts holds the two together).
 */
export const LOCATION_SHAPES: Record<ProductType, PayloadShape> = {
  "kong-rfid": {
    external_id: "text",
    type_external_id: "text",
    customer_ids: "any",
    parent_external_id: "text",
    name: "text",
    display_name: "text",
    is_active: "boolean",
    zone_type: "text",
  },
  wms: {
    external_id: "text",
    code: "text",
    name: "text",
    type: "text",
    parent_external_id: "text",
    status: "text",
  },
};

export function verifyTarget(tenant: Tenant, stream: VerifiedStream = DEFAULT_STREAM): VerifyTarget {
  const partition = streamScope(tenant.id, stream);
  if (stream === "warehouses") {
    const mapper = warehouseMapper(tenant);
    // The client's own locations (its stores, the warehouses' parent) are listed too: only those
    // with a warehouse's external id are the stream's.
    const prefix = locationExternalId(tenant, "");
    // Kong holds every customer's locations and documents no customer filter on their list: as the
    // write's lookup, verify keeps only those holding the tenant's customer.
    const customer = kongCustomer(tenant);
    return {
      partition,
      shape: LOCATION_SHAPES[tenant.product.type],
      inactive: mapper.inactive ?? {},
      ...(mapper.listed ? { listed: mapper.listed } : {}),
      owns: (record) =>
        record.externalId.startsWith(prefix) &&
        (customer === undefined || locationHoldsCustomer(record.fields, customer)),
    };
  }
  const definition = MAPPINGS[tenant.mapping];
  if (!definition) throw new Error(`tenant ${tenant.id}: mapping "${tenant.mapping}" does not exist`);
  const mapping = compileMapping(definition);
  // Kong holds every customer's SKUs: should its list ignore the customer filter, another's are not ours.
  const customer = kongCustomer(tenant);
  return {
    partition,
    shape: payloadShape(definition.payload),
    inactive: mapping.inactive ?? {},
    ...(mapping.listed ? { listed: mapping.listed } : {}),
    ...(customer === undefined
      ? {}
      : {
          owns: (record: { fields: Record<string, unknown> }) =>
            Number(record.fields.customer_id) === customer,
        }),
  };
}

/** The Kong customer whose records are the tenant's; undefined for another product. */
function kongCustomer(tenant: Tenant): number | undefined {
  const customer = tenant.product.defaults.customer_id;
  return tenant.product.type === "kong-rfid" && customer !== undefined ? Number(customer) : undefined;
}
