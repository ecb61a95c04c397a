import type { SiesaRow, SourceRecord } from "../../runtime/core/domain/model.js";

/** A barcode as `API_v2_ItemsBarras` has it: its code and the unit it belongs to. */
export interface BarcodeSpec {
  code: string;
  unit: string | null;
}

/** The unit barcode (an EAN-13 of UND) and a pack barcode (a DUN-14 of CAJ). */
export const UNIT_AND_PACK: BarcodeSpec[] = [
  { code: "17701234567892", unit: "CAJ" },
  { code: "7701234567895", unit: "UND" },
];

/**
 * A catalogue item as the Siesa client hands it over (keys and values already trimmed), with its
 * barcode rows as that query serves them: reference, code and unit, no f120_id, no company.
 * A barcode given as plain text belongs to the unit UND.
 */
export function aSourceRecord(
  item: Partial<Record<string, SiesaRow[string]>> = {},
  barcodes: (string | BarcodeSpec)[] = UNIT_AND_PACK,
): SourceRecord {
  const row: SiesaRow = {
    f120_id_cia: 1,
    f120_id: 1042,
    f120_referencia: "CAM-0001042",
    f120_descripcion: "CAMISETA NEGRO",
    f120_id_tipo_inv_serv: "PT",
    f120_id_unidad_inventario: "UND",
    f120_id_unidad_empaque: "CAJ",
    f120_ind_tipo_item: "1",
  };
  for (const [key, value] of Object.entries(item)) {
    if (value === undefined) delete row[key];
    else row[key] = value;
  }
  return {
    key: String(row.f120_id),
    item: row,
    barcodes: barcodes.map((barcode) => {
      const { code, unit } = typeof barcode === "string" ? { code: barcode, unit: "UND" } : barcode;
      return { f120_referencia: row.f120_referencia ?? null, f131_id: code, f131_id_unidad_medida: unit };
    }),
  };
}
