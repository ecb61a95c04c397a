import type { SiesaRow, SourceRecord } from "../../runtime/sync/model.js";

/** A catalogue item as the Siesa client hands it over (keys and values already trimmed). */
export function aSourceRecord(
  item: Partial<Record<string, SiesaRow[string]>> = {},
  barcodes: string[] = ["7701234567895", "7700000000019"],
): SourceRecord {
  const row: SiesaRow = {
    f120_id: 1042,
    f120_referencia: "CAM-0001042",
    f120_descripcion: "CAMISETA NEGRO",
    f120_id_unidad_inventario: "UND",
    f120_id_tipo_inv_serv: "PT",
    f120_id_cia: 1,
  };
  for (const [key, value] of Object.entries(item)) {
    if (value === undefined) delete row[key];
    else row[key] = value;
  }
  return {
    key: String(row.f120_id),
    item: row,
    barcodes: barcodes.map((code) => ({
      f120_referencia: row.f120_referencia ?? null,
      f131_id: code,
      f120_id_cia: 1,
    })),
  };
}
