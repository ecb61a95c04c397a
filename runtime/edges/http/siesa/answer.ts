import type { SiesaRow } from "../../../core/domain/model.js";
import { trimRow } from "./rows.js";

/** One page of a standard query, rows trimmed but not yet filtered. */
export interface SiesaPage {
  rows: SiesaRow[];
  /** No page after this one: a short page, or Siesa said there is no data. */
  endOfData: boolean;
  /** Rows in the whole result, when the envelope says (`Datos`); `Table` does not. */
  total?: number;
  /** Siesa's `Connekta-Rate-Limit-*` headers, when the answer carried them. */
  rateLimit?: RateLimit;
}

export interface RateLimit {
  limit?: string;
  remaining?: string;
  reset?: string;
}

/** What went wrong, for the caller to raise with its own context. */
export type SiesaAnswer = { kind: "page"; page: SiesaPage } | { kind: "error"; message: string };

/**
 * SQL Server's words for a filter it cannot parse, in Spanish or English, naming the operator:
 * "Sintaxis incorrecta cerca de la palabra clave 'IN'", "Incorrect syntax near '>='". Only an
 * operator the client writes counts: any other error (a 400, a column it lacks) is not a refusal.
 */
const REFUSED_OPERATOR =
  /(?:sintaxis incorrecta|error de sintaxis|incorrect syntax)\s+(?:cerca de|near)\s+(?:la palabra clave\s+|the keyword\s+)?'(IN|>=|<=|<>|<|>)'/i;

/** The filter operator an error answer's words say Siesa refused, if they name one. */
export function refusedOperator(message: string): string | undefined {
  return REFUSED_OPERATOR.exec(message)?.[1]?.toUpperCase();
}

/** Siesa's three ways of saying "no (more) rows": this text in `mensaje` or `detalle` with codigo 1. */
const NO_DATA = /no se encontraron registros|sin datos/i;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function text(value: unknown): string {
  if (value == null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Reads Siesa's envelope: `{codigo:0, detalle:{Table:[...]}}` or the paged
 * `{codigo:0, detalle:{tamaño_página, página_actual, total_páginas, total_registros, Datos:[...]}}`;
 * `codigo:1` with "No se encontraron registros" (HTTP 400) or "Consulta existente sin datos." (HTTP 200)
 * as an empty last page; anything else as an error carrying Siesa's own words.
 */
export function readAnswer(status: number, body: unknown, pageSize: number): SiesaAnswer {
  if (!isObject(body) || typeof body.codigo !== "number") {
    return { kind: "error", message: `unexpected answer (HTTP ${status}): ${text(body).slice(0, 300)}` };
  }
  const { codigo, mensaje, detalle } = body;
  if (codigo !== 0) {
    const words = [text(mensaje), text(detalle)].filter(Boolean).join(": ");
    if (codigo === 1 && NO_DATA.test(words)) return { kind: "page", page: { rows: [], endOfData: true } };
    return { kind: "error", message: `codigo ${codigo}: ${words}`.slice(0, 500) };
  }
  if (status >= 400) return { kind: "error", message: `HTTP ${status}: ${text(mensaje)}` };
  if (!isObject(detalle)) return { kind: "error", message: "codigo 0 without a detalle object" };

  const raw = Array.isArray(detalle.Table)
    ? detalle.Table
    : Array.isArray(detalle.Datos)
      ? detalle.Datos
      : undefined;
  if (!raw) return { kind: "error", message: "codigo 0 without detalle.Table or detalle.Datos" };
  const rows = raw.filter(isObject).map(trimRow);
  const total = typeof detalle.total_registros === "number" ? detalle.total_registros : undefined;
  const lastPage =
    typeof detalle.página_actual === "number" &&
    typeof detalle.total_páginas === "number" &&
    detalle.página_actual >= detalle.total_páginas;
  const page: SiesaPage = { rows, endOfData: raw.length < pageSize || lastPage };
  if (total !== undefined) page.total = total;
  return { kind: "page", page };
}
