import { randomBytes } from "node:crypto";
import type { Hono, MiddlewareHandler } from "hono";
import {
  type FieldError,
  type FieldRule,
  listedStatuses,
  oneOf,
  readObject,
  text,
  validateFields,
} from "./wms-fields.js";

/**
 * The WMS's locations as the WMS sandbox serves them. The WMS team's collection documents no
 * locations API: all of this is assumed (docs/integrations/stock-and-locations.md, "WMS:
 * locations"), made like the WMS's products and, where that leaves a choice, the least convenient
 * plausible way:
 *
 * - `POST /locations` → **200** with the whole location and its `id` (32 hex). Fields `external_id`,
 *   `code`, `name`, `type` (required, non-empty), `parent_external_id` (null, or an existing
 *   location's external id), `status` (`ACTIVE` | `INACTIVE`); any other field is refused.
 * - `PATCH /locations/{id}`: the same fields, partial; `external_id` is required in every body, as
 *   for products. Unknown id → 404 `{"message"}`; a parent that is the location or below it → 400.
 * - 400 `{"message":"Validation failed","errors":[{"field","message"}]}`, an unknown parent included.
 * - A second location with one `external_id` is stored (the worst case), unless the sandbox refuses
 *   duplicates (`duplicates: "refuse"`, as for products): then 409 `{"message"}`.
 * - `GET /locations?external_id__eq=&status__eq=&status__in=&limit=&last_evaluated_key_id=` pages
 *   like the products' list (a Scan with a filter: a page may hold no match and still carry a
 *   cursor; without a status filter only ACTIVE locations); a row
 *   shows only `id`, `external_id`, `code`, `name`, `status`. `ignoreExternalIdFilter(true)`: a WMS
 *   whose locations list has no `external_id__eq` filter answers every location.
 * - No `GET /locations/{id}`, no `DELETE`, as for products.
 */

export interface NewWmsLocation {
  external_id: string;
  code: string;
  name: string;
  type: string;
  parent_external_id?: string | null;
  status?: "ACTIVE" | "INACTIVE";
}

export interface WmsLocation extends NewWmsLocation {
  id: string;
}

export interface WmsLocationStats {
  creates: number;
  patches: number;
  lists: number;
}

export interface WmsLocations {
  store: WmsLocationStore;
  stats: WmsLocationStats;
  /** While on, the list ignores `external_id__eq` (a WMS whose locations list has no such filter). */
  ignoreExternalIdFilter(on: boolean): void;
}

export interface WmsLocationOptions {
  /** Checks the Bearer token, as for products. */
  authenticate: MiddlewareHandler;
  /** Items examined per list page when the client sends no `limit`, and the largest it may ask. */
  pageSize: number;
  maxPageSize: number;
  refuseDuplicates: boolean;
}

/** The in-memory table behind `/locations`, in insertion (scan) order; tests read and edit it. */
export class WmsLocationStore {
  readonly #byId = new Map<string, WmsLocation>();

  get size(): number {
    return this.#byId.size;
  }

