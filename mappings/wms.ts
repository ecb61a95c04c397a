import { defineMapping } from "../runtime/sync/mapping.js";
import { SIESA_ITEM_TO_CANONICAL } from "./siesa-items.js";

/**
 * Canonical item → WMS product body (docs/integrations/INT-003-wms.md). `external_id` is the Siesa item's
 * `f120_id` (its identity: a renamed reference updates the same product); the reference goes to `sku`.
 */
export default defineMapping({
  name: "wms",
  product: "wms",
  canonical: SIESA_ITEM_TO_CANONICAL,
  externalId: "sourceId",
  payload: {
    external_id: { from: "sourceId", pipe: ["toString"] },
    sku: "sku",
    name: "name",
    description: "description",
    unit: "unit",
    barcodes: "barcodes",
    active: "active",
    attributes: {
      fields: {
        // The inventory unit's barcode, and every barcode with its unit (packs included).
        ean: { from: "ean", pipe: [["default", null]] },
        barcodes: "barcodeUnits",
      },
    },
  },
});
