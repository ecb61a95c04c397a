import { MAPPINGS } from "../../mappings/index.js";
import { compileMapping } from "../core/domain/mapping.js";
import { SIESA_BARCODE_FIELDS, SIESA_ITEM_FIELDS } from "../core/domain/mapping-sources.js";
import type { ProductRecord, SiesaRow } from "../core/domain/model.js";
import type { Tenant } from "../core/domain/tenant.js";
import type { Log } from "../core/observability/logger.js";
import type { CallPolicy } from "../core/ports/call-policy.js";
import type { CredentialSource, TenantDirectory } from "../core/ports/pipeline.js";
import type { ProbeReport, ProbeRequest } from "../core/ports/probe.js";
import type { ListedRecord, ListScope } from "../core/ports/product.js";
import { SiesaOperatorRefusedError } from "../core/ports/siesa-errors.js";
import type { TenantCredentials } from "../core/ports/tenant-clients.js";
import { KongClient } from "../edges/http/products/kong-client.js";
import { WmsClient } from "../edges/http/products/wms-client.js";
import type { SiesaPage } from "../edges/http/siesa/answer.js";
import {
  BARCODES_QUERY,
  ITEMS_QUERY,
  MAX_PAGE_SIZE,
  SiesaConnection,
} from "../edges/http/siesa/connection.js";
import { referencesParametros, textLiteral } from "../edges/http/siesa/parametros.js";
import { rangeParametros } from "../edges/http/siesa/ranges.js";
import { integerOf } from "../edges/http/siesa/rows.js";
import { Checklist, Failed, missingColumns, probeExternalId, Skipped } from "./probe-checklist.js";
import { locationLines, locationNotice, probeLocations } from "./probe-locations.js";
import { probeStreams, streamLines } from "./probe-stock.js";

export type { ProbeCheck, ProbeReport, ProbeRequest, ProbeStatus } from "../core/ports/probe.js";
export { probeExternalId };

/**
 * The contract probe (`npm run probe`, `POST /tenants/:id/probe`): every assumption the sync makes
 * about a tenant's Siesa and product, checked against the real endpoints, one line each. Read-only
 * by default: only GETs and the product's login. With `write`, it adds the checks that need one
 * write, all on one probe record (probeExternalId), left inactive. A check that depends on one that
 * failed is `skipped`, naming why. A tenant whose file declares streams gets their lines too: the
 * warehouse and stock queries (probe-stock.ts) and the product's locations (probe-locations.ts).
 */

export interface ProbeOptions {
  policy: CallPolicy;
  log: Log;
  /** `--write`: adds the checks that need one write to the product, on the probe record (and probe location) only. */
  write?: boolean;
  /** Told once, right before the first write, what the probe writes and where (the CLI prints it). */
  beforeWrite?: (notice: string) => void;
}

/** A page past any catalogue: its answer must be one of Siesa's end-of-data forms. */
const BEYOND_PAGE = 1_000_000;
/** References asked at once for the barcode checks (a few, well inside Siesa's URL length). */
const SAMPLE_REFERENCES = 10;

/** Exposes one page of any size, as the client asks for them. */
class ProbeConnection extends SiesaConnection {
  /** The rate-limit headers of the latest answer that had them: what remains after the probe. */
  rateLimit: SiesaPage["rateLimit"];

  async page(descripcion: string, page: number, size: number, parametros?: string): Promise<SiesaPage> {
    const answer = await this.request(descripcion, page, size, parametros);
    if (answer.rateLimit) this.rateLimit = answer.rateLimit;
    return answer;
  }
}

/** The Siesa columns a tenant's mapping reads, per query, with the ones the client itself reads. */
export function columnsUsed(tenant: Tenant): { items: string[]; barcodes: string[] } {
  const items = new Set<string>(["f120_id", "f120_id_cia", "f120_referencia"]);
  const barcodes = new Set<string>(["f120_referencia"]);
  const mapping = MAPPINGS[tenant.mapping];
  for (const rule of Object.values(mapping?.canonical ?? {})) {
    const from = rule.from;
    if (!from) continue;
    if ((SIESA_ITEM_FIELDS as readonly string[]).includes(from)) items.add(from);
    else if (from.startsWith("barcodes.")) {
      const column = from.slice("barcodes.".length);
      if ((SIESA_BARCODE_FIELDS as readonly string[]).includes(column)) barcodes.add(column);
      else {
        // Derived paths read the barcode and its unit (and, for the inventory unit's, the item's).
        barcodes.add("f131_id");
        barcodes.add("f131_id_unidad_medida");
        if (column === "ofInventoryUnit") items.add("f120_id_unidad_inventario");
      }
    }
  }
  return { items: [...items].sort(), barcodes: [...barcodes].sort() };
}

