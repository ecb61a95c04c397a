import type { ProductRecord, ProductType } from "../../runtime/core/domain/model.js";
import { parseTenant, type Tenant } from "../../runtime/core/domain/tenant.js";
import type { RecordMapper } from "../../runtime/core/ports/records.js";
import { warehouseMapper } from "../../runtime/core/streams/warehouses.js";

/** The customer the Kong tenant below writes its locations for. */
export const CUSTOMER = 7;
/** The location every warehouse hangs under (the client's store). */
export const STORE = "STORE-1";

/** A tenant whose warehouses become locations of type `type` under the store, in a `product` product. */
export function locationTenant(
  product: ProductType,
  type = product === "kong-rfid" ? "E1" : "WAREHOUSE",
): Tenant {
  const parsed = parseTenant({
    id: "acme-test",
    environment: "local",
    clientAccount: "000000000000",
    siesa: { baseUrl: "http://127.0.0.1:1/api/siesa/v3/", companyId: 8585, erpCompany: 1 },
    product: {
      type: product,
      baseUrl: "http://127.0.0.1:1/",
      endpoints: {},
      defaults: { customer_id: CUSTOMER },
    },
    sync: { schedule: "rate(1 hour)" },
    mapping: product === "kong-rfid" ? "kong" : "wms",
    streams: { warehouses: { schedule: "rate(1 day)", location: { type, parent: STORE } } },
  });
  if (!parsed.ok) throw new Error(`test tenant: ${JSON.stringify(parsed.issues)}`);
  return parsed.tenant;
}

/**
 * A warehouse row through the warehouses stream's own mapping, so the tests write exactly the
 * bodies a sync writes. `row` overrides columns of the Siesa row.
 */
export function warehouse(
  tenant: Tenant,
  code: string,
  name = `Bodega ${code}`,
  row: Record<string, unknown> = {},
): ProductRecord {
  const mapped = warehouseMapper(tenant).map({
    key: code,
    item: { f150_id: code, f150_id_cia: 1, f150_descripcion: name, f150_ind_estado: 1, ...row },
    barcodes: [],
  });
  if (!mapped.ok) throw new Error(`test warehouse ${code}: ${mapped.reason}`);
  return mapped.record;
}

/** The record a deactivation patches with: only the mapping's inactive fields. */
export function closed(tenant: Tenant, record: ProductRecord): ProductRecord {
  const mapper: RecordMapper = warehouseMapper(tenant);
  return { ...record, payload: { ...mapper.inactive } };
}

/** The same record with payload fields replaced (a body the product should refuse). */
export function withPayload(record: ProductRecord, changes: Record<string, unknown>): ProductRecord {
  return { ...record, payload: { ...record.payload, ...changes } };
}
