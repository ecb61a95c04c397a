import { type Context, Hono } from "hono";
import { type Catalogue, generateCatalogue, type SiesaWireRow } from "./catalogue.js";
import { type FaultKnobs, faultControl, seededRandom } from "./faults.js";

/**
 * A Hono app that answers like Siesa Cloud's `ejecutarconsultaestandar` (SYSTEM.md §4), quirks
 * included: CHAR padding, every company's rows, an unstable row order (each request reshuffles),
 * rows repeated within a result, three ways to say "no more data", two envelopes, 401 on a wrong
 * ConniKey/ConniToken pair, and the all-null row when `tamPag` reaches 500.
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
  faults: FaultKnobs;
}

export interface SiesaSandboxStats {
  /** Every request, faults and refusals included. */
  total: number;
  byDescripcion: Record<string, number>;
}

export interface SiesaSandbox {
  app: Hono;
  catalogue: Catalogue;
  setFaults(partial: Partial<FaultKnobs>): void;
  setOptions(partial: Partial<Omit<SiesaSandboxOptions, "catalogue" | "faults">>): void;
  stats: SiesaSandboxStats;
}

// ---------------------------------------------------------------------------------------------
// parametros: a tiny SQL-like filter language, parsed (never evaluated as code)
// ---------------------------------------------------------------------------------------------

export type Operator = "=" | "<>" | "<" | "<=" | ">" | ">=";
export interface Clause {
  field: string;
  op: Operator;
  value: number | string;
}

/** A filter Siesa would refuse; the sandbox answers it as a Siesa error. */
export class ParametrosError extends Error {
  override readonly name = "ParametrosError";
}

const TOKEN = /\s*(?:(<>|<=|>=|=|<|>)|(-?\d+)(?![\w.])|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_]*))/y;

/**
 * Parses `field op value [AND field op value]...`. Values are integers or 'strings' with ''
 * escaping. Fields must be among `fields` (the columns of the query being filtered).
 */
export function parseParametros(text: string, fields: readonly string[]): Clause[] {
  type Token = { kind: "op" | "int" | "str" | "word"; text: string; value?: number | string };
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new ParametrosError(`error de sintaxis cerca de '${text.slice(at).trim().slice(0, 20)}'`);
    at = TOKEN.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: "op", text: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: "int", text: m[2], value: Number(m[2]) });
    else if (m[3] !== undefined) tokens.push({ kind: "str", text: m[0], value: m[3].replaceAll("''", "'") });
    else tokens.push({ kind: "word", text: m[4] ?? "" });
  }
  if (tokens.length === 0) throw new ParametrosError("parametros vacío");

  const clauses: Clause[] = [];
  let i = 0;
  for (;;) {
    const [field, op, value] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (field?.kind !== "word" || /^and$/i.test(field.text)) {
      throw new ParametrosError(`se esperaba un campo cerca de '${field?.text ?? "fin"}'`);
    }
    if (!fields.includes(field.text))
      throw new ParametrosError(`nombre de columna no válido '${field.text}'`);
    if (op?.kind !== "op") throw new ParametrosError(`se esperaba un operador después de '${field.text}'`);
    if (value?.kind !== "int" && value?.kind !== "str") {
      throw new ParametrosError(`se esperaba un valor después de '${field.text} ${op.text}'`);
    }
    clauses.push({ field: field.text, op: op.text as Operator, value: value.value as number | string });
    i += 3;
    if (i === tokens.length) return clauses;
    const joiner = tokens[i];
    if (joiner?.kind !== "word" || !/^and$/i.test(joiner.text)) {
      throw new ParametrosError(`se esperaba AND cerca de '${joiner?.text}'`);
    }
    i += 1;
  }
}

/** A row's value for a column, whether its key arrived padded or not. */
export function columnValue(row: SiesaWireRow, field: string): string | number | null {
  if (field in row) return row[field] ?? null;
  for (const key of Object.keys(row)) if (key.trim() === field) return row[key] ?? null;
  return null;
}

/** SQL semantics: NULL matches nothing; CHAR comparison ignores trailing spaces. */
export function matches(row: SiesaWireRow, clauses: readonly Clause[]): boolean {
  for (const { field, op, value } of clauses) {
    const raw = columnValue(row, field);
    if (raw === null) return false;
    let cmp: number;
    if (typeof value === "number") {
      const n = typeof raw === "number" ? raw : Number(String(raw).trim());
      if (!Number.isFinite(n)) {
        throw new ParametrosError(
          `error al convertir '${String(raw).trim()}' a int en la columna '${field}'`,
        );
      }
      cmp = n - value;
    } else {
      const s = String(raw).trimEnd();
      const v = value.trimEnd();
      cmp = s < v ? -1 : s > v ? 1 : 0;
    }
    const ok =
      op === "="
        ? cmp === 0
        : op === "<>"
          ? cmp !== 0
          : op === "<"
            ? cmp < 0
            : op === "<="
              ? cmp <= 0
              : op === ">"
                ? cmp > 0
                : cmp >= 0;
    if (!ok) return false;
  }
  return true;
}