const idsOf = (rows: readonly SiesaRow[]) =>
  rows.map((row) => integerOf(row.f120_id)).filter((id) => id !== undefined);

async function probeSiesa(
  tenant: Tenant,
  credentials: TenantCredentials,
  options: ProbeOptions,
  list: Checklist,
): Promise<void> {
  const { erpCompany } = tenant.siesa;
  const siesa = new ProbeConnection({
    baseUrl: tenant.siesa.baseUrl,
    companyId: tenant.siesa.companyId,
    erpCompany,
    credentials: credentials.siesa,
    policy: options.policy,
    tenantId: tenant.id,
    log: options.log,
  });
  const company = `f120_id_cia = ${erpCompany}`;
  let first: SiesaPage | undefined;
  const reached = await list.run("siesa credentials", async () => {
    first = await siesa.page(ITEMS_QUERY, 1, MAX_PAGE_SIZE, company);
    return `accepted by ${new URL(tenant.siesa.baseUrl).host} (idCompania ${tenant.siesa.companyId})`;
  });
  const itemLines = [
    "siesa erp company",
    "siesa item columns",
    "siesa page size",
    "siesa end of data",
    "siesa range filter",
    "siesa doubled quotes",
    "siesa reference list",
    "siesa barcode columns",
  ];
  const later = [...itemLines, ...streamLines(tenant), "siesa rate limit"];
  if (!reached || !first) {
    for (const name of later) list.skip(name, "skipped: Siesa was not reached with these credentials");
    return;
  }
  const rows = first.rows.filter((row) => integerOf(row.f120_id_cia) === erpCompany);
  const hasItems = await list.run("siesa erp company", async () => {
    if (first?.rows.length === 0) throw new Failed(`no item of f120_id_cia ${erpCompany} in ${ITEMS_QUERY}`);
    const other = first?.rows.find((row) => integerOf(row.f120_id_cia) !== erpCompany);
    if (other)
      throw new Failed(
        `asked for f120_id_cia ${erpCompany}, got a row of f120_id_cia ${String(other.f120_id_cia)}: the filter is not applied`,
      );
    return `f120_id_cia ${erpCompany} has items (${rows.length}${first?.endOfData ? "" : "+"} on the first page)`;
  });
  const { items: itemColumns, barcodes: barcodeColumns } = columnsUsed(tenant);
  const needItems = "skipped: no item of the ERP company to read";
  if (!hasItems) {
    for (const name of itemLines.slice(1)) list.skip(name, needItems);
  } else {
    await list.run("siesa item columns", async () => {
      const missing = missingColumns(rows, itemColumns);
      if (missing.length > 0)
        throw new Failed(
          `${ITEMS_QUERY} lacks ${missing.join(", ")} (the mapping reads ${itemColumns.join(", ")})`,
        );
      return `${ITEMS_QUERY} has ${itemColumns.join(", ")}`;
    });
    await list.run("siesa page size", async () => {
      if (first && first.rows.length > MAX_PAGE_SIZE)
        throw new Failed(`asked for ${MAX_PAGE_SIZE} rows, got ${first.rows.length}`);
      if (idsOf(rows).length !== rows.length)
        throw new Failed(`a page of ${MAX_PAGE_SIZE} holds rows without an f120_id (the large-page quirk)`);
      // The client takes a short page for the last one: a Siesa that answers fewer rows than asked
      // while more follow would end every read early.
      const answered = first?.rows.length ?? 0;
      if (answered < MAX_PAGE_SIZE) {
        const second = await siesa.page(ITEMS_QUERY, 2, MAX_PAGE_SIZE, company);
        if (second.rows.length > 0)
          throw new Failed(
            `tamPag ${MAX_PAGE_SIZE} answered ${answered} rows and page 2 ${second.rows.length} more: Siesa pages are smaller than asked, and the client takes a short page for the last`,
          );
      }
      return `tamPag ${MAX_PAGE_SIZE} answered with ${answered} rows, each with an f120_id`;
    });
    const sample = rows.find(
      (row) => integerOf(row.f120_id) !== undefined && String(row.f120_referencia ?? "") !== "",
    );
    const id = integerOf(sample?.f120_id) as number;
    const reference = String(sample?.f120_referencia ?? "");
    // The sample's reference first: its barcodes are compared between IN and =.
    const references = [
      ...new Set(
        [reference, ...rows.map((row) => String(row.f120_referencia ?? ""))].filter((r) => r !== ""),
      ),
    ].slice(0, SAMPLE_REFERENCES);
    let barcodes: SiesaRow[] = [];
    // These ask Siesa independently: at the same time, so the API's probe answers sooner.
    const [, , , listed] = await Promise.all([
      list.run("siesa end of data", async () => {
        const beyond = await siesa.page(ITEMS_QUERY, BEYOND_PAGE, MAX_PAGE_SIZE, company);
        if (beyond.rows.length > 0 || !beyond.endOfData)
          throw new Failed(`page ${BEYOND_PAGE} came back with ${beyond.rows.length} rows`);
        return `page ${BEYOND_PAGE} answered as no more rows`;
      }),
      list.run("siesa range filter", async () => {
        if (!sample) throw new Failed("no item with an f120_id and a reference to ask for");
        const range = { from: id, to: id + 1 };
        const answer = await siesa.page(ITEMS_QUERY, 1, MAX_PAGE_SIZE, rangeParametros(range, erpCompany));
        const ids = idsOf(answer.rows);
        if (!ids.includes(id))
          throw new Failed(`f120_id >= ${id} AND f120_id < ${id + 1} did not return f120_id ${id}`);
        const stray = ids.find((other) => other !== id);
        if (stray !== undefined)
          throw new Failed(`f120_id >= ${id} AND f120_id < ${id + 1} returned f120_id ${stray}`);
        return `f120_id >= ${id} AND f120_id < ${id + 1} returned f120_id ${id} alone`;
      }),
      list.run("siesa doubled quotes", async () => {
        if (!sample) throw new Failed("no item with a reference to ask for");
        const filter = `${company} AND f120_referencia = ${textLiteral(reference)}`;
        const answer = await siesa.page(ITEMS_QUERY, 1, MAX_PAGE_SIZE, filter);
        if (!idsOf(answer.rows).includes(id))
          throw new Failed(`f120_referencia = ${textLiteral(reference)} did not return f120_id ${id}`);
        return `f120_referencia = ${textLiteral(reference)} returned f120_id ${id}`;
      }),
      list.run("siesa reference list", async () => {
        if (references.length === 0) throw new Failed("no item reference to ask for");
        // Where Siesa refuses IN the sync asks by OR chains of = (client.ts): the probe checks those.
        let form = "IN (…)";
        let refusedIn = "";
        try {
          barcodes = (await siesa.page(BARCODES_QUERY, 1, MAX_PAGE_SIZE, referencesParametros(references)))
            .rows;
        } catch (error) {
          if (!(error instanceof SiesaOperatorRefusedError && error.operator === "IN")) throw error;
          form = "= … OR = …";
          refusedIn = `IN refused (${error.apiMessage}); `;
          const chain = referencesParametros(references, "or");
          barcodes = (await siesa.page(BARCODES_QUERY, 1, MAX_PAGE_SIZE, chain)).rows;
        }
        const stray = barcodes.find((row) => !references.includes(String(row.f120_referencia ?? "")));
        if (stray)
          throw new Failed(
            `${refusedIn}f120_referencia ${form} returned reference ${String(stray.f120_referencia)}, not asked for`,
          );
        // The same reference asked alone must answer the same barcodes as inside the list.
        const alone = await siesa.page(
          BARCODES_QUERY,
          1,
          MAX_PAGE_SIZE,
          `f120_referencia = ${textLiteral(reference)}`,
        );
        const barcodesOf = (list: readonly SiesaRow[]) =>
          [
            ...new Set(
              list.filter((row) => row.f120_referencia === reference).map((row) => String(row.f131_id)),
            ),
          ]
            .sort()
            .join(",");
        if (barcodesOf(alone.rows) !== barcodesOf(barcodes))
          throw new Failed(
            `${refusedIn}reference ${reference}: ${form} answered barcodes [${barcodesOf(barcodes)}], = answered [${barcodesOf(alone.rows)}]`,
          );
        if (refusedIn)
          return `${refusedIn}the sync asks by OR chains of =, which answered ${barcodes.length} barcode rows for ${references.length} references, consistent with = alone`;
        return `f120_referencia IN (${references.length} references) answered ${barcodes.length} barcode rows, consistent with =`;
      }),
    ]);
    if (!listed) list.skip("siesa barcode columns", "skipped: the barcode query was not answered");
    else
      await list.run("siesa barcode columns", async () => {
        if (barcodes.length === 0)
          throw new Skipped(
            `skipped: no barcode rows for ${references.length} references to read columns from`,
          );
        const missing = missingColumns(barcodes, barcodeColumns);
        if (missing.length > 0)
          throw new Failed(
            `${BARCODES_QUERY} lacks ${missing.join(", ")} (the mapping reads ${barcodeColumns.join(", ")})`,
          );
        return `${BARCODES_QUERY} has ${barcodeColumns.join(", ")}`;
      });
  }
  // The streams' queries need no item of the company: they run whether or not the items did.
  await probeStreams(tenant, siesa, list);
  await list.run("siesa rate limit", async () => {
    // Informative: the sync paces its calls by them where they come (siesa/pace.ts), and else waits on a 429.
    // No request of its own: Siesa's example limit is 10 a minute, and the probe asks few.
    const limit = siesa.rateLimit;
    if (!limit) return "no Connekta-Rate-Limit-* headers in the answers";
    return `after the probe: limit ${limit.limit ?? "?"}, remaining ${limit.remaining ?? "?"}, reset ${limit.reset ?? "?"}`;
  });
}

