import { defineMapping } from "../runtime/core/domain/mapping.js";
import { SIESA_ITEM_TO_CANONICAL } from "./siesa-items.js";

/**
 * Canonical item → Kong RFID SKU body (docs/integrations/INT-002-kong-rfid.md). Kong's ids come from the
 * tenant's product.defaults.
 *
 * `external_id` is the Siesa item's `f120_id`, the record's identity (docs/architecture.md): Siesa renames
 * references while keeping the id, so keying on the reference would turn a rename into a second SKU.
 * The reference goes to `reference` (and the SKU's `name` stays the description).
 */
export default defineMapping({
  name: "kong",
  product: "kong-rfid",
  canonical: SIESA_ITEM_TO_CANONICAL,
  externalId: "sourceId",
  payload: {
    external_id: { from: "sourceId", pipe: ["toString"] },
    name: "name",
    type_id: { pipe: [["fromTenant", "type_id"], "toInteger", "required"] },
    group_id: { pipe: [["fromTenant", "group_id"], "toInteger", "required"] },
    customer_id: { pipe: [["fromTenant", "customer_id"], "toInteger", "required"] },
    display_name: "name",
    reference: "sku",
    is_active: "active",
    // The inventory unit's barcode; null when the item has none, so a PATCH clears one removed in Siesa.
    ean: { from: "ean", pipe: [["default", null]] },
    properties: {
      fields: {
        description: "description",
        unit: "unit",
        // Every barcode with its unit, packs included: [{ "barcode": "7701…", "unit": "UND" }, …].
        barcodes: "barcodeUnits",
        siesa_item_id: "sourceId",
        erp_company: "erpCompany",
      },
    },
  },
});
