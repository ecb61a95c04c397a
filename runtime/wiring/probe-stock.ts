import type { SiesaRow } from "../core/domain/model.js";
import type { Tenant } from "../core/domain/tenant.js";
import { DIFFERING_REPEATS, oneRowPerKey, STOCK_COLUMNS, stockKey } from "../core/streams/stock.js";
import { WAREHOUSE_COLUMNS } from "../core/streams/warehouses.js";
import type { SiesaPage } from "../edges/http/siesa/answer.js";
import { MAX_PAGE_SIZE } from "../edges/http/siesa/connection.js";
import { textLiteral } from "../edges/http/siesa/parametros.js";
import { integerOf } from "../edges/http/siesa/rows.js";
import { type Checklist, Failed, missingColumns } from "./probe-checklist.js";

/**
 * The contract probe's lines for a tenant's warehouse and stock streams
 * (docs/integrations/stock-and-locations.md, "What the probe must check"): what the streams assume
 * of `API_v2_Bodegas` and `API_v2_Inventarios_InvFecha`, checked on the tenant's Siesa. A tenant
 * whose file declares no stream gets none of them.
 */

export const WAREHOUSES_QUERY = "API_v2_Bodegas";
export const STOCK_QUERY = "API_v2_Inventarios_InvFecha";
/** Pages of the warehouse query read at most: a Siesa holds tens of warehouses, not thousands. */
const MAX_WAREHOUSE_PAGES = 20;
/** Counted warehouses asked, in turn, for one that holds stock rows to check. */
const STOCK_SAMPLE_WAREHOUSES = 3;
/** Codes named in a line, at most. */
const SHOWN_CODES = 10;

/** One page of a standard query of any size: the probe's connection. */
export interface SiesaPages {
  page(descripcion: string, page: number, size: number, parametros?: string): Promise<SiesaPage>;
}

const WAREHOUSE_LINES = ["siesa warehouse columns", "siesa company warehouses", "siesa warehouse repeats"];
const STOCK_LINES = [
  "siesa stock counted warehouses",
  "siesa stock warehouse filter",
  "siesa stock item column",
  "siesa stock installation column",
  "siesa stock quantities",
  "siesa stock range filter",
];

/** The Siesa lines the tenant's streams add, in their order: none without `streams`. */
export function streamLines(tenant: Tenant): string[] {
  const { warehouses, stock } = tenant.streams ?? {};
  return [...(warehouses || stock ? WAREHOUSE_LINES : []), ...(stock ? STOCK_LINES : [])];
}

const codeOf = (row: SiesaRow) => String(row[WAREHOUSE_COLUMNS.code] ?? "");
const shown = (codes: readonly string[]) =>
  codes.length <= SHOWN_CODES
    ? codes.join(", ")
    : `${codes.slice(0, SHOWN_CODES).join(", ")} and ${codes.length - SHOWN_CODES} more`;

/** A quantity as the stock stream reads it: a number, or a numeric text. */
function isQuantity(value: SiesaRow[string] | undefined): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value));
}

/** The company's warehouses as one complete read of the warehouse query finds them. */
interface Warehouses {
  rows: number;
  pages: number;
  repeated: number;
  active: string[];
  closed: string[];
  /** Codes of another ERP company's warehouses. */
  others: Set<string>;
}

function warehousesOf(rows: readonly SiesaRow[], pages: number, erpCompany: number): Warehouses {
  // A warehouse is its company and trimmed code (rows come trimmed): a second row of both is a repeat.
  const byKey = new Map<string, SiesaRow>();
  let repeated = 0;
  for (const row of rows) {
    const key = `${String(row[WAREHOUSE_COLUMNS.company])}|${codeOf(row)}`;
    if (byKey.has(key)) repeated += 1;
    else byKey.set(key, row);
  }
  const ours = [...byKey.values()].filter((row) => integerOf(row[WAREHOUSE_COLUMNS.company]) === erpCompany);
  const isActive = (row: SiesaRow) => integerOf(row[WAREHOUSE_COLUMNS.state]) === 1;
  const others = [...byKey.values()].filter(
    (row) => integerOf(row[WAREHOUSE_COLUMNS.company]) !== erpCompany,
  );
  return {
    rows: rows.length,
    pages,
    repeated,
    active: ours.filter(isActive).map(codeOf).sort(),
    closed: ours
      .filter((row) => !isActive(row))
      .map(codeOf)
      .sort(),
    others: new Set(others.map(codeOf)),
  };
}