type Product = KongClient | WmsClient;

const needsWrite = (tenant: Tenant) =>
  `skipped: needs --write (writes one record, external_id ${probeExternalId(tenant)}, left inactive)`;

/** The checks a `--write` probe adds, per product, in their order. */
function writeChecks(type: Tenant["product"]["type"]): string[] {
  return type === "wms"
    ? [
        "product probe record",
        "product duplicate found by lookup",
        "wms variant_id is the PATCH id",
        "product probe record left inactive",
      ]
    : ["product probe record", "product duplicate refused", "product probe record left inactive"];
}

async function probeProduct(
  tenant: Tenant,
  credentials: TenantCredentials,
  options: ProbeOptions,
  list: Checklist,
): Promise<void> {
  const clientOptions = {
    baseUrl: tenant.product.baseUrl,
    endpoints: tenant.product.endpoints,
    credentials: credentials.product,
    policy: options.policy,
    tenantId: tenant.id,
    log: options.log,
  };
  const type = tenant.product.type;
  const product: Product = type === "wms" ? new WmsClient(clientOptions) : new KongClient(clientOptions);
  const reads = ["product list", "product lookup by external id"];
  if (type === "kong-rfid") reads.push("product search semantics");
  const writes = writeChecks(type);
  const loggedIn = await list.run("product login", async () => {
    await product.login();
    return `${type} at ${new URL(tenant.product.baseUrl).host} accepted the login`;
  });
  if (!loggedIn) {
    for (const name of [...reads, ...writes, ...locationLines(tenant)])
      list.skip(name, "skipped: the product login failed");
    return;
  }
  const customerId = tenant.product.defaults.customer_id;
  const scope: ListScope = customerId === undefined ? {} : { customerId: String(customerId) };
  await probeReads(product, scope, list);
  if (options.write) await probeWrites(product, tenant, scope, list);
  else for (const name of writes) list.skip(name, needsWrite(tenant));
  await probeLocations(tenant, clientOptions, options.write ?? false, list);
}

