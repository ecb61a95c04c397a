/**
 * Building Siesa's `parametros` filters (docs/integrations/INT-001-siesa.md): SQL-like, without `WHERE`,
 * strings in doubled single quotes (`f150_id = ''NB1''`) because Siesa pastes the filter inside a string
 * literal of its own; a quote inside a value is therefore written as four quotes.
 */

/** A text literal as `parametros` wants it: `''CAM-1''`, and `O'NEILL` as `''O''''NEILL''`. */
export function textLiteral(value: string): string {
  return `''${value.replaceAll("'", "''''")}''`;
}

/**
 * How a barcode query names its references: an `IN` list, or (where Siesa refuses `IN`, which its
 * guide does not list) a chain of `=` joined by `OR`, which it does.
 */
export type ReferenceForm = "in" | "or";

/** The pieces of each form: the text around the list, each reference's, and what joins them. */
const FORMS: Record<
  ReferenceForm,
  { open: string; close: string; item: (ref: string) => string; join: string }
> = {
  in: { open: "f120_referencia IN (", close: ")", item: textLiteral, join: "," },
  or: { open: "(", close: ")", item: (ref) => `f120_referencia = ${textLiteral(ref)}`, join: " OR " },
};

/**
 * `f120_referencia IN (''A'',''B'')`, or in the `or` form
 * `(f120_referencia = ''A'' OR f120_referencia = ''B'')`: the barcodes of these references.
 */
export function referencesParametros(references: readonly string[], form: ReferenceForm = "in"): string {
  if (references.length === 0) throw new Error("referencesParametros needs at least one reference");
  const { open, close, item, join } = FORMS[form];
  return `${open}${references.map(item).join(join)}${close}`;
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
 * Cuts a set of references into groups whose filter, in `form`, stays under `maxLength` once
 * URL-encoded, keeping their order. A single reference longer than that still gets a group of its own.
 */
export function referenceGroups(
  references: readonly string[],
  maxLength = MAX_PARAMETROS_LENGTH,
  form: ReferenceForm = "in",
): string[][] {
  const { open, close, item, join } = FORMS[form];
  const groups: string[][] = [];
  let current: string[] = [];
  let length = encodeParametros(`${open}${close}`).length;
  const base = length;
  for (const reference of references) {
    // Each reference counted with a joint after it: one joint more than the filter has.
    const cost = encodeParametros(`${item(reference)}${join}`).length;
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
