import type { Context, Hono } from "hono";
import { KONG_LOCATION_TYPES } from "../runtime/edges/http/products/kong-locations.js";
import { cleanField, type FieldErrors, type FieldRule, pythonType, readJson } from "./drf.js";

/**
 * Kong RFID's locations as the Kong sandbox serves them (docs/integrations/stock-and-locations.md).
 * Confirmed by the Kong team's own loader: `POST /inventory/locations/` with `type_external_id`,
 * `customer_ids`, `parent_external_id`, `name`, `display_name`, `is_active`, `zone_type`, and a
 * list that takes `limit`; the type codes. Assumed, the least convenient plausible way: a location
 * has a required `external_id`, unique across all customers; the list pages by `limit`/`offset`
 * and filters by exact `external_id` and by `customer_id`; a location changes by PATCH only (PUT
 * and DELETE are not allowed); a parent must exist before its child; type and parent are named by
 * external id and refused with DRF's message when unknown.
 */

export interface KongLocation {
  id: number;
  external_id: string;
  type_external_id: string;
  customer_ids: number[];
  parent_external_id: string | null;
  name: string;
  display_name: string | null;
  is_active: boolean;
  zone_type: string | null;
}

export type NewKongLocation = Pick<
  KongLocation,
  "external_id" | "type_external_id" | "customer_ids" | "name"
> &
  Partial<Omit<KongLocation, "id">>;

interface StoredLocation extends Omit<KongLocation, "parent_external_id"> {
  /** The parent by id, so a parent whose external id changes keeps its children. */
  parentId: number | null;
}

/** The in-memory table behind the locations endpoints; tests read and edit it directly. */
export class KongLocationStore {
  readonly #byId = new Map<number, StoredLocation>();
  readonly #idByExternalId = new Map<string, number>();
  #nextId = 1;

  get size(): number {
    return this.#byId.size;
  }