/** The product's list, lookup and (Kong) search, on a record it already lists: read-only. */
async function probeReads(product: Product, scope: ListScope, list: Checklist): Promise<void> {
  let firstPage: ListedRecord[] = [];
  const listedOk = await list.run("product list", async () => {
    const pages = product.list(scope);
    try {
      const page = await pages.next();
      firstPage = page.done ? [] : page.value;
    } finally {
      await pages.return(undefined);
    }
    // Kong lists every customer's SKUs without its customer_id filter: verify and the lookup rely on it.
    const stray = firstPage.find(
      (record) =>
        scope.customerId !== undefined &&
        record.fields.customer_id != null &&
        String(record.fields.customer_id) !== scope.customerId,
    );
    if (stray)
      throw new Failed(
        `asked for customer_id ${scope.customerId}, listed external_id ${stray.externalId} of customer_id ${String(stray.fields.customer_id)}: the customer filter is not applied`,
      );
    const scoped = scope.customerId === undefined ? "" : ` of customer_id ${scope.customerId}`;
    return `the first page lists ${firstPage.length} records${scoped}, each with an id and an external id`;
  });
  const sample = firstPage.find((record) => record.externalId !== "");
  const later = ["product lookup by external id"];
  if (product instanceof KongClient) later.push("product search semantics");
  if (!sample) {
    const why = !listedOk
      ? "skipped: the list was not read"
      : "skipped: the product lists no record of this tenant yet";
    for (const name of later) list.skip(name, why);
    return;
  }
  await list.run("product lookup by external id", async () => {
    const found = await product.findId(sample.externalId, scope);
    if (found.refused)
      throw new Failed(`looking up external_id ${sample.externalId} was refused: ${found.refused}`);
    if (found.id !== sample.id)
      throw new Failed(
        `external_id ${sample.externalId} is listed as id ${sample.id}, the lookup found ${found.id ?? "nothing"}`,
      );
    const how = product instanceof WmsClient ? "external_id__eq" : "search, exact external_id kept";
    return `external_id ${sample.externalId} found as id ${sample.id} (${how}), as listed`;
  });
  if (product instanceof KongClient)
    await list.run("product search semantics", async () => {
      // The lookup searches for the external id and keeps the exact match, on whichever page: it
      // needs the search to list it at all; whether it also lists others (substrings) is for information.
      const whole = await product.searchPage(sample.externalId, scope);
      const part = sample.externalId.slice(0, -1);
      const listsPart =
        part !== "" && (await product.searchPage(part, scope)).some((r) => r.id === sample.id);
      const kind = listsPart ? "substrings too" : "not by a part of it";
      const first = whole.some((r) => r.id === sample.id) ? "on its first page" : "not on its first page";
      return `search "${sample.externalId}" lists ${whole.length} record${whole.length === 1 ? "" : "s"}, external_id ${sample.externalId} ${first}; matches ${kind}`;
    });
}

