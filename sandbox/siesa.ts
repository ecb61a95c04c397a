import type { Socket } from "node:net";
import { type Context, Hono } from "hono";
import { type Catalogue, generateCatalogue, itemId, type SiesaWireRow } from "./catalogue.js";
import { type FaultKnobs, faultControl, seededRandom } from "./faults.js";
import { generateStock, type Stock, stockQueries } from "./stock.js";

/**
 * A Hono app that answers like Siesa Cloud's `ejecutarconsultaestandar` (docs/integrations/INT-001-siesa.md),
 * quirks included: CHAR padding, every company's rows, an unstable row order (each request reshuffles), rows
 * repeated within a result, three ways to say "no more data", two envelopes, 401 on a wrong
 * ConniKey/ConniToken pair, the all-null row when `tamPag` reaches 500, and IIS's 404 for a query string over
 * 2,048 characters. Told to, it refuses filter operators (`refuseOperators`) and enforces a rate limit with
 * Connekta's headers (`rateLimit`).
 *
 * It assumes nothing beyond INT-001: each query serves only the columns listed there (barcode rows have
 * no `f120_id` and no `f120_id_cia`; item rows have no status column), and a `parametros` filter
 * naming a column the query does not have answers "no records", the worst of what Siesa may do.
 */

export interface SandboxCredentials {
  conniKey: string;
  conniToken: string;
}

/** Not secrets: the pair the sandbox accepts unless a test sets another. */
export const SANDBOX_SIESA_CREDENTIALS: SandboxCredentials = {
  conniKey: "sandbox-conni-key-0123456789abcdef",
  conniToken: "sandbox.eyJzdWIiOiJzYW5kYm94In0.signature",
};

/** The Connekta tenant id (`idCompania`) the sandbox answers for. */
export const SANDBOX_SIESA_COMPANY_ID = 8585;

export interface SiesaSandboxOptions {
  catalogue: Catalogue;
  /** Warehouses and stock (sandbox/stock.ts); generated from the catalogue on first use when absent. */
  stock: Stock;
  credentials: SandboxCredentials;
  /** `idCompania` accepted; any other gets a Siesa error. */
  companyId: number;
  envelope: "Table" | "Datos";
  /** How a page with no rows is answered: empty page, HTTP 400 codigo 1, or HTTP 200 codigo 1. */
  endOfData: "short" | "400" | "200";
  /** Reshuffle every result on every request (Siesa's behaviour). */
  unstableOrder: boolean;
  /** Share of a result's rows that appear a second time in it. */
  repeatShare: number;
  /** Seeds the order and repeat draws. */
  seed: number;
  /** Answer as if no `parametros` had been sent (a Siesa whose query ignores the filter). */
  ignoreFilter: boolean;
  /**
   * Siesa's "no records" for transient and filter problems (docs/integrations/INT-001-siesa.md): a request this returns
   * true for is answered with no rows, whatever it matches. Unset: never.
   */
  noRecords?: (request: { descripcion: string; parametros?: string }) => boolean;
  /** A request this returns true for is answered 500, as an IIS that lost its database. Unset: never. */
  serverError?: (request: { descripcion: string; parametros?: string }) => boolean;
  /**
   * A request this returns true for is answered HTTP 200 with `codigo: 2` and a text `detalle` (a
   * Siesa-side error such as SQL Server's timeout), which is not the end of data. Unset: never.
   */
  queryError?: (request: { descripcion: string; parametros?: string }) => boolean;
  /**
   * Siesa after hours (it may stop answering after about 20:00 Colombia time): `"drop"` closes every
   * connection without an answer, `"hang"` holds every request unanswered until the client gives up
   * (or the sandbox closes), `"unavailable"` answers IIS's HTML 503 page. Unset: open.
   */
  closed?: "drop" | "hang" | "unavailable";
  /** With `closed`: Siesa closes only once it has answered this many requests (in the middle of a run). */
  closesAfterRequests?: number;
  /**
   * Columns every answer leaves out (a tenant whose query lacks a column the mapping reads); a filter
   * naming one answers "no records", as for any column a query lacks. Unset: none.
   */
  withoutColumns?: readonly string[];
  /**
   * Filter operators this Siesa refuses with an error (as Siesa's guide confirms only `=`, `LIKE`,
   * `AND`, `OR`: a tenant may refuse `IN` or `>=`). Unset: every operator the parser knows.
   */
  refuseOperators?: readonly ("IN" | ">=" | "<" | "<=" | ">" | "<>")[];
  /** Most rows a page holds whatever `tamPag` asks (a Siesa configured with a smaller page). Unset: none. */
  pageCap?: number;
  /**
   * Enforce this many requests per window per Connekta company (`idCompania`), on the real clock:
   * every answer carries `Connekta-Rate-Limit-Limit`, `-Remaining` and `-Reset` (seconds until the
   * window ends), and a request beyond the limit is answered 429 with `Retry-After` (the same
   * seconds) and is not counted. Unset: no limit and no headers.
   */
  rateLimit?: number;
  /** The rate limit's window. Default 60 s. */
  rateLimitWindowMs?: number;
  /** `false`: a request beyond `rateLimit` is answered 429 with the Connekta headers only, no `Retry-After`. */
  rateLimitRetryAfter?: boolean;
  faults: FaultKnobs;
}

