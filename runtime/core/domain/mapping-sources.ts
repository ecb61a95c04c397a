/**
 * The Siesa fields a mapping may read (docs/integrations/INT-001-siesa.md). Listing them lets a mapping that
 * names a misspelt field be refused when it is compiled instead of quietly producing empty values. Reading a
 * new Siesa column means adding it here, in the same reviewed change as the mapping.
 */

/** Columns of `API_v2_Items`, read from `SourceRecord.item`. */
export const SIESA_ITEM_FIELDS = [
  "f120_id_cia",
  "f120_id",
  "f120_referencia",
  "f120_descripcion",
  "f120_id_tipo_inv_serv",
  "f120_id_unidad_inventario",
  "f120_id_unidad_empaque",
  "f120_ind_tipo_item",
] as const;

/**
 * Columns of `API_v2_ItemsBarras`, read from every row of `SourceRecord.barcodes` as a list.
 * No `f120_id` and no `f120_id_cia`: the query has neither.
 */
export const SIESA_BARCODE_FIELDS = ["f120_referencia", "f131_id", "f131_id_unidad_medida"] as const;

/**
 * Values derived from an item and its barcode rows together (units compared trimmed and
 * case-insensitively):
 * - `barcodes.ofInventoryUnit`: the `f131_id` of each barcode whose `f131_id_unidad_medida` is the
 *   item's `f120_id_unidad_inventario` (the candidates for `ean`);
 * - `barcodes.withUnit`: every barcode as `{ barcode, unit }` (trimmed, unit upper-case, one entry
 *   per barcode, sorted by barcode), for a product's free-form properties.
 */
export const SIESA_DERIVED_PATHS = ["barcodes.ofInventoryUnit", "barcodes.withUnit"] as const;

export type SiesaItemField = (typeof SIESA_ITEM_FIELDS)[number];
export type SiesaBarcodeField = (typeof SIESA_BARCODE_FIELDS)[number];
export type SiesaDerivedPath = (typeof SIESA_DERIVED_PATHS)[number];

/** Where a canonical field reads from: an item column, `barcodes.<column>` for the list of barcode values, or a derived path. */
export type SourcePath = SiesaItemField | `barcodes.${SiesaBarcodeField}` | SiesaDerivedPath;

export const SOURCE_PATHS: readonly string[] = [
  ...SIESA_ITEM_FIELDS,
  ...SIESA_BARCODE_FIELDS.map((field) => `barcodes.${field}`),
  ...SIESA_DERIVED_PATHS,
];