/**
 * The probe record as the sync would write it: the tenant's mapping applied to a made-up item whose
 * reference is the probe's external id, that external id in place of an f120_id, set inactive as a
 * deactivation sets a record. The body is the sync's own, so the tenant's defaults are tried too.
 */
function probeRecord(tenant: Tenant): { record: ProductRecord; inactive: Record<string, unknown> } {
  const definition = MAPPINGS[tenant.mapping];
  if (!definition)
    throw new Failed(`tenant ${tenant.id} names mapping "${tenant.mapping}", which mappings/ lacks`);
  const mapping = compileMapping(definition);
  const inactive = mapping.inactive;
  if (!inactive) throw new Failed(`mapping "${mapping.name}" has no field that sets a record inactive`);
  const externalId = probeExternalId(tenant);
  const item: SiesaRow = {
    f120_id: 0,
    f120_id_cia: tenant.siesa.erpCompany,
    f120_referencia: externalId,
    f120_descripcion: "siesa-integration contract probe: not a Siesa item, left inactive",
    f120_id_unidad_inventario: "UND",
  };
  const mapped = mapping.map({ key: externalId, item, barcodes: [] }, tenant);
  if (!mapped.ok) throw new Failed(`the tenant's mapping refuses the probe record: ${mapped.reason}`);
  const payload = { ...mapped.record.payload, external_id: externalId, ...inactive };
  return { record: { key: externalId, externalId, payload }, inactive };
}

/** Every record the product lists with this external id, with its fields (status, is_active). */
async function listedProbeRecords(
  product: Product,
  scope: ListScope,
  externalId: string,
): Promise<ListedRecord[]> {
  // Kong: the search's first page holds every SKU whose fields contain the probe's external id.
  const rows =
    product instanceof WmsClient
      ? await product.listedWith(externalId)
      : await product.searchPage(externalId, scope);
  return rows.filter((row) => row.externalId === externalId);
}

/** The id a WMS list row names its record by, as the write's lookup reads it, and that field's name. */
function listedIdOf(row: ListedRecord): { field: string; id: string } {
  const field = row.fields.variant_id != null ? "variant_id" : "id";
  return { field, id: String(row.fields[field]) };
}

