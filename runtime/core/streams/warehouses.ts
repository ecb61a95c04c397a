import type { ProductRecord, SourceRecord } from "../domain/model.js";
import type { Tenant } from "../domain/tenant.js";
import type { RecordMapper } from "../ports/records.js";

/** The columns of a warehouse row the stream reads (docs/integrations/stock-and-locations.md). */
export const WAREHOUSE_COLUMNS = {
  code: "f150_id",
  company: "f150_id_cia",
  description: "f150_descripcion",
  state: "f150_ind_estado",
  installation: "f150_id_instalacion",
  rowId: "f150_rowid",
} as const;

/** Whether a Kong location, as its list shows it, holds the customer: its `customer_ids` name it. */
export const locationHoldsCustomer = (fields: Record<string, unknown>, customer: number): boolean =>
  Array.isArray(fields.customer_ids) && fields.customer_ids.some((id) => Number(id) === customer);

/**
 * A warehouse's external id in the product: Kong's location ids are unique across all its customers,
 * so the code alone (`NB1`) would collide between two clients; the Connekta tenant and ERP company
 * make it the tenant's own.
 */
export const locationExternalId = (tenant: Tenant, code: string): string =>
  `${tenant.siesa.companyId}-${tenant.siesa.erpCompany}-${code}`;

/**
 * The warehouses stream's mapping: a warehouse row to a location of the product. A closed warehouse
 * (`f150_ind_estado` 0) is written inactive; one gone from Siesa is set inactive by the deactivation
 * pass. Kong's body is the Kong team's loader's; the WMS's is assumed (docs/integrations/).
 */
export function warehouseMapper(tenant: Tenant): RecordMapper {
  const settings = tenant.streams?.warehouses;
  const kong = tenant.product.type === "kong-rfid";
  // The tenant file may write it as digits (the schema checks either): Kong's pk is a number, and
  // the lookup keeps only locations holding that number.
  const customerId = Number(tenant.product.defaults.customer_id);
  return {
    inactive: kong ? { is_active: false } : { status: "INACTIVE" },
    // A WMS location row shows only these (and its id): verify compares what it can see.
    ...(kong ? {} : { listed: ["external_id", "code", "name", "status"] }),
    // The WMS's deactivation PATCH carries the external id: the code alone would rename the location.
    externalIdOf: (code) => locationExternalId(tenant, code),
    map(source: SourceRecord): ReturnType<RecordMapper["map"]> {
      const row = source.item;
      const code = source.key;
      const description = String(row[WAREHOUSE_COLUMNS.description] ?? "").trim();
      if (!settings) return { ok: false, reason: `tenant ${tenant.id} has no streams.warehouses` };
      // The code is the record's key and its location's external id: without one it is neither.
      if (code === "")
        return {
          ok: false,
          reason: `${WAREHOUSE_COLUMNS.code} is empty: a location needs a code (the warehouse ${JSON.stringify(description)}, ${WAREHOUSE_COLUMNS.rowId} ${String(row[WAREHOUSE_COLUMNS.rowId] ?? "unknown")})`,
          fields: { [WAREHOUSE_COLUMNS.code]: "is empty" },
        };
      if (description === "")
        return {
          ok: false,
          reason: `${WAREHOUSE_COLUMNS.description} is empty: a location needs a name`,
          fields: { [WAREHOUSE_COLUMNS.description]: "is empty" },
        };
      const active = Number(row[WAREHOUSE_COLUMNS.state]) === 1;
      const externalId = locationExternalId(tenant, code);
      const payload: Record<string, unknown> = kong
        ? {
            external_id: externalId,
            type_external_id: settings.location.type,
            customer_ids: [customerId],
            parent_external_id: settings.location.parent,
            name: description,
            display_name: `${description} (${code})`,
            is_active: active,
            zone_type: settings.location.zoneType ?? null,
          }
        : {
            external_id: externalId,
            code,
            name: description,
            type: settings.location.type,
            parent_external_id: settings.location.parent,
            status: active ? "ACTIVE" : "INACTIVE",
          };
      const record: ProductRecord = { key: code, externalId, payload };
      return { ok: true, record };
    },
  };
}
