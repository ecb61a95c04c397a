import { streamRefusal } from "../core/domain/stream.js";
import type { Tenant } from "../core/domain/tenant.js";
import type { ProductClientOptions } from "../core/ports/product.js";
import { isRecord, isSuccess } from "../edges/http/products/api-text.js";
import { DEFAULT_LOGIN_PATH } from "../edges/http/products/kong-client.js";
import { drfMessage, isDuplicateExternalId } from "../edges/http/products/kong-errors.js";
import { KONG_LOCATION_TYPES } from "../edges/http/products/kong-locations.js";
import { ProductApi } from "../edges/http/products/product-api.js";
import { joinUrl, withTrailingSlash } from "../edges/http/products/url.js";
import { type Checklist, Failed, probeExternalId, Skipped } from "./probe-checklist.js";

/**
 * The contract probe's lines for the locations a warehouses stream writes to Kong
 * (docs/integrations/stock-and-locations.md, "Kong: locations"): the list and its external_id
 * filter, the configured parent and type, and with `--write` one probe location, found or created
 * inactive, a duplicate refused, a PATCH, left inactive. The WMS publishes no locations API.
 * These few calls stay here, on the product's own session helper, rather than in a client.
 */

const DEFAULT_LOCATIONS_PATH = "/inventory/locations/";
/** Largest page asked for; DRF cuts it to the server's max_limit anyway. */
const LIST_LIMIT = "100";
/** Pages read at most for one external id: enough for every location of a Kong that ignores the filter. */
const MAX_LIST_PAGES = 50;

const READ_LINES = ["product location filter", "product location parent", "product location type"];
const WRITE_LINES = [
  "product probe location",
  "product location duplicate refused",
  "product location PATCH",
  "product probe location left inactive",
];
const WMS_LINE = "product locations";

/** The product lines the tenant's warehouses stream adds, in their order: none without it. */
export function locationLines(tenant: Tenant): string[] {
  if (!tenant.streams?.warehouses) return [];
  return tenant.product.type === "wms" ? [WMS_LINE] : [...READ_LINES, ...WRITE_LINES];
}

/** What `beforeWrite` adds for the probe location, when the probe will write one. */
export function locationNotice(tenant: Tenant): string {
  if (locationLines(tenant).length <= 1) return "";
  const parent = tenant.streams?.warehouses?.location.parent;
  return `; and one location, external_id ${probeExternalId(tenant)}, under ${parent ?? "no parent"}, likewise`;
}

type Location = Record<string, unknown>;

