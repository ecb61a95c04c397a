/**
 * Building Siesa's `parametros` filters (docs/integrations/INT-001-siesa.md): SQL-like, without `WHERE`,
 * strings in doubled single quotes (`f150_id = ''NB1''`) because Siesa pastes the filter inside a string
 * literal of its own; a quote inside a value is therefore written as four quotes.
 */

/** A text literal as `parametros` wants it: `''CAM-1''`, and `O'NEILL` as `''O''''NEILL''`. */
export function textLiteral(value: string): string {
  return `''${value.replaceAll("'", "''''")}''`;
}

/** `f120_referencia IN (''A'',''B'')`: the barcodes of these references. */
export function referencesParametros(references: readonly string[]): string {
  if (references.length === 0) throw new Error("referencesParametros needs at least one reference");
  return `f120_referencia IN (${references.map(textLiteral).join(",")})`;
}

/**
 * Most characters of `parametros` (as sent: URL-encoded) one request carries. IIS, which serves
 * Siesa Cloud, refuses query strings over 2,048 characters by default; the other parameters
 * (`idCompania`, `descripcion`, `paginacion`, a walk's page number included) fit in the rest, with
 * little to spare: every character spared is room for more references in a barcode query.
 */
export const MAX_PARAMETROS_LENGTH = 1_940;

/**
 * `parametros` as it travels: `encodeURIComponent` leaves `'` alone, but fetch's URL parser
 * percent-encodes it in a query, so the client sends it encoded and counts it as three characters.
 * A comma needs no encoding in a query string (RFC 3986), so it travels as it is: a barcode query's
 * `IN` list then holds more references, and a run needs fewer barcode queries.
 */
export function encodeParametros(parametros: string): string {
  return encodeURIComponent(parametros).replaceAll("'", "%27").replaceAll("%2C", ",");
}

/**
 * Cuts a set of references into groups whose `IN` filter stays under `maxLength` once URL-encoded,
 * keeping their order. A single reference longer than that still gets a group of its own.
 */
export function referenceGroups(
  references: readonly string[],
  maxLength = MAX_PARAMETROS_LENGTH,
): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let length = encodeParametros("f120_referencia IN ()").length;
  const base = length;
  for (const reference of references) {
    const cost = encodeParametros(`${textLiteral(reference)},`).length;
    if (current.length > 0 && length + cost > maxLength) {
      groups.push(current);
      current = [];
      length = base;
    }
    current.push(reference);
    length += cost;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