/**
 * The checks that need one write, all on the probe record: found (from an earlier probe) or created
 * inactive; a second create refused as a duplicate (Kong) or, since the WMS accepts duplicates, the
 * lookup finding the one record (nothing created); the WMS's listed id taken by PATCH; left inactive.
 */
async function probeWrites(
  product: Product,
  tenant: Tenant,
  scope: ListScope,
  list: Checklist,
): Promise<void> {
  const externalId = probeExternalId(tenant);
  let probe: ReturnType<typeof probeRecord> | undefined;
  let probeId: string | undefined;
  const made = await list.run("product probe record", async (writing) => {
    probe = probeRecord(tenant);
    const found = await product.findId(externalId, scope);
    if (found.refused) throw new Failed(`looking up external_id ${externalId} was refused: ${found.refused}`);
    if (found.id !== undefined) {
      probeId = found.id;
      return `external_id ${externalId} found as id ${probeId}, left by an earlier probe: reused, not created again`;
    }
    writing();
    const result = await product.write(probe.record);
    if (result.outcome === "rejected")
      throw new Failed(`creating external_id ${externalId} was refused: ${result.reason}`);
    probeId = result.productId;
    if (result.outcome === "updated")
      throw new Failed(
        `the lookup did not find external_id ${externalId}, but the write's own lookup did (id ${probeId}) and updated it`,
      );
    return `created inactive as id ${probeId} (external_id ${externalId})`;
  });
  const [, ...rest] = writeChecks(tenant.product.type);
  if (!made || !probe || probeId === undefined) {
    for (const name of rest) list.skip(name, "skipped: there is no probe record to check");
    return;
  }
  const { record, inactive } = probe;
  const id = probeId;

  if (product instanceof KongClient)
    await list.run("product duplicate refused", async (writing) => {
      // A Kong that took an earlier probe's second create holds duplicates already: another create
      // would add one more.
      const listed = await listedProbeRecords(product, scope, externalId);
      if (listed.length > 1)
        throw new Failed(
          `external_id ${externalId} is listed ${listed.length} times (${listed.map((row) => row.id).join(", ")}): Kong holds duplicates of it, which the sync relies on it refusing; delete all but one`,
        );
      // A create of an external id Kong holds, as a sync whose ledger lost the id sends it.
      writing();
      const result = await product.write(record);
      if (result.outcome === "created")
        throw new Failed(
          `Kong accepted a second SKU with external_id ${externalId} (id ${result.productId}, inactive): duplicates are not refused, which the sync relies on; delete SKU ${result.productId}`,
        );
      if (result.outcome === "rejected")
        throw new Failed(`a second create of external_id ${externalId} ended rejected: ${result.reason}`);
      if (result.productId !== id)
        throw new Failed(
          `a second create of external_id ${externalId} was refused, but the lookup then found SKU ${result.productId}, not the probe record's ${id}`,
        );
      return `a second create of external_id ${externalId} was refused as a duplicate; the write found SKU ${id} and updated it, as a sync whose ledger lost the id does`;
    });

  if (product instanceof WmsClient) {
    let listed: { field: string; id: string } | undefined;
    await list.run("product duplicate found by lookup", async () => {
      // The WMS accepts a second product with one external id: a write looks it up first, so the
      // lookup must find the one record. Nothing is created here.
      const found = await product.findId(externalId, scope);
      if (found.refused)
        throw new Failed(`looking up external_id ${externalId} was refused: ${found.refused}`);
      const rows = await listedProbeRecords(product, scope, externalId);
      if (found.id === undefined || rows.length === 0)
        throw new Failed(
          `external_id__eq=${externalId} finds nothing, though the probe record is id ${id}: a write would create a second product`,
        );
      if (rows.length > 1)
        throw new Failed(
          `external_id ${externalId} is listed ${rows.length} times (${rows.map((row) => listedIdOf(row).id).join(", ")}): the WMS holds duplicates of it; delete all but one`,
        );
      listed = listedIdOf(rows[0] as ListedRecord);
      if (listed.id !== found.id)
        throw new Failed(
          `the list names external_id ${externalId} ${listed.field} ${listed.id}, the lookup ${found.id}`,
        );
      const created = listed.id === id ? "" : ` (the create answered id ${id})`;
      return `external_id__eq=${externalId} finds the one product, ${listed.field} ${listed.id}${created}: a write updates it, none was created`;
    });
    await list.run("wms variant_id is the PATCH id", async (writing) => {
      if (!listed) throw new Skipped("skipped: the lookup did not find the probe record");
      const { field, id: listedId } = listed;
      // A deactivation's PATCH, by the id the list names: what a sync sends after its lookup.
      writing();
      const result = await product.patch(listedId, {
        key: externalId,
        externalId,
        payload: inactive,
      });
      if (result.outcome === "gone")
        throw new Failed(
          `PATCH by ${field} ${listedId} answered 404: ${field} is not what PATCH takes (a write the ledger holds no id for would find its product and fail, every time)`,
        );
      if (result.outcome === "rejected")
        throw new Failed(`PATCH by ${field} ${listedId} was refused: ${result.reason}`);
      const again = (await listedProbeRecords(product, scope, externalId)).find(
        (row) => listedIdOf(row).id === listedId,
      );
      if (!again)
        throw new Failed(`PATCH by ${field} ${listedId} answered 200, but the list no longer shows it`);
      if (again.fields.status !== inactive.status)
        throw new Failed(
          `PATCH by ${field} ${listedId} answered 200, but the list shows status ${String(again.fields.status)}, not ${String(inactive.status)}`,
        );
      return `PATCH by ${field} ${listedId} (status ${String(inactive.status)}, with external_id) answered 200; the list then shows it ${String(inactive.status)}`;
    });
  }

  await list.run("product probe record left inactive", async () => {
    const rows = await listedProbeRecords(product, scope, externalId);
    if (rows.length === 0) throw new Failed(`the product lists no record with external_id ${externalId}`);
    const fields = Object.keys(inactive);
    const shown = (row: ListedRecord) => fields.map((f) => `${f} ${String(row.fields[f])}`).join(", ");
    const active = rows.find((row) => fields.some((f) => row.fields[f] !== inactive[f]));
    if (active)
      throw new Failed(`external_id ${externalId} is listed as id ${active.id} with ${shown(active)}`);
    const ids = rows.map((row) => row.id).join(", ");
    return `external_id ${externalId} is listed as id ${ids}, ${shown(rows[0] as ListedRecord)}`;
  });
}