export interface SiesaSandboxStats {
  /** Every request, faults and refusals included. */
  total: number;
  byDescripcion: Record<string, number>;
  /** Requests refused for a filter operator in `refuseOperators`. */
  refused: number;
  /** Requests answered 429 because they went beyond `rateLimit` (fault-injected 429s not included). */
  rateLimited: number;
}

export interface SiesaSandbox {
  app: Hono;
  catalogue: Catalogue;
  readonly stock: Stock;
  setFaults(partial: Partial<FaultKnobs>): void;
  setOptions(partial: Partial<Omit<SiesaSandboxOptions, "catalogue" | "stock" | "faults">>): void;
  stats: SiesaSandboxStats;
}

// ---------------------------------------------------------------------------------------------
// parametros: a tiny SQL-like filter language, parsed (never evaluated as code)
// ---------------------------------------------------------------------------------------------

export type Operator = "=" | "<>" | "<" | "<=" | ">" | ">=";
export type Literal = number | string;
export interface Clause {
  kind: "compare";
  field: string;
  op: Operator;
  value: Literal;
}
export interface InList {
  kind: "in";
  field: string;
  values: Literal[];
}
/** A parsed filter: comparisons and IN lists combined by AND (binds tighter) and OR, with parentheses. */
export type Filter = Clause | InList | { kind: "and" | "or"; parts: Filter[] };

/** A filter Siesa would refuse; the sandbox answers it as a Siesa error. */
export class ParametrosError extends Error {
  override readonly name = "ParametrosError";
}

/**
 * Strings travel in doubled single quotes (INT-001: `f150_id = ''NB1''`), because Siesa pastes
 * `parametros` inside a SQL string literal of its own; a quote inside a value is therefore four
 * quotes (`''O''''NEILL''`). A plain 'string' would end Siesa's literal early: a syntax error.
 */
