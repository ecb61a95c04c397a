import { defineMapping } from "../runtime/sync/mapping.js";
import { SIESA_ITEM_TO_CANONICAL } from "./siesa-items.js";

/** Canonical item → Kong RFID SKU body (SYSTEM.md §5). Kong's ids come from the tenant's product.defaults. */
export default defineMapping({
  name: "kong",
  product: "kong-rfid",
  canonical: SIESA_ITEM_TO_CANONICAL,
  externalId: "sku",
  payload: {
    external_id: "sku",
    name: "name",
    type_id: { pipe: [["fromTenant", "type_id"], "toInteger", "required"] },
    group_id: { pipe: [["fromTenant", "group_id"], "toInteger", "required"] },
    customer_id: { pipe: [["fromTenant", "customer_id"], "toInteger", "required"] },
    display_name: "name",
    reference: "sku",
    is_active: "active",
    // Left out when the item has no barcode (the lowest barcode otherwise, as they are sorted).
    ean: { from: "barcodes", pipe: ["first"] },
    properties: {
      fields: {
        description: "description",
        unit: "unit",
        barcodes: "barcodes",
        siesa_item_id: "sourceId",
        erp_company: "erpCompany",
      },
    },
  },
});