/** The warehouse lines, then (for a stock stream) the stock lines, on the tenant's Siesa. */
export async function probeStreams(tenant: Tenant, siesa: SiesaPages, list: Checklist): Promise<void> {
  const lines = streamLines(tenant);
  if (lines.length === 0) return;
  const { erpCompany } = tenant.siesa;
  const rows: SiesaRow[] = [];
  let pages = 0;
  const read = await list.run("siesa warehouse columns", async () => {
    let complete = false;
    while (!complete && pages < MAX_WAREHOUSE_PAGES) {
      pages += 1;
      const answer = await siesa.page(WAREHOUSES_QUERY, pages, MAX_PAGE_SIZE);
      rows.push(...answer.rows);
      complete = answer.endOfData;
    }
    if (rows.length === 0) throw new Failed(`${WAREHOUSES_QUERY} answered no warehouse`);
    const columns = Object.values(WAREHOUSE_COLUMNS);
    const missing = missingColumns(rows, columns);
    if (missing.length > 0)
      throw new Failed(
        `${WAREHOUSES_QUERY} lacks ${missing.join(", ")} (the warehouses stream reads ${columns.join(", ")})`,
      );
    const more = complete ? "" : ` (the first ${pages} pages; more follow)`;
    return `${WAREHOUSES_QUERY} has ${columns.join(", ")} on ${rows.length} rows${more}`;
  });
  if (!read) {
    for (const name of lines.slice(1)) list.skip(name, "skipped: the warehouse query was not read");
    return;
  }
  const found = warehousesOf(rows, pages, erpCompany);
  const hasActive = await list.run("siesa company warehouses", async () => {
    const closed = `${found.closed.length} closed${found.closed.length > 0 ? ` (${shown(found.closed)})` : ""}`;
    if (found.active.length === 0)
      throw new Failed(
        `f150_id_cia ${erpCompany} has no active warehouse (f150_ind_estado 1) in ${WAREHOUSES_QUERY}: ${closed}`,
      );
    const shared = found.active.filter((code) => found.others.has(code));
    // Stock rows carry no company column: one code in two companies would mix their stock.
    const warning =
      shared.length > 0
        ? `; warning: another ERP company has warehouses ${shown(shared)} too, and stock rows say whose they are only by the code`
        : "";
    return `f150_id_cia ${erpCompany}: ${found.active.length} active (${shown(found.active)}), ${closed}${warning}`;
  });
  await list.run("siesa warehouse repeats", async () => {
    // Informative: a reader de-duplicates by company and code either way.
    const over = `${found.rows} rows over ${found.pages} page${found.pages === 1 ? "" : "s"}`;
    if (found.repeated === 0) return `${over}, none repeated`;
    return `${over}, ${found.repeated} repeating a warehouse already read: a reader must de-duplicate by company and code`;
  });
  if (tenant.streams?.stock) await probeStock(tenant, siesa, found, hasActive, list);
}

