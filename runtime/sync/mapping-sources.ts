/**
 * The Siesa fields a mapping may read (SYSTEM.md §4). Listing them lets a mapping that names a
 * misspelt field be refused when it is compiled instead of quietly producing empty values.
 * Reading a new Siesa column means adding it here, in the same reviewed change as the mapping.
 */

/** Columns of `API_v2_Items`, read from `SourceRecord.item`. */
export const SIESA_ITEM_FIELDS = [
  "f120_id",
  "f120_referencia",
  "f120_descripcion",
  "f120_id_unidad_inventario",
  "f120_id_tipo_inv_serv",
  "f120_id_cia",
] as const;

/** Columns of `API_v2_ItemsBarras`, read from every row of `SourceRecord.barcodes` as a list. */
export const SIESA_BARCODE_FIELDS = ["f131_id", "f120_referencia", "f120_id", "f120_id_cia"] as const;

export type SiesaItemField = (typeof SIESA_ITEM_FIELDS)[number];
export type SiesaBarcodeField = (typeof SIESA_BARCODE_FIELDS)[number];

/** Where a canonical field reads from: an item column, or `barcodes.<column>` for the list of barcode values. */
export type SourcePath = SiesaItemField | `barcodes.${SiesaBarcodeField}`;

export const SOURCE_PATHS: readonly string[] = [
  ...SIESA_ITEM_FIELDS,
  ...SIESA_BARCODE_FIELDS.map((field) => `barcodes.${field}`),
];