/** Probes one tenant's Siesa and product at once: every check, one line each. */
export async function probeTenant(
  tenant: Tenant,
  credentials: TenantCredentials,
  options: ProbeOptions,
): Promise<ProbeReport> {
  const secrets = [
    credentials.siesa.conniKey,
    credentials.siesa.conniToken,
    credentials.product.username,
    credentials.product.password,
  ];
  const siesa = new Checklist(secrets);
  const { type, baseUrl } = tenant.product;
  const product = new Checklist(secrets, () =>
    options.beforeWrite?.(
      `writing to ${type} at ${new URL(baseUrl).host}: one record, external_id ${probeExternalId(tenant)}, created inactive unless an earlier probe left it, and left inactive${locationNotice(tenant)}`,
    ),
  );
  await Promise.all([
    probeSiesa(tenant, credentials, options, siesa),
    probeProduct(tenant, credentials, options, product),
  ]);
  const checks = [...siesa.checks, ...product.checks];
  return { tenantId: tenant.id, ok: checks.every((check) => check.status !== "failed"), checks };
}

export interface TenantProbeDependencies extends ProbeOptions {
  tenants: TenantDirectory;
  credentials: CredentialSource;
}

/**
 * The probe as the API runs it (POST /tenants/:id/probe), with the tenant's secrets: undefined for
 * an unknown tenant; secrets that cannot be read are one failed check, and nothing else is tried.
 * A `write` probe logs what it writes and where before its first write.
 */
export function createTenantProbe(
  deps: TenantProbeDependencies,
): (tenantId: string, request?: ProbeRequest) => Promise<ProbeReport | undefined> {
  return async (tenantId, request = { write: false }) => {
    const tenant = await deps.tenants.get(tenantId);
    if (!tenant) return undefined;
    let credentials: TenantCredentials;
    try {
      credentials = await deps.credentials.forTenant(tenant);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return { tenantId, ok: false, checks: [{ name: "secrets", status: "failed", detail }] };
    }
    const report = await probeTenant(tenant, credentials, {
      ...deps,
      write: request.write,
      beforeWrite: (notice) => deps.log.info("tenant probe writes", { tenantId, notice }),
    });
    deps.log.info("tenant probed", {
      tenantId,
      failed: report.checks.filter((c) => c.status === "failed").map((c) => c.name),
    });
    return report;
  };
}