/** The location lines, once the product accepted the login. */
export async function probeLocations(
  tenant: Tenant,
  clientOptions: ProductClientOptions,
  write: boolean,
  list: Checklist,
): Promise<void> {
  const lines = locationLines(tenant);
  const settings = tenant.streams?.warehouses?.location;
  if (lines.length === 0 || !settings) return;
  if (tenant.product.type === "wms") {
    // Nothing here can confirm the assumed endpoint: the tenant file records who did (streamRefusal).
    const refusal = streamRefusal(tenant, "warehouses");
    list.skip(
      WMS_LINE,
      refusal
        ? `skipped: ${refusal}`
        : `skipped: the WMS publishes no locations API to check; its file records the endpoint confirmed (${tenant.streams?.warehouses?.locationsConfirmed})`,
    );
    return;
  }
  const { baseUrl, endpoints } = clientOptions;
  const api = new ProductApi(
    {
      product: "kong-rfid",
      loginUrl: withTrailingSlash(joinUrl(baseUrl, endpoints.login ?? DEFAULT_LOGIN_PATH)),
      tokenField: "auth_token",
      scheme: "Token",
      messageOf: drfMessage,
    },
    clientOptions,
  );
  const path = withTrailingSlash(endpoints.locations ?? DEFAULT_LOCATIONS_PATH);
  const url = withTrailingSlash(joinUrl(baseUrl, path));
  const probeId = probeExternalId(tenant);

  /** Every listed location of `?external_id=`: the exact matches, and any other (an ignored filter). */
  async function listed(externalId: string): Promise<{ exact: Location[]; others: Location[] }> {
    const exact: Location[] = [];
    const others: Location[] = [];
    let query: Record<string, string> = { external_id: externalId, limit: LIST_LIMIT };
    const seen = new Set<string>();
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      seen.add(new URLSearchParams(query).toString());
      const response = await api.call("list locations", url, { method: "GET", query });
      if (!isSuccess(response.status)) throw api.listRefused(response, "list locations");
      const data = response._data;
      if (!isRecord(data) || !Array.isArray(data.results))
        throw new Failed(
          `GET ${path}?external_id=${externalId} answered no DRF list ({"count","next","previous","results"})`,
        );
      for (const row of data.results.filter(isRecord))
        (String(row.external_id) === externalId ? exact : others).push(row);
      // Later pages from our own URL with `next`'s query, as the SKU list does: its host may be internal.
      const next =
        typeof data.next === "string" ? Object.fromEntries(new URL(data.next).searchParams) : undefined;
      if (!next || seen.has(new URLSearchParams(next).toString())) break;
      query = next;
    }
    return { exact, others };
  }

  await list.run("product location filter", async () => {
    const { exact, others } = await listed(probeId);
    const probe =
      exact.length > 0 ? `the probe location, id ${String(exact[0]?.id)}` : "no probe location yet";
    if (others.length > 0)
      return `warning: GET ${path}?external_id=${probeId} answered a DRF list with ${others.length} locations of other external ids (${String(others[0]?.external_id)}, …): Kong ignores the external_id filter, so a client must keep only exact matches and read every page (${probe})`;
    return `GET ${path}?external_id=${probeId} answered a DRF list of ${exact.length} (${probe}), none of another external id`;
  });
  const parentOk = await list.run("product location parent", async () => {
    const parent = settings.parent;
    if (parent === null)
      return "streams.warehouses.location.parent is null: the warehouses are top-level locations";
    const [found] = (await listed(parent)).exact;
    if (!found)
      throw new Failed(
        `no location has external_id ${parent} (streams.warehouses.location.parent): Kong refuses a location under a parent it lacks; create it first, or fix the tenant file`,
      );
    const customerId = tenant.product.defaults.customer_id;
    const customers = Array.isArray(found.customer_ids) ? found.customer_ids.map(Number) : [];
    const note =
      customerId !== undefined && !customers.includes(Number(customerId))
        ? `; warning: its customer_ids [${customers.join(", ")}] do not hold customer_id ${String(customerId)}`
        : "";
    const inactive = found.is_active === false ? ", inactive" : "";
    return `external_id ${parent} is location id ${String(found.id)}, type ${String(found.type_external_id)}${inactive}${note}`;
  });
  // Kong lists no types: only a write shows a type it lacks. Read-only, the loader's list is the guide.
  const typeLine = list.hold("product location type");
  const knownType = async () => {
    const name = KONG_LOCATION_TYPES[settings.type];
    if (name === undefined)
      throw new Failed(
        `type_external_id ${settings.type} (streams.warehouses.location.type) is none of the location types the Kong team's loader names (${Object.keys(KONG_LOCATION_TYPES).join(", ")}); a --write probe shows whether this Kong has it`,
      );
    return `type_external_id ${settings.type} (${name}) is one of the loader's types; Kong lists no types: a --write probe's create shows it has it`;
  };
  if (!write) {
    await typeLine(knownType);
    for (const name of WRITE_LINES)
      list.skip(name, `skipped: needs --write (writes one location, external_id ${probeId}, left inactive)`);
    return;
  }
  if (!parentOk) {
    await typeLine(knownType);
    for (const name of WRITE_LINES)
      list.skip(name, "skipped: the parent location is not there to write under");
    return;
  }

  const customerId = Number(tenant.product.defaults.customer_id);
  const body = {
    external_id: probeId,
    type_external_id: settings.type,
    customer_ids: [customerId],
    parent_external_id: settings.parent,
    name: "siesa-integration contract probe",
    display_name: "siesa-integration contract probe: not a Siesa warehouse, left inactive",
    is_active: false,
    zone_type: settings.zoneType ?? null,
  };
  /** Kong's words when a write of the configured type was refused for it; "" when one was taken. */
  let typeRefusal: string | undefined;
  const refusedFor = (data: unknown) =>
    isRecord(data) && "type_external_id" in data ? drfMessage(data) : undefined;
  let id: string | undefined;
  const made = await list.run("product probe location", async (writing) => {
    if (!Number.isSafeInteger(customerId))
      throw new Failed("product.defaults.customer_id is not a number: a location's customer_ids need it");
    const [found] = (await listed(probeId)).exact;
    if (found) {
      id = String(found.id);
      return `external_id ${probeId} found as id ${id}, left by an earlier probe: reused, not created again`;
    }
    writing();
    const response = await api.call("create location", url, { method: "POST", body });
    if (!isSuccess(response.status)) {
      typeRefusal = refusedFor(response._data);
      if (isDuplicateExternalId(response._data))
        throw new Failed(
          `Kong holds external_id ${probeId} already, but GET ${path}?external_id= did not list it: a sync could not find its locations`,
        );
      throw new Failed(`creating location ${probeId} was refused: ${api.refused(response).reason}`);
    }
    id = api.idOf(response, "create location");
    typeRefusal = "";
    return `created inactive as id ${id} (external_id ${probeId}, type ${settings.type}, under ${settings.parent ?? "no parent"})`;
  });
  if (!made || id === undefined) {
    await typeLine(async () => {
      if (typeRefusal) throw new Failed(`Kong refused type_external_id ${settings.type}: ${typeRefusal}`);
      return knownType();
    });
    for (const name of WRITE_LINES.slice(1)) list.skip(name, "skipped: there is no probe location to check");
    return;
  }
  const locationUrl = `${url}${encodeURIComponent(id)}/`;

  await list.run("product location duplicate refused", async (writing) => {
    // A Kong that took an earlier probe's second create holds duplicates: another would add one more.
    const { exact } = await listed(probeId);
    if (exact.length > 1)
      throw new Failed(
        `external_id ${probeId} is listed ${exact.length} times (${exact.map((l) => String(l.id)).join(", ")}): Kong holds duplicate locations, which the warehouses stream relies on it refusing; delete all but one`,
      );
    writing();
    const response = await api.call("create location", url, { method: "POST", body });
    if (isSuccess(response.status)) {
      const second = api.idOf(response, "create location");
      throw new Failed(
        `Kong accepted a second location with external_id ${probeId} (id ${second}, inactive): duplicates are not refused, which the warehouses stream relies on; delete location ${second}`,
      );
    }
    if (!isDuplicateExternalId(response._data))
      throw new Failed(
        `a second create of external_id ${probeId} was refused, but not as a duplicate: ${api.refused(response).reason}`,
      );
    return `a second create of external_id ${probeId} was refused as a duplicate (${drfMessage(response._data)})`;
  });
  await list.run("product location PATCH", async (writing) => {
    // The update a sync sends a location it knows: the configured type and parent, here inactive.
    const { external_id: _id, customer_ids: _customers, ...changes } = body;
    writing();
    const response = await api.call("update location", locationUrl, { method: "PATCH", body: changes });
    if (response.status === 404)
      throw new Failed(`PATCH ${path}${id}/ answered 404: the id the list names is not what PATCH takes`);
    if (!isSuccess(response.status)) {
      typeRefusal = refusedFor(response._data);
      throw new Failed(`PATCH ${path}${id}/ was refused: ${api.refused(response).reason}`);
    }
    typeRefusal = "";
    const answered = isRecord(response._data) ? response._data.is_active : undefined;
    if (answered !== false)
      throw new Failed(`PATCH ${path}${id}/ with is_active false answered is_active ${String(answered)}`);
    return `PATCH ${path}${id}/ (type ${settings.type}, parent ${settings.parent ?? "none"}, is_active false) answered 200`;
  });
  await typeLine(async () => {
    if (typeRefusal) throw new Failed(`Kong refused type_external_id ${settings.type}: ${typeRefusal}`);
    if (typeRefusal === "")
      return `Kong took type_external_id ${settings.type} in the probe location's write`;
    throw new Skipped("skipped: no write of the probe location was answered");
  });
  await list.run("product probe location left inactive", async () => {
    const { exact } = await listed(probeId);
    if (exact.length === 0) throw new Failed(`Kong lists no location with external_id ${probeId}`);
    const active = exact.find((location) => location.is_active !== false);
    if (active)
      throw new Failed(
        `external_id ${probeId} is listed as id ${String(active.id)} with is_active ${String(active.is_active)}`,
      );
    return `external_id ${probeId} is listed as id ${exact.map((l) => String(l.id)).join(", ")}, is_active false`;
  });
}