  list(): WmsLocation[] {
    return [...this.#byId.values()];
  }

  get(id: string): WmsLocation | undefined {
    return this.#byId.get(id);
  }

  /** The first location holding this external id (more than one only where duplicates were accepted). */
  getByExternalId(externalId: string): WmsLocation | undefined {
    return this.list().find((location) => location.external_id === externalId);
  }

  allByExternalId(externalId: string): WmsLocation[] {
    return this.list().filter((location) => location.external_id === externalId);
  }

  /** Adds a location without going through the API; a second one with an external id needs `allowDuplicate`. */
  insert(location: NewWmsLocation, options: { allowDuplicate?: boolean } = {}): WmsLocation {
    if (!options.allowDuplicate && this.getByExternalId(location.external_id)) {
      throw new Error(`WMS sandbox: location external_id "${location.external_id}" already exists`);
    }
    const created: WmsLocation = { ...location, id: randomBytes(16).toString("hex") };
    this.#byId.set(created.id, created);
    return created;
  }

  edit(id: string, changes: Partial<NewWmsLocation>): WmsLocation {
    const current = this.#byId.get(id);
    if (!current) throw new Error(`WMS sandbox: no location with id ${id}`);
    const next: WmsLocation = { ...current, ...changes, id };
    this.#byId.set(id, next);
    return next;
  }

  /** Someone deleting a location in the WMS's console (the API has no DELETE). */
  remove(id: string): boolean {
    return this.#byId.delete(id);
  }

  /** True when the location `externalId` names is `id` or below it in the tree. */
  isSelfOrBelow(externalId: string, id: string): boolean {
    const seen = new Set<string>();
    for (let at = this.getByExternalId(externalId); at && !seen.has(at.id); ) {
      if (at.id === id) return true;
      seen.add(at.id);
      at = at.parent_external_id ? this.getByExternalId(at.parent_external_id) : undefined;
    }
    return false;
  }
}

const LOCATION_FIELDS: Record<string, FieldRule> = {
  external_id: { required: true, check: text(255, { nonEmpty: true }) },
  code: { required: true, check: text(64, { nonEmpty: true }) },
  name: { required: true, check: text(255, { nonEmpty: true }) },
  type: { required: true, check: text(64, { nonEmpty: true }) },
  parent_external_id: { check: text(255, { nullable: true, nonEmpty: true }) },
  status: { check: oneOf("ACTIVE", "INACTIVE") },
};

/** Adds `/locations` to the WMS sandbox's app, behind its login (its faults apply to every path). */
export function serveWmsLocations(app: Hono, options: WmsLocationOptions): WmsLocations {
  const { pageSize, maxPageSize, refuseDuplicates } = options;
  const store = new WmsLocationStore();
  const stats: WmsLocationStats = { creates: 0, patches: 0, lists: 0 };
  let ignoringExternalId = false;
  app.use("/locations", options.authenticate);
  app.use("/locations/*", options.authenticate);

  /** What a valid body still gets from the table: a parent it does not hold, or one that makes a cycle. */
  const parentErrors = (body: Record<string, unknown>, selfId?: string): FieldError[] => {
    const parent = body.parent_external_id;
    if (typeof parent !== "string") return [];
    if (!store.getByExternalId(parent))
      return [{ field: "parent_external_id", message: `no location has external_id '${parent}'` }];
    if (selfId && store.isSelfOrBelow(parent, selfId))
      return [{ field: "parent_external_id", message: "must not be the location itself or below it" }];
    return [];
  };
  const duplicate = (externalId: unknown, selfId?: string) => {
    if (!refuseDuplicates || typeof externalId !== "string") return undefined;
    const other = store.getByExternalId(externalId);
    return other && other.id !== selfId
      ? { message: `A location with external_id '${externalId}' already exists` }
      : undefined;
  };

  app.post("/locations", async (c) => {
    const body = await readObject(c);
    if (!body.ok) return c.json({ message: body.message }, 400);
    const errors = validateFields(LOCATION_FIELDS, "location", body.value, false);
    errors.push(...(errors.length === 0 ? parentErrors(body.value) : []));
    if (errors.length > 0) return c.json({ message: "Validation failed", errors }, 400);
    const refused = duplicate(body.value.external_id);
    if (refused) return c.json(refused, 409);
    stats.creates++;
    const created = store.insert(body.value as unknown as NewWmsLocation, { allowDuplicate: true });
    return c.json({ ...created, created: new Date().toISOString() }, 200);
  });

  app.get("/locations", (c) => {
    const rawLimit = c.req.query("limit");
    const limit = rawLimit === undefined ? pageSize : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) {
      return c.json({ message: `limit must be an integer from 1 to ${maxPageSize}` }, 400);
    }
    const all = store.list();
    const cursor = c.req.query("last_evaluated_key_id");
    let start = 0;
    if (cursor) {
      const at = all.findIndex((location) => location.id === cursor);
      if (at < 0) return c.json({ message: "Invalid last_evaluated_key_id" }, 400);
      start = at + 1;
    }
    const listed = listedStatuses(c);
    if (!listed.ok) return c.json({ message: listed.message }, 400);
    const examined = all.slice(start, start + limit);
    const wanted = ignoringExternalId ? undefined : c.req.query("external_id__eq");
    const results = examined
      .filter(
        (l) =>
          (wanted === undefined || l.external_id === wanted) &&
          listed.statuses.includes(l.status ?? "ACTIVE"),
      )
      .map((l) => ({
        id: l.id,
        external_id: l.external_id,
        code: l.code,
        name: l.name,
        status: l.status ?? "ACTIVE",
      }));
    stats.lists++;
    const more = start + limit < all.length;
    return c.json(
      {
        results,
        count: results.length,
        warnings: [],
        limit,
        last_evaluated_key_id: more ? (examined.at(-1)?.id ?? null) : null,
      },
      200,
    );
  });

  app.patch("/locations/:id", async (c) => {
    const id = c.req.param("id");
    if (!store.get(id)) return c.json({ message: `Location '${id}' not found` }, 404);
    const body = await readObject(c);
    if (!body.ok) return c.json({ message: body.message }, 400);
    const errors = validateFields(LOCATION_FIELDS, "location", body.value, true);
    errors.push(...(errors.length === 0 ? parentErrors(body.value, id) : []));
    if (errors.length > 0) return c.json({ message: "Validation failed", errors }, 400);
    const refused = duplicate(body.value.external_id, id);
    if (refused) return c.json(refused, 409);
    stats.patches++;
    return c.json(store.edit(id, body.value as Partial<NewWmsLocation>), 200);
  });

  return {
    store,
    stats,
    ignoreExternalIdFilter: (on) => {
      ignoringExternalId = on;
    },
  };
}
