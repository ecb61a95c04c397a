import type { MappingDefinition } from "../runtime/core/domain/mapping.js";

/**
 * Siesa item → canonical item, shared by every product mapping: what a Siesa catalogue row
 * means does not depend on where it goes.
 */
export const SIESA_ITEM_TO_CANONICAL: MappingDefinition["canonical"] = {
  sku: { from: "f120_referencia", pipe: ["trim", "required"] },
  sourceId: { from: "f120_id", pipe: ["toInteger", "required"] },
  name: { from: "f120_descripcion", pipe: ["trim", "required"] },
  description: { from: "f120_descripcion", pipe: ["trim", ["default", ""]] },
  // The units Parchita's catalogue uses. A row with another unit is rejected with its value named,
  // never written with a unit the product does not know: add the unit here when the client does.
  unit: { from: "f120_id_unidad_inventario", pipe: ["trim", "upper", "required", ["oneOf", ["UND", "KLS"]]] },
  // Siesa returns barcode rows in no stable order: sorting keeps the payload (and its hash) stable.
  barcodes: { from: "barcodes.f131_id", pipe: ["toString", "trim", "compact", "unique", "sort"] },
  // The item's own barcode: the one of its inventory unit (UND, KLS), not a pack's (CAJ, PACA).
  // Should Siesa hold several for that unit, the lowest wins, so the choice does not follow row order.
  ean: { from: "barcodes.ofInventoryUnit", pipe: ["toString", "trim", "compact", "unique", "sort", "first"] },
  // Every barcode with the unit it belongs to: [{ barcode, unit }], sorted by barcode.
  barcodeUnits: { from: "barcodes.withUnit" },
  // API_v2_Items carries no status column we rely on: every catalogue item is active.
  active: { pipe: [["constant", true]] },
  erpCompany: { from: "f120_id_cia", pipe: ["toInteger", "required"] },
};