async function probeStock(
  tenant: Tenant,
  siesa: SiesaPages,
  found: Warehouses,
  hasActive: boolean,
  list: Checklist,
): Promise<void> {
  const { erpCompany } = tenant.siesa;
  const listed = tenant.streams?.stock?.warehouses;
  const active = new Set(found.active);
  await list.run("siesa stock counted warehouses", async () => {
    const closed = new Set(found.closed);
    const problems = (listed ?? [])
      .filter((code) => !active.has(code))
      .map((code) =>
        closed.has(code)
          ? `${code} is closed (f150_ind_estado 0)`
          : found.others.has(code)
            ? `${code} is a warehouse of another ERP company, not of f120_id_cia ${erpCompany}`
            : `${code} is no warehouse in ${WAREHOUSES_QUERY}`,
      );
    if (problems.length > 0) throw new Failed(`streams.stock.warehouses: ${problems.join("; ")}`);
    // The stock reader refuses a counted code another company also has (stock rows carry no company).
    const shared = (listed ?? found.active).filter((code) => found.others.has(code));
    if (shared.length > 0) {
      const codes = shown(shared);
      throw new Failed(
        `${codes} ${shared.length === 1 ? "is also a warehouse" : "are also warehouses"} of another ERP company: stock rows carry no company, so the stock stream refuses to run while it counts ${codes} (leave ${shared.length === 1 ? "it" : "them"} out of streams.stock.warehouses, or have the code changed in Siesa)`,
      );
    }
    if (!listed)
      return `streams.stock.warehouses not set: every active warehouse of f120_id_cia ${erpCompany} counts (${found.active.length})`;
    return `streams.stock.warehouses ${listed.join(", ")}: each an active warehouse of f120_id_cia ${erpCompany}`;
  });
  const later = STOCK_LINES.slice(2);
  const counted = (listed ?? found.active).filter((code) => active.has(code));
  if (!hasActive || counted.length === 0) {
    for (const name of STOCK_LINES.slice(1))
      list.skip(name, "skipped: no counted warehouse is an active warehouse of the ERP company");
    return;
  }

  let code = "";
  let rows: SiesaRow[] = [];
  const filtered = await list.run("siesa stock warehouse filter", async () => {
    const empty: string[] = [];
    for (const candidate of counted.slice(0, STOCK_SAMPLE_WAREHOUSES)) {
      const filter = `f150_id = ${textLiteral(candidate)}`;
      const answer = await siesa.page(STOCK_QUERY, 1, MAX_PAGE_SIZE, filter);
      if (answer.rows.length === 0) {
        empty.push(candidate);
        continue;
      }
      // A refusal Connekta answers as a row of its own (public clients report it), not as stock.
      const alert = answer.rows.find((row) => Object.keys(row).some((key) => /^alerta$/i.test(key)));
      if (alert)
        throw new Failed(`${filter} answered an alerta row instead of stock: ${JSON.stringify(alert)}`);
      const stray = answer.rows.find((row) => String(row[STOCK_COLUMNS.warehouse] ?? "") !== candidate);
      if (stray)
        throw new Failed(
          `${filter} returned a row of f150_id ${JSON.stringify(stray[STOCK_COLUMNS.warehouse] ?? null)}: the warehouse filter is not applied`,
        );
      code = candidate;
      rows = answer.rows;
      const company = Object.keys(rows[0] ?? {}).filter((column) => /_id_cia$/.test(column));
      const companyNote =
        company.length > 0
          ? `; the rows carry ${company.join(", ")}`
          : "; the rows carry no company column: whose stock a row is shows only by its warehouse code";
      const skippedNote = empty.length > 0 ? ` (${empty.join(", ")} answered none)` : "";
      return `${filter} answered ${rows.length}${answer.endOfData ? "" : "+"} rows, each of warehouse ${code}${skippedNote}${companyNote}`;
    }
    // "No records" is also Siesa's answer to a filter on a column the query lacks (INT-001).
    throw new Failed(
      `f150_id = ''<code>'' answered no stock rows for ${empty.join(", ")}: these warehouses hold no stock, or Siesa answers "no records" to the filter`,
    );
  });
  if (!filtered) {
    for (const name of later) list.skip(name, "skipped: no stock rows of one warehouse to read");
    return;
  }

  const item = STOCK_COLUMNS.item;
  const reference = STOCK_COLUMNS.reference;
  const keyed = await list.run("siesa stock item column", async () => {
    const withId = rows.filter((row) => item in row);
    const hasReference = rows.some((row) => reference in row);
    if (withId.length === 0) {
      const carried = hasReference ? reference : `neither, only ${Object.keys(rows[0] ?? {}).join(", ")}`;
      throw new Failed(
        `${STOCK_QUERY} rows carry ${carried}, no ${item}: the stock stream keys on ${item} (references are renamed and reused) and cannot run`,
      );
    }
    const bad = rows.find((row) => integerOf(row[item]) === undefined);
    if (bad)
      throw new Failed(
        `a row of ${code} has ${item} ${JSON.stringify(bad[item] ?? null)}, not an integer: the stock stream keys on ${item} and cannot run`,
      );
    const also = hasReference ? `, and ${reference}` : `, without ${reference}`;
    return `the rows carry ${item}, an integer${also}: the stock stream relies on ${item}, the catalogue's identity`;
  });
  await list.run("siesa stock installation column", async () => {
    const column = STOCK_COLUMNS.installation;
    const without = rows.filter((row) => !(column in row));
    if (without.length > 0)
      throw new Failed(
        `${without.length} of ${rows.length} rows lack ${column}: an item's rows in two installations of a warehouse would overwrite each other`,
      );
    // Repeats of a key that disagree in one answer are no moving stock: the key lacks a column.
    const keyed = rows.flatMap((row) => {
      const id = integerOf(row[item]);
      return id === undefined ? [] : [{ key: stockKey(code, id, String(row[column] ?? "")), row }];
    });
    const differing = [...oneRowPerKey(keyed).values()].find((row) => DIFFERING_REPEATS in row);
    if (differing) {
      const values = Object.entries(
        JSON.parse(String(differing[DIFFERING_REPEATS])) as Record<string, string[]>,
      )
        .map(([quantity, seen]) => `${quantity} ${seen.join(" and ")}`)
        .join("; ");
      throw new Failed(
        `${item} ${String(differing[item])} of ${code} in installation ${String(differing[column] ?? "")} came twice in one answer with other quantities (${values}): the rows may be keyed by a column besides item, warehouse and installation (a lot, a location), and the stock stream rejects such rows`,
      );
    }
    const installations = [...new Set(rows.map((row) => String(row[column] ?? "")))].sort();
    return `the rows carry ${column} (${shown(installations)})`;
  });
  await list.run("siesa stock quantities", async () => {
    const columns = [STOCK_COLUMNS.onHand, STOCK_COLUMNS.committed, STOCK_COLUMNS.pos];
    const missing = missingColumns(rows, columns);
    if (missing.length > 0)
      throw new Failed(
        `${STOCK_QUERY} lacks ${missing.join(", ")} (expected stock reads ${columns.join(", ")})`,
      );
    for (const row of rows)
      for (const column of columns)
        if (!isQuantity(row[column]))
          throw new Failed(
            `${column} of ${item} ${String(row[item] ?? "?")} in ${code} is ${JSON.stringify(row[column] ?? null)}, not a number: the stream rejects such a row`,
          );
    const negative = rows.filter((row) => Number(row[STOCK_COLUMNS.onHand]) < 0).length;
    return `${columns.join(", ")} are numbers on all ${rows.length} rows (${negative} with negative on hand)`;
  });
  if (!keyed) {
    list.skip("siesa stock range filter", `skipped: the rows carry no integer ${item} to range on`);
    return;
  }
  await list.run("siesa stock range filter", async () => {
    // From the lowest id to the middle one: a range that holds some of the warehouse's rows, not all.
    const ids = [...new Set(rows.map((row) => integerOf(row[item]) as number))].sort((a, b) => a - b);
    const from = ids[0] as number;
    const to = ids.length > 1 ? (ids[Math.floor(ids.length / 2)] as number) : from + 1;
    const filter = `f150_id = ${textLiteral(code)} AND ${item} >= ${from} AND ${item} < ${to}`;
    const answer = await siesa.page(STOCK_QUERY, 1, MAX_PAGE_SIZE, filter);
    const stray = answer.rows.find((row) => {
      const id = integerOf(row[item]);
      return id === undefined || id < from || id >= to || String(row[STOCK_COLUMNS.warehouse] ?? "") !== code;
    });
    if (stray)
      throw new Failed(
        `${filter} returned ${item} ${String(stray[item] ?? "?")} of warehouse ${String(stray[STOCK_COLUMNS.warehouse] ?? "?")}: the range does not combine with the warehouse filter, so a large warehouse cannot be read in ranges`,
      );
    if (!answer.rows.some((row) => integerOf(row[item]) === from))
      throw new Failed(
        `${filter} did not return ${item} ${from}, which f150_id = ${textLiteral(code)} returned`,
      );
    return `${filter} returned ${answer.rows.length} rows, each of ${code} within the range`;
  });
}
