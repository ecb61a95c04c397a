import { defineMapping } from "../runtime/core/domain/mapping.js";
import { SIESA_ITEM_TO_CANONICAL } from "./siesa-items.js";

/**
 * Canonical item → the WMS product body, as the WMS team's collection documents it
 * (docs/integrations/INT-003-wms.md), and nothing it does not document.
 *
 * `external_id` is the Siesa item's `f120_id` (its identity: a renamed reference updates the same
 * product); the reference goes to `reference_id`. What Siesa cannot supply (reception type,
 * presentation) comes from the tenant file's product.defaults when it sets them, and is left out
 * otherwise; prices and groups are left out: the catalogue does not hold them.
 */
export default defineMapping({
  name: "wms",
  product: "wms",
  canonical: SIESA_ITEM_TO_CANONICAL,
  externalId: "sourceId",
  payload: {
    name: "name",
    display_name: "name",
    external_id: { from: "sourceId", pipe: ["toString"] },
    reference_id: "sku",
    reception_type: { pipe: [["fromTenant", "reception_type"]] },
    // The inventory unit's barcode; an item without one sends neither field.
    barcode_type: { from: "ean", pipe: [["ifPresent", "EAN"]] },
    barcode: "ean",
    status: { from: "active", pipe: [["mapThrough", { table: { true: "ACTIVE", false: "INACTIVE" } }]] },
    // Siesa's unit code → the WMS's: the tenant's product.defaults["inventory_unit.<unit>"] first,
    // else this table. A unit neither knows is refused with the key to add named.
    inventory_unit: {
      from: "unit",
      pipe: [["mapThrough", { table: { UND: "UNIT" }, tenantKey: "inventory_unit" }]],
    },
    presentation: { pipe: [["fromTenant", "presentation"]] },
  },
  // What a row of the WMS's product list shows: verify compares these.
  listed: ["name", "external_id", "barcode", "status"],
});