/** The `[lo, hi)` bounds on f120_id implied by integer clauses, to binary-search sorted rows. */
function idBounds(clauses: readonly Clause[]): { lo: number; hi: number } {
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  for (const { field, op, value } of clauses) {
    if (field !== "f120_id" || typeof value !== "number") continue;
    if (op === "=" || op === ">=") lo = Math.max(lo, value);
    if (op === ">") lo = Math.max(lo, value + 1);
    if (op === "=" || op === "<=") hi = Math.min(hi, value + 1);
    if (op === "<") hi = Math.min(hi, value);
  }
  return { lo, hi };
}

/** First index whose f120_id >= id, in rows sorted by f120_id. */
function lowerBound(rows: readonly SiesaWireRow[], id: number): number {
  let a = 0;
  let b = rows.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((rows[mid]?.f120_id as number) < id) a = mid + 1;
    else b = mid;
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------------

interface StandardQuery {
  rows: (catalogue: Catalogue) => SiesaWireRow[];
  fields: readonly string[];
}

const QUERIES: Record<string, StandardQuery> = {
  API_v2_Items: {
    rows: (c) => c.items,
    fields: [
      "f120_id",
      "f120_referencia",
      "f120_descripcion",
      "f120_id_unidad_inventario",
      "f120_id_tipo_inv_serv",
      "f120_id_cia",
    ],
  },
  API_v2_ItemsBarras: {
    rows: (c) => c.barcodes,
    fields: ["f120_id", "f120_referencia", "f131_id", "f120_id_cia"],
  },
};

const PAGINACION = /^numPag=(\d+)\|tamPag=(\d+)$/;

export function createSiesaSandbox(options: Partial<SiesaSandboxOptions> = {}): SiesaSandbox {
  const catalogue = options.catalogue ?? generateCatalogue({ size: 100, seed: 1 });
  const { catalogue: _catalogue, faults: initialFaults, ...rest } = options;
  let settings: Omit<SiesaSandboxOptions, "catalogue" | "faults"> = {
    credentials: SANDBOX_SIESA_CREDENTIALS,
    companyId: SANDBOX_SIESA_COMPANY_ID,
    envelope: "Table",
    endOfData: "short",
    unstableOrder: true,
    repeatShare: 0.02,
    seed: catalogue.seed,
    ...rest,
  };
  const faults = faultControl(initialFaults);
  const orderRandom = seededRandom(settings.seed);
  const stats: SiesaSandboxStats = { total: 0, byDescripcion: {} };

  const siesaError = (c: Context, detalle: string, codigo = 2) =>
    c.json({ codigo, mensaje: "Error al ejecutar la consulta", detalle }, 200);

  /** The rows a query returns before paging: filtered, then with repeats, then (maybe) shuffled. */
  function result(query: StandardQuery, clauses: readonly Clause[]): SiesaWireRow[] {
    const all = query.rows(catalogue);
    const { lo, hi } = idBounds(clauses);
    const start = lo === Number.NEGATIVE_INFINITY ? 0 : lowerBound(all, lo);
    const end = hi === Number.POSITIVE_INFINITY ? all.length : lowerBound(all, hi);
    const rows: SiesaWireRow[] = [];
    for (let i = start; i < end; i++) {
      const row = all[i] as SiesaWireRow;
      if (matches(row, clauses)) rows.push(row);
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
      rows.sort((a, b) => (a.f120_id as number) - (b.f120_id as number));
    }
    return rows;
  }

  const app = new Hono();
  app.use("*", async (c, next) => {
    stats.total += 1;
    const descripcion = c.req.query("descripcion") ?? "";
    stats.byDescripcion[descripcion] = (stats.byDescripcion[descripcion] ?? 0) + 1;
    await next();
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
    const query = QUERIES[descripcion];
    if (!query) return siesaError(c, `La consulta estándar '${descripcion}' no existe`);
    const paging = PAGINACION.exec(c.req.query("paginacion") ?? "");
    if (!paging) return siesaError(c, "El parámetro paginacion debe ser numPag=N|tamPag=S");
    const page = Number(paging[1]);
    const size = Number(paging[2]);
    if (page < 1 || size < 1) return siesaError(c, "numPag y tamPag deben ser mayores que cero");

    if (size >= 500) {
      // Siesa's quirk: a large page comes back as a single row of nulls.
      const nullRow = Object.fromEntries(query.fields.map((f) => [f, null]));
      return c.json(envelope(settings.envelope, [nullRow], page, size, 1));
    }

    let rows: SiesaWireRow[];
    try {
      const parametros = c.req.query("parametros");
      rows = result(query, parametros ? parseParametros(parametros, query.fields) : []);
    } catch (error) {
      if (error instanceof ParametrosError) return siesaError(c, error.message);
      throw error;
    }
    const slice = rows.slice((page - 1) * size, page * size);
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
