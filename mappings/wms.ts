import { defineMapping } from "../runtime/sync/mapping.js";
import { SIESA_ITEM_TO_CANONICAL } from "./siesa-items.js";

/** Canonical item → WMS product body (SYSTEM.md §6). */
export default defineMapping({
  name: "wms",
  product: "wms",
  canonical: SIESA_ITEM_TO_CANONICAL,
  externalId: "sku",
  payload: {
    external_id: "sku",
    sku: "sku",
    name: "name",
    description: "description",
    unit: "unit",
    barcodes: "barcodes",
    active: "active",
  },
});