const TOKEN =
  /\s*(?:(<>|<=|>=|=|<|>)|(-?\d+)(?![\w.])|''((?:[^']|'''')*)''(?!')|([(),])|([A-Za-z_][A-Za-z0-9_]*))/y;

type Token = { kind: "op" | "int" | "str" | "punct" | "word"; text: string; value?: Literal };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new ParametrosError(`error de sintaxis cerca de '${text.slice(at).trim().slice(0, 20)}'`);
    at = TOKEN.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: "op", text: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: "int", text: m[2], value: Number(m[2]) });
    else if (m[3] !== undefined)
      tokens.push({ kind: "str", text: m[0].trim(), value: m[3].replaceAll("''''", "'") });
    else if (m[4] !== undefined) tokens.push({ kind: "punct", text: m[4] });
    else tokens.push({ kind: "word", text: m[5] ?? "" });
  }
  return tokens;
}

const KEYWORD = /^(and|or|in)$/i;

/**
 * Parses `field op value`, `field IN (value, ...)`, joined by AND / OR, grouped with parentheses.
 * Values are integers or ''strings''. Which fields exist is not checked here: see `fieldsOf`.
 */
export function parseParametros(text: string): Filter {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new ParametrosError("parametros vacío");
  let i = 0;
  const peek = () => tokens[i];
  const isWord = (t: Token | undefined, word: string) => t?.kind === "word" && t.text.toLowerCase() === word;
  const isPunct = (t: Token | undefined, p: string) => t?.kind === "punct" && t.text === p;

  const value = (after: string): Literal => {
    const t = tokens[i];
    if (t?.kind !== "int" && t?.kind !== "str") {
      throw new ParametrosError(`se esperaba un valor después de '${after}'`);
    }
    i += 1;
    return t.value as Literal;
  };

  const term = (): Filter => {
    const t = peek();
    if (isPunct(t, "(")) {
      i += 1;
      const inner = expression();
      if (!isPunct(peek(), ")"))
        throw new ParametrosError(`se esperaba ')' cerca de '${peek()?.text ?? "fin"}'`);
      i += 1;
      return inner;
    }
    if (t?.kind !== "word" || KEYWORD.test(t.text)) {
      throw new ParametrosError(`se esperaba un campo cerca de '${t?.text ?? "fin"}'`);
    }
    i += 1;
    const field = t.text;
    if (isWord(peek(), "in")) {
      i += 1;
      if (!isPunct(peek(), "(")) throw new ParametrosError(`se esperaba '(' después de '${field} IN'`);
      i += 1;
      const values = [value(`${field} IN (`)];
      while (isPunct(peek(), ",")) {
        i += 1;
        values.push(value(`${field} IN (...,`));
      }
      if (!isPunct(peek(), ")"))
        throw new ParametrosError(`se esperaba ')' cerca de '${peek()?.text ?? "fin"}'`);
      i += 1;
      return { kind: "in", field, values };
    }
    const op = peek();
    if (op?.kind !== "op") throw new ParametrosError(`se esperaba un operador después de '${field}'`);
    i += 1;
    return { kind: "compare", field, op: op.text as Operator, value: value(`${field} ${op.text}`) };
  };

  const conjunction = (): Filter => {
    const parts = [term()];
    while (isWord(peek(), "and")) {
      i += 1;
      parts.push(term());
    }
    return parts.length === 1 ? (parts[0] as Filter) : { kind: "and", parts };
  };

  function expression(): Filter {
    const parts = [conjunction()];
    while (isWord(peek(), "or")) {
      i += 1;
      parts.push(conjunction());
    }
    return parts.length === 1 ? (parts[0] as Filter) : { kind: "or", parts };
  }

  const filter = expression();
  if (i < tokens.length) {
    throw new ParametrosError(`se esperaba AND u OR cerca de '${tokens[i]?.text ?? "fin"}'`);
  }
  return filter;
}

/** Every operator a filter uses: `IN` for a list, else the comparison's. */
export function operatorsOf(filter: Filter): string[] {
  if (filter.kind === "in") return ["IN"];
  if (filter.kind === "compare") return [filter.op];
  return filter.parts.flatMap(operatorsOf);
}

/** Every column a filter names. */
export function fieldsOf(filter: Filter): string[] {
  if (filter.kind === "compare" || filter.kind === "in") return [filter.field];
  return filter.parts.flatMap(fieldsOf);
}

/** A row's value for a column, whether its key arrived padded or not. */
export function columnValue(row: SiesaWireRow, field: string): string | number | null {
  if (field in row) return row[field] ?? null;
  for (const key of Object.keys(row)) if (key.trim() === field) return row[key] ?? null;
  return null;
}

/** -1, 0 or 1; SQL semantics: an int literal converts the column, CHAR comparison ignores trailing spaces. */
function compare(raw: string | number, value: Literal, field: string): number {
  if (typeof value === "number") {
    const n = typeof raw === "number" ? raw : Number(String(raw).trim());
    if (!Number.isFinite(n)) {
      throw new ParametrosError(`error al convertir '${String(raw).trim()}' a int en la columna '${field}'`);
    }
    return Math.sign(n - value);
  }
  const s = String(raw).trimEnd();
  const v = value.trimEnd();
  return s < v ? -1 : s > v ? 1 : 0;
}

const OPERATORS: Record<Operator, (cmp: number) => boolean> = {
  "=": (cmp) => cmp === 0,
  "<>": (cmp) => cmp !== 0,
  "<": (cmp) => cmp < 0,
  "<=": (cmp) => cmp <= 0,
  ">": (cmp) => cmp > 0,
  ">=": (cmp) => cmp >= 0,
};

/** SQL semantics: NULL matches nothing; CHAR comparison ignores trailing spaces. */
export function matches(row: SiesaWireRow, filter: Filter): boolean {
  switch (filter.kind) {
    case "and":
      return filter.parts.every((part) => matches(row, part));
    case "or":
      return filter.parts.some((part) => matches(row, part));
    case "in": {
      const raw = columnValue(row, filter.field);
      return raw !== null && filter.values.some((value) => compare(raw, value, filter.field) === 0);
    }
    case "compare": {
      const raw = columnValue(row, filter.field);
      return raw !== null && OPERATORS[filter.op](compare(raw, filter.value, filter.field));
    }
  }
}

/** The `[lo, hi)` bounds on f120_id implied by the filter's top-level AND, to binary-search sorted rows. */
function idBounds(filter: Filter | undefined): { lo: number; hi: number } {
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  const clauses = filter === undefined ? [] : filter.kind === "and" ? filter.parts : [filter];
  for (const clause of clauses) {
    if (clause.kind !== "compare" || clause.field !== "f120_id" || typeof clause.value !== "number") continue;
    const { op, value } = clause;
    if (op === "=" || op === ">=") lo = Math.max(lo, value);
    if (op === ">") lo = Math.max(lo, value + 1);
    if (op === "=" || op === "<=") hi = Math.min(hi, value + 1);
    if (op === "<") hi = Math.min(hi, value);
  }
  return { lo, hi };
}

/** The warehouse code a filter pins with `f150_id = '…'` (trailing spaces dropped, as CHAR compares), else undefined. */
function warehouseOf(filter: Filter | undefined): string | undefined {
  const clauses = filter === undefined ? [] : filter.kind === "and" ? filter.parts : [filter];
  for (const clause of clauses) {
    if (clause.kind === "compare" && clause.field === "f150_id" && clause.op === "=")
      if (typeof clause.value === "string") return clause.value.trimEnd();
  }
  return undefined;
}

/**
 * The trimmed references a filter can match, when it pins `f120_referencia` to a list (an IN, `=`,
 * or an OR of them), so the sandbox can look barcodes up instead of scanning; else undefined.
 */
function referencesOf(filter: Filter | undefined): Set<string> | undefined {
  if (filter === undefined) return undefined;
  const field = "f120_referencia";
  if (filter.kind === "in" && filter.field === field)
    return new Set(filter.values.map((v) => String(v).trim()));
  if (filter.kind === "compare" && filter.field === field && filter.op === "=") {
    return new Set([String(filter.value).trim()]);
  }
  if (filter.kind === "or") {
    const all = new Set<string>();
    for (const part of filter.parts) {
      const some = referencesOf(part);
      if (!some) return undefined;
      for (const reference of some) all.add(reference);
    }
    return all;
  }
  if (filter.kind === "and") {
    for (const part of filter.parts) {
      const some = referencesOf(part);
      if (some) return some;
    }
  }
  return undefined;
}

/** First index whose f120_id >= id, in rows sorted by f120_id. */
function lowerBound(rows: readonly SiesaWireRow[], id: number): number {
  let a = 0;
  let b = rows.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (itemId(rows[mid] as SiesaWireRow) < id) a = mid + 1;
    else b = mid;
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------------

interface StandardQuery {
  rows: (catalogue: Catalogue) => SiesaWireRow[];
  /** The columns INT-001 lists for the query, and no others. */
  fields: readonly string[];
  /** The order a stable sandbox serves rows in. */
  order: (a: SiesaWireRow, b: SiesaWireRow) => number;
}

const byText = (a: unknown, b: unknown) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);

const QUERIES: Record<string, StandardQuery> = {
  API_v2_Items: {
    rows: (c) => c.items,
    fields: [
      "f120_id_cia",
      "f120_id",
      "f120_referencia",
      "f120_descripcion",
      "f120_id_tipo_inv_serv",
      "f120_id_unidad_inventario",
      "f120_id_unidad_empaque",
      "f120_ind_tipo_item",
    ],
    order: (a, b) => itemId(a) - itemId(b),
  },
  // No f120_id, no f120_id_cia: barcodes name their item by reference only.
  API_v2_ItemsBarras: {
    rows: (c) => c.barcodes,
    fields: ["f120_referencia", "f131_id", "f131_id_unidad_medida"],
    order: (a, b) => byText(a.f120_referencia, b.f120_referencia) || byText(a.f131_id, b.f131_id),
  },
};

const PAGINACION = /^numPag=(\d+)\|tamPag=(\d+)$/;
/** IIS's default `maxQueryString`: a longer query string is refused (404.15) before the API sees it. */
export const MAX_QUERY_STRING = 2_048;

/**
 * A query's rows grouped by `keyOf`, each group in the rows' order (so an id range of a group is still
 * a slice), rebuilt when `versionOf` changes or the query answers other rows.
 */
function rowIndex(
  versionOf: () => number,
  keyOf: (row: SiesaWireRow) => string,
): (rows: SiesaWireRow[]) => Map<string, SiesaWireRow[]> {
  let built:
    | { version: number; rows: SiesaWireRow[]; length: number; map: Map<string, SiesaWireRow[]> }
    | undefined;
  return (rows) => {
    const version = versionOf();
    if (built?.version !== version || built.rows !== rows || built.length !== rows.length) {
      const map = new Map<string, SiesaWireRow[]>();
      for (const row of rows) {
        const key = keyOf(row);
        const group = map.get(key);
        if (group) group.push(row);
        else map.set(key, [row]);
      }
      built = { version, rows, length: rows.length, map };
    }
    return built.map;
  };
}

export function createSiesaSandbox(options: Partial<SiesaSandboxOptions> = {}): SiesaSandbox {
  const catalogue = options.catalogue ?? generateCatalogue({ size: 100, seed: 1 });
  const { catalogue: _catalogue, stock: givenStock, faults: initialFaults, ...rest } = options;
  let stock = givenStock;
  const stockOf = () => {
    stock ??= generateStock(catalogue);
    return stock;
  };
  // The warehouse and stock queries beside the item queries (sandbox/stock.ts).
  const queries: Record<string, StandardQuery> = { ...QUERIES, ...stockQueries(stockOf) };
  let settings: Omit<SiesaSandboxOptions, "catalogue" | "stock" | "faults"> = {
    credentials: SANDBOX_SIESA_CREDENTIALS,
    companyId: SANDBOX_SIESA_COMPANY_ID,
    envelope: "Table",
    endOfData: "short",
    unstableOrder: true,
    repeatShare: 0.02,
    ignoreFilter: false,
    seed: catalogue.seed,
    ...rest,
  };
  const faults = faultControl(initialFaults);
  const orderRandom = seededRandom(settings.seed);
  const stats: SiesaSandboxStats = { total: 0, byDescripcion: {}, refused: 0, rateLimited: 0 };
  /** Each company's current rate-limit window: when it started, and the requests it counted. */
  const windows = new Map<string, { start: number; used: number }>();

  const siesaError = (c: Context, detalle: string, codigo = 2) =>
    c.json({ codigo, mensaje: "Error al ejecutar la consulta", detalle }, 200);

  /** Barcode rows by trimmed reference, rebuilt when the catalogue changes. */
  const byReference = rowIndex(
    () => catalogue.version,
    (row) => String(columnValue(row, "f120_referencia") ?? "").trim(),
  );
  /** Stock rows by warehouse code as CHAR compares it (trailing spaces ignored), rebuilt when the stock changes. */
  const byWarehouse = rowIndex(
    () => stockOf().version,
    (row) => String(columnValue(row, "f150_id") ?? "").trimEnd(),
  );

  /** The candidate rows a filter can match, found by warehouse, id range or reference before any scan. */
  function candidates(query: StandardQuery, filter: Filter | undefined): SiesaWireRow[] {
    const all = query.rows(catalogue);
    const references = query.fields.includes("f120_id") ? undefined : referencesOf(filter);
    if (references) {
      const index = byReference(all);
      return [...references].flatMap((reference) => index.get(reference) ?? []);
    }
    if (!query.fields.includes("f120_id")) return all;
    // A stock read names one warehouse: a million rows need not be scanned for its few thousand.
    const code = query.fields.includes("f150_id") ? warehouseOf(filter) : undefined;
    const rows = code === undefined ? all : (byWarehouse(all).get(code) ?? []);
    const { lo, hi } = idBounds(filter);
    const start = lo === Number.NEGATIVE_INFINITY ? 0 : lowerBound(rows, lo);
    const end = hi === Number.POSITIVE_INFINITY ? rows.length : lowerBound(rows, hi);
    return rows.slice(start, end);
  }

  /** The rows a query returns before paging: filtered, then with repeats, then (maybe) shuffled. */
  function result(query: StandardQuery, filter: Filter | undefined): SiesaWireRow[] {
    // A filter on a column the query does not have answers "no records", the worst of what
    // Siesa may do (INT-001): a client must never take that as evidence of absence.
    // A column left out (`withoutColumns`) is one the query does not have.
    const lacks = (field: string) =>
      !query.fields.includes(field) || settings.withoutColumns?.includes(field);
    if (filter && fieldsOf(filter).some(lacks)) return [];
    const rows: SiesaWireRow[] = [];
    for (const row of candidates(query, filter)) {
      if (!filter || matches(row, filter)) rows.push(row);
    }
    // Repeats are part of the result (as a join would produce them), so a short page still holds
    // the whole result. A stable order gets the same repeats every time.
    const draw = settings.unstableOrder ? orderRandom : seededRandom(settings.seed);
    const repeats = Math.floor(rows.length * settings.repeatShare + draw());
    const unique = rows.length;
    for (let r = 0; r < repeats && unique > 0; r++)
      rows.push(rows[Math.floor(draw() * unique)] as SiesaWireRow);
    if (settings.unstableOrder) {
      for (let i = rows.length - 1; i > 0; i--) {
        const j = Math.floor(orderRandom() * (i + 1));
        [rows[i], rows[j]] = [rows[j] as SiesaWireRow, rows[i] as SiesaWireRow];
      }
    } else {
      rows.sort(query.order);
    }
    return rows;
  }

  const app = new Hono();
  app.use("*", async (c, next) => {
    if (settings.closed === undefined || stats.total < (settings.closesAfterRequests ?? 0)) return next();
    stats.total += 1;
    if (settings.closed === "unavailable") {
      return c.html(
        "<h1>Service Unavailable</h1><hr><p>HTTP Error 503. The service is unavailable.</p>",
        503,
      );
    }
    // Served by Node (sandbox/serve.ts), the request's connection; absent under app.request().
    const socket = (c.env as { incoming?: { socket?: Socket } } | undefined)?.incoming?.socket;
    if (settings.closed === "hang" && socket && !socket.destroyed) {
      // Until the client gives up and closes the connection (or the sandbox closes it).
      await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    }
    // The connection goes without a byte of an answer.
    socket?.destroy();
    return c.body(null, 503);
  });
  app.use("*", async (c, next) => {
    stats.total += 1;
    const descripcion = c.req.query("descripcion") ?? "";
    stats.byDescripcion[descripcion] = (stats.byDescripcion[descripcion] ?? 0) + 1;
    await next();
  });
  app.use("*", async (c, next) => {
    const search = new URL(c.req.url).search;
    if (search.length - 1 > MAX_QUERY_STRING) {
      return c.html(
        "<h2>404 - File or directory not found.</h2><p>The request filtering module is configured to deny a request where the query string is too long.</p>",
        404,
      );
    }
    await next();
  });
  app.use("*", async (c, next) => {
    const limit = settings.rateLimit;
    if (limit === undefined) return next();
    const windowMs = settings.rateLimitWindowMs ?? 60_000;
    const company = c.req.query("idCompania") ?? "";
    const now = Date.now();
    let window = windows.get(company);
    if (!window || now >= window.start + windowMs) {
      window = { start: now, used: 0 };
      windows.set(company, window);
    }
    // Whole seconds rounded down, as a server may count them (0 in the window's last second): the
    // least convenient reading for a client. Retry-After says at least 1 s.
    const secondsLeft = (window.start + windowMs - now) / 1000;
    const reset = String(Math.floor(secondsLeft));
    const over = window.used >= limit;
    if (!over) window.used += 1;
    const headers = {
      "Connekta-Rate-Limit-Limit": String(limit),
      "Connekta-Rate-Limit-Remaining": String(limit - window.used),
      "Connekta-Rate-Limit-Reset": reset,
    };
    if (over) {
      stats.rateLimited += 1;
      return c.json({ codigo: 429, mensaje: "Demasiadas solicitudes", detalle: "Intente más tarde" }, 429, {
        ...headers,
        ...(settings.rateLimitRetryAfter === false
          ? {}
          : { "Retry-After": String(Math.max(1, Math.ceil(secondsLeft))) }),
      });
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  });
  app.use(
    "*",
    faults.middleware(() => ({
      codigo: 429,
      mensaje: "Demasiadas solicitudes",
      detalle: "Intente más tarde",
    })),
  );

  app.get("/api/siesa/v3/ejecutarconsultaestandar", (c) => {
    // Header names are case-insensitive (Headers normalises them).
    const { conniKey, conniToken } = settings.credentials;
    if (c.req.header("ConniKey") !== conniKey || c.req.header("ConniToken") !== conniToken) {
      return c.json({ Message: "Authorization has been denied for this request." }, 401);
    }
    if (Number(c.req.query("idCompania")) !== settings.companyId) {
      return siesaError(c, `La compañía '${c.req.query("idCompania") ?? ""}' no existe o no está habilitada`);
    }
    const descripcion = c.req.query("descripcion") ?? "";
    const query = queries[descripcion];
    if (!query) return siesaError(c, `La consulta estándar '${descripcion}' no existe`);
    const paging = PAGINACION.exec(c.req.query("paginacion") ?? "");
    if (!paging) return siesaError(c, "El parámetro paginacion debe ser numPag=N|tamPag=S");
    const page = Number(paging[1]);
    // A Siesa that caps its pages answers fewer rows than asked, silently.
    const size = Math.min(Number(paging[2]), settings.pageCap ?? Number.POSITIVE_INFINITY);
    if (page < 1 || size < 1) return siesaError(c, "numPag y tamPag deben ser mayores que cero");

    if (size >= 500) {
      // Siesa's quirk: a large page comes back as a single row of nulls.
      const nullRow = Object.fromEntries(query.fields.map((f) => [f, null]));
      return c.json(envelope(settings.envelope, [nullRow], page, size, 1));
    }

    let rows: SiesaWireRow[];
    try {
      const parametros = c.req.query("parametros");
      const asked = { descripcion, ...(parametros !== undefined ? { parametros } : {}) };
      if (settings.serverError?.(asked)) return c.json({ Message: "An error has occurred." }, 500);
      if (settings.queryError?.(asked))
        return siesaError(
          c,
          "Timeout expired. The timeout period elapsed prior to completion of the operation.",
        );
      if (settings.noRecords?.(asked))
        return c.json({ codigo: 1, mensaje: "Error", detalle: "No se encontraron registros" }, 400);
      const filter = parametros ? parseParametros(parametros) : undefined;
      // SQL Server's refusal of an operator it does not take, whichever way the filter spells it.
      const used = filter ? operatorsOf(filter) : [];
      const refused = (settings.refuseOperators ?? []).find((operator) => used.includes(operator));
      if (refused) {
        stats.refused += 1;
        return siesaError(c, `Sintaxis incorrecta cerca de '${refused}'`);
      }
      rows = result(query, settings.ignoreFilter ? undefined : filter);
    } catch (error) {
      if (error instanceof ParametrosError) return siesaError(c, error.message);
      throw error;
    }
    const dropped = settings.withoutColumns ?? [];
    const slice = rows
      .slice((page - 1) * size, page * size)
      .map((row) =>
        dropped.length === 0
          ? row
          : Object.fromEntries(Object.entries(row).filter(([key]) => !dropped.includes(key.trim()))),
      );
    if (slice.length === 0 && settings.endOfData === "400") {
      return c.json({ codigo: 1, mensaje: "Error", detalle: "No se encontraron registros" }, 400);
    }
    if (slice.length === 0 && settings.endOfData === "200") {
      return c.json({ codigo: 1, mensaje: "Consulta existente sin datos.", detalle: null }, 200);
    }
    return c.json(envelope(settings.envelope, slice, page, size, rows.length));
  });

  return {
    app,
    catalogue,
    get stock() {
      return stockOf();
    },
    stats,
    setFaults: (partial) => faults.set(partial),
    setOptions(partial) {
      settings = { ...settings, ...partial };
    },
  };
}

function envelope(kind: "Table" | "Datos", rows: unknown[], page: number, size: number, total: number) {
  const ok = { codigo: 0, mensaje: "Transacción Exitosa" };
  if (kind === "Table") return { ...ok, detalle: { Table: rows } };
  return {
    ...ok,
    detalle: {
      tamaño_página: size,
      página_actual: page,
      total_páginas: Math.ceil(total / size),
      total_registros: total,
      Datos: rows,
    },
  };
}