  /** Every location in id order (creation order), as the API shows it. */
  list(): KongLocation[] {
    return [...this.#byId.values()].map((stored) => this.#shown(stored));
  }

  get(id: number): KongLocation | undefined {
    const stored = this.#byId.get(id);
    return stored && this.#shown(stored);
  }

  getByExternalId(externalId: string): KongLocation | undefined {
    const id = this.#idByExternalId.get(externalId);
    return id === undefined ? undefined : this.get(id);
  }

  /** Every location holding this external id (more than one only where duplicates were accepted). */
  allByExternalId(externalId: string): KongLocation[] {
    return this.list().filter((location) => location.external_id === externalId);
  }

  /**
   * Adds a location without going through the API (one that already exists in Kong). A second one
   * with an external id needs `allowDuplicate`; the external id then still names the first.
   */
  insert(location: NewKongLocation, options: { allowDuplicate?: boolean } = {}): KongLocation {
    if (this.#idByExternalId.has(location.external_id) && !options.allowDuplicate) {
      throw new Error(`Kong sandbox: location external_id "${location.external_id}" already exists`);
    }
    const { parent_external_id, ...rest } = location;
    const stored: StoredLocation = {
      display_name: null,
      is_active: true,
      zone_type: null,
      ...rest,
      id: this.#nextId++,
      parentId: this.#parentId(parent_external_id),
    };
    this.#byId.set(stored.id, stored);
    if (!this.#idByExternalId.has(stored.external_id))
      this.#idByExternalId.set(stored.external_id, stored.id);
    return this.#shown(stored);
  }

  /** Changes a stored location (someone editing it in Kong's console, or a PATCH). */
  edit(id: number, changes: Partial<Omit<KongLocation, "id">>): KongLocation {
    const current = this.#byId.get(id);
    if (!current) throw new Error(`Kong sandbox: no location with id ${id}`);
    const { parent_external_id, ...rest } = changes;
    const next: StoredLocation = {
      ...current,
      ...rest,
      id,
      parentId: parent_external_id === undefined ? current.parentId : this.#parentId(parent_external_id),
    };
    if (next.external_id !== current.external_id) {
      if (this.#idByExternalId.has(next.external_id)) {
        throw new Error(`Kong sandbox: location external_id "${next.external_id}" already exists`);
      }
      this.#idByExternalId.delete(current.external_id);
      this.#idByExternalId.set(next.external_id, id);
    }
    this.#byId.set(id, next);
    return this.#shown(next);
  }

  /** Someone deleting a location in Kong's console (the API has no DELETE); its children lose their parent. */
  remove(id: number): boolean {
    const stored = this.#byId.get(id);
    if (!stored) return false;
    for (const [childId, child] of this.#byId)
      if (child.parentId === id) this.#byId.set(childId, { ...child, parentId: null });
    this.#byId.delete(id);
    this.#idByExternalId.delete(stored.external_id);
    return true;
  }

  /** True when `ancestorId` is `id` or above it in the tree (a parent that would make a cycle). */
  isSelfOrBelow(id: number, ancestorId: number): boolean {
    for (let at: number | null = id; at !== null; at = this.#byId.get(at)?.parentId ?? null) {
      if (at === ancestorId) return true;
    }
    return false;
  }

  #parentId(externalId: string | null | undefined): number | null {
    if (externalId === null || externalId === undefined) return null;
    const id = this.#idByExternalId.get(externalId);
    if (id === undefined) throw new Error(`Kong sandbox: no location with external_id "${externalId}"`);
    return id;
  }

  #shown({ parentId, ...location }: StoredLocation): KongLocation {
    const parent = parentId === null ? undefined : this.#byId.get(parentId);
    return { ...location, parent_external_id: parent?.external_id ?? null };
  }
}

export interface KongLocationStats {
  creates: number;
  patches: number;
  gets: number;
  lists: number;
}

export interface KongLocations {
  store: KongLocationStore;
  stats: KongLocationStats;
  /** While on, the list ignores `external_id` (a Kong whose list has no such filter: DRF drops unknown parameters). */
  ignoreExternalIdFilter(on: boolean): void;
  /**
   * While on, a create with an external id Kong holds makes a second location (that Kong refuses
   * one is assumed, not confirmed: the worst case).
   */
  acceptDuplicates(on: boolean): void;
}

export interface KongLocationOptions {
  /** DRF's PAGE_SIZE: the `limit` when the client sends none. */
  pageSize?: number;
  /** DRF's max_limit: a larger `limit` is cut to it. */
  maxLimit?: number;
}

const FIELDS: Record<string, FieldRule> = {
  external_id: { kind: "string", required: true, maxLength: 255 },
  type_external_id: { kind: "string", required: true, maxLength: 255 },
  parent_external_id: { kind: "string", nullable: true, maxLength: 255 },
  name: { kind: "string", required: true, maxLength: 255 },
  display_name: { kind: "string", nullable: true, allowBlank: true, maxLength: 255 },
  is_active: { kind: "boolean" },
  zone_type: { kind: "string", nullable: true, allowBlank: true, maxLength: 255 },
};

const DUPLICATE_MESSAGE = "location with this external id already exists.";
/** DRF's SlugRelatedField message: it names the value it could not find. */
const missing = (value: string) => `Object with external_id=${value} does not exist.`;

/** customer_ids as DRF's PrimaryKeyRelatedField(many=True) takes it: a non-empty list of ids. */
function cleanCustomerIds(value: unknown): { value: number[] } | { error: string } {
  if (!Array.isArray(value)) {
    return { error: `Expected a list of items but got type "${pythonType(value)}".` };
  }
  if (value.length === 0) return { error: "This list may not be empty." };
  for (const id of value) {
    if (typeof id !== "number" || !Number.isInteger(id)) {
      return { error: `Incorrect type. Expected pk value, received ${pythonType(id)}.` };
    }
  }
  return { value: value as number[] };
}

type Cleaner = (value: unknown) => { value: unknown } | { error: string };

/** Each field, how it is cleaned, and whether a create must have it. */
const RULES: [string, Cleaner, boolean][] = [
  ...Object.entries(FIELDS).map(([field, rule]): [string, Cleaner, boolean] => [
    field,
    (value) => cleanField(rule, value),
    rule.required === true,
  ]),
  ["customer_ids", cleanCustomerIds, true],
];

/** Validates a location body; `partial` is PATCH. Unknown keys are ignored, as DRF does. */
function validate(
  body: unknown,
  partial: boolean,
): { ok: true; data: Partial<KongLocation> } | { ok: false; errors: FieldErrors } {
  if (pythonType(body) !== "dict") {
    return {
      ok: false,
      errors: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonType(body)}.`] },
    };
  }
  const input = body as Record<string, unknown>;
  const data: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const [field, clean, required] of RULES) {
    if (!(field in input) || input[field] === undefined) {
      if (required && !partial) errors[field] = ["This field is required."];
      continue;
    }
    const cleaned = clean(input[field]);
    if ("error" in cleaned) errors[field] = [cleaned.error];
    else data[field] = cleaned.value;
  }
  if (typeof data.type_external_id === "string" && !(data.type_external_id in KONG_LOCATION_TYPES)) {
    errors.type_external_id = [missing(data.type_external_id)];
  }
  return Object.keys(errors).length > 0
    ? { ok: false, errors }
    : { ok: true, data: data as Partial<KongLocation> };
}

/** Adds the locations endpoints to the Kong sandbox's app, behind its login and faults. */
export function serveLocations(app: Hono, options: KongLocationOptions = {}): KongLocations {
  const pageSize = options.pageSize ?? 20;
  const maxLimit = options.maxLimit ?? 100;
  const store = new KongLocationStore();
  const stats: KongLocationStats = { creates: 0, patches: 0, gets: 0, lists: 0 };
  let ignoringExternalId = false;
  let acceptingDuplicates = false;

  /** The error a valid body still gets from the table: unknown parent, duplicate, cycle. */
  const refusal = (data: Partial<KongLocation>, self?: KongLocation): FieldErrors | undefined => {
    const other = data.external_id === undefined ? undefined : store.getByExternalId(data.external_id);
    if (other && other.id !== self?.id && !(acceptingDuplicates && !self))
      return { external_id: [DUPLICATE_MESSAGE] };
    const parentRef = data.parent_external_id;
    if (parentRef === undefined || parentRef === null) return undefined;
    const parent = store.getByExternalId(parentRef);
    if (!parent) return { parent_external_id: [missing(parentRef)] };
    if (self && store.isSelfOrBelow(parent.id, self.id)) {
      return { parent_external_id: ["A location cannot be placed under itself or one of its children."] };
    }
    return undefined;
  };

  app.post("/inventory/locations/", async (c) => {
    const body = await readJson(c);
    if (!body.ok) return c.json({ detail: body.detail }, 400);
    const valid = validate(body.value, false);
    if (!valid.ok) return c.json(valid.errors, 400);
    const refused = refusal(valid.data);
    if (refused) return c.json(refused, 400);
    stats.creates++;
    return c.json(store.insert(valid.data as NewKongLocation, { allowDuplicate: acceptingDuplicates }), 201);
  });

  app.get("/inventory/locations/", (c) => {
    const customer = c.req.query("customer_id");
    if (customer !== undefined && customer !== "" && !/^-?\d+$/.test(customer)) {
      return c.json({ customer_id: ["Enter a whole number."] }, 400);
    }
    const externalId = ignoringExternalId ? undefined : c.req.query("external_id");
    const matching = store.list().filter((location) => {
      if (customer && !location.customer_ids.includes(Number(customer))) return false;
      return !externalId || location.external_id === externalId;
    });
    // LimitOffsetPagination: a limit that is not a positive whole number falls back to the default.
    const asked = Number(c.req.query("limit"));
    const limit = Number.isInteger(asked) && asked > 0 ? Math.min(asked, maxLimit) : pageSize;
    const askedOffset = Number(c.req.query("offset"));
    const offset = Number.isInteger(askedOffset) && askedOffset > 0 ? askedOffset : 0;
    stats.lists++;
    return c.json(
      {
        count: matching.length,
        next: offset + limit < matching.length ? offsetLink(c.req.url, limit, offset + limit) : null,
        previous: offset > 0 ? offsetLink(c.req.url, limit, Math.max(0, offset - limit)) : null,
        results: matching.slice(offset, offset + limit),
      },
      200,
    );
  });

  const byId = (c: Context) => {
    const raw = c.req.param("id") ?? "";
    return /^\d+$/.test(raw) ? store.get(Number(raw)) : undefined;
  };

  app.get("/inventory/locations/:id/", (c) => {
    const location = byId(c);
    if (!location) return c.json({ detail: "Not found." }, 404);
    stats.gets++;
    return c.json(location, 200);
  });

  app.patch("/inventory/locations/:id/", async (c) => {
    const location = byId(c);
    if (!location) return c.json({ detail: "Not found." }, 404);
    const body = await readJson(c);
    if (!body.ok) return c.json({ detail: body.detail }, 400);
    const valid = validate(body.value, true);
    if (!valid.ok) return c.json(valid.errors, 400);
    const refused = refusal(valid.data, location);
    if (refused) return c.json(refused, 400);
    stats.patches++;
    return c.json(store.edit(location.id, valid.data), 200);
  });

  for (const method of ["PUT", "DELETE"] as const) {
    app.on(method, "/inventory/locations/:id/", (c) => {
      c.header("Allow", "GET, PATCH, HEAD, OPTIONS");
      return c.json({ detail: `Method "${method}" not allowed.` }, 405);
    });
  }

  return {
    store,
    stats,
    ignoreExternalIdFilter: (on) => {
      ignoringExternalId = on;
    },
    acceptDuplicates: (on) => {
      acceptingDuplicates = on;
    },
  };
}

/** DRF's absolute next/previous links for limit/offset paging (offset dropped when 0). */
function offsetLink(requestUrl: string, limit: number, offset: number): string {
  const url = new URL(requestUrl);
  url.searchParams.set("limit", String(limit));
  if (offset === 0) url.searchParams.delete("offset");
  else url.searchParams.set("offset", String(offset));
  return url.toString();
}
