import { createHash, randomBytes } from "node:crypto";
import { type Context, Hono } from "hono";
import { countAnswers, type FaultKnobs, faultControl } from "./faults.js";
import { RecordJournal } from "./journal.js";
import {
  type Check,
  type FieldError,
  type FieldRule,
  isObject,
  listedStatuses,
  oneOf,
  readObject,
  text,
  validateFields,
} from "./wms-fields.js";
import { serveWmsLocations, type WmsLocations } from "./wms-locations.js";

/**
 * A stand-in for the WMS product API, answering as the WMS team's own collection shows it
 * (docs/integrations/INT-003-wms.md); where the collection is silent, the choice is this sandbox's
 * and says so:
 *
 * - `POST /auth` `{username,password}` → 200 `{"token","attributes_user":[…]}`; bad → 401 `{"message"}`.
 *   Tokens expire after `tokenTtlSeconds` (sandbox choice); an expired or unknown token → 401.
 * - A product body holds only the documented fields: `name` and `external_id` (required, non-empty),
 *   `display_name`, `reference_id`, `reception_type`, `barcode_type`, `barcode`, `status`
 *   (`ACTIVE` | `INACTIVE`), `sale_price`, `sale_coin`, `purchase_price`, `purchase_coin`,
 *   `product_image`, `inventory_unit`, `presentation`, `properties` (object), `groups` (list of
 *   `{group_external_id, group_name, group_parent_id, group_type: category|group|type}`). Any other
 *   field (`active`, `sku`, …) is refused (sandbox choice: stricter than the real API may be).
 * - `POST /products` → **200** with the whole product, its `id` (32 hex) and the fields the WMS adds.
 * - `PATCH /products/{id}`: the same fields, partial; **`external_id` is required in every body**.
 *   Unknown id → 404 `{"message"}`. There is no `GET /products/{id}`: the collection lists none.
 * - Validation error → 400 `{"message":"Validation failed","errors":[{"field","message"}]}`.
 * - Duplicate `external_id`: nothing says the WMS refuses one, so by default a second product is
 *   stored (the worst case; clients look a record up before creating it). With
 *   `duplicates: "refuse"`, a create or a PATCH that would collide → 409 `{"message"}`.
 * - `GET /products?external_id__eq=&status__eq=&status__in=&limit=&last_evaluated_key_id=` → `{"results":
 *   [{"variant_id","name","barcode","status","external_id"}],"count","warnings":[],"limit",
 *   "last_evaluated_key_id"}`. A row names its product `variant_id`; here it equals the product's
 *   `id` that PATCH takes (sandbox assumption: the collection does not say; `separateVariantIds`
 *   makes it an id of its own that PATCH does not know). It behaves like a
 *   DynamoDB Scan with a filter: `limit` caps the items *examined*, so a page can hold none of the
 *   matches and still carry a cursor (opaque; null at the end). Without `status__eq` or `status__in`
 *   (`ACTIVE,INACTIVE`) only ACTIVE products are listed (sandbox choice, the least convenient: the
 *   collection's list asks `status__in=ACTIVE,INACTIVE`).
 * - Throttled → 429 `{"message"}` with `Retry-After`.
 * - `/locations`: not in the collection at all; what is assumed is in sandbox/wms-locations.ts.
 */

export const SANDBOX_WMS_CREDENTIALS = { username: "apes-sandbox", password: "wms-sandbox-secret" } as const;

export interface WmsUser {
  username: string;
  password: string;
}

/** A product as sent: the documented fields (validated on the way in). */
export interface NewWmsProduct {
  external_id: string;
  name: string;
  status?: WmsStatus;
  [field: string]: unknown;
}

export type WmsStatus = "ACTIVE" | "INACTIVE";

export interface WmsProduct extends NewWmsProduct {
  id: string;
}

/** Successful operations by kind, plus every answer by HTTP status (faults included). */
export interface WmsSandboxStats {
  requests: number;
  byStatus: Record<number, number>;
  logins: number;
  failedLogins: number;
  creates: number;
  patches: number;
  lists: number;
}

export interface WmsSandboxOptions {
  /** Keeps the products in this file across restarts (the demo's product state); in memory when absent. */
  stateFile?: string;
  users?: WmsUser[];
  faults?: Partial<FaultKnobs>;
  /** Items examined per list page when the client sends no `limit`. */
  pageSize?: number;
  /** Largest `limit` a client may ask for. */
  maxPageSize?: number;
  tokenTtlSeconds?: number;
  /** Clock for token expiry (tests move it forward). */
  now?: () => number;
  /** A second product with an existing `external_id`: stored (default, INT-003 promises nothing) or refused with 409. */
  duplicates?: "accept" | "refuse";
}

export interface WmsSandbox {
  app: Hono;
  products: WmsProductStore;
  /** `/locations` (sandbox/wms-locations.ts, assumed); kept in memory only. */
  locations: WmsLocations;
  stats: WmsSandboxStats;
  resetStats(): void;
  setFaults(faults: Partial<FaultKnobs>): void;
  /** Revokes every issued token: the next call gets 401. */
  invalidateTokens(): void;
  /** While on, every token is refused with 401 even right after login (a disabled account). */
  refuseTokens(on: boolean): void;
  /**
   * While on, a list row's `variant_id` is an id of its own, not the product's `id`: PATCH answers
   * 404 to it (a WMS whose variant is not the product).
   */
  separateVariantIds(on: boolean): void;
}

/** The in-memory table behind the sandbox, in insertion (scan) order; tests read and edit it. */
export class WmsProductStore {
  readonly #byId = new Map<string, WmsProduct>();
  readonly #idByExternalId = new Map<string, string>();

  /** With a journal, starts from the records it holds and writes every change to it. */
  constructor(private readonly journal?: RecordJournal<WmsProduct>) {
    for (const product of journal?.records ?? []) {
      this.#byId.set(product.id, product);
      if (!this.#idByExternalId.has(product.external_id))
        this.#idByExternalId.set(product.external_id, product.id);
    }
  }

  get size(): number {
    return this.#byId.size;
  }

  list(): WmsProduct[] {
    return [...this.#byId.values()];
  }

  get(id: string): WmsProduct | undefined {
    return this.#byId.get(id);
  }

  getByExternalId(externalId: string): WmsProduct | undefined {
    const id = this.#idByExternalId.get(externalId);
    return id === undefined ? undefined : this.#byId.get(id);
  }

  /** Every product holding this external id (more than one only where duplicates were accepted). */
  allByExternalId(externalId: string): WmsProduct[] {
    return this.list().filter((p) => p.external_id === externalId);
  }

  /**
   * Adds a product without going through the API (a record that already exists in the WMS).
   * A second product with the same external id needs `allowDuplicate`.
   */
  insert(product: NewWmsProduct, options: { allowDuplicate?: boolean } = {}): WmsProduct {
    if (this.#idByExternalId.has(product.external_id) && !options.allowDuplicate) {
      throw new Error(`WMS sandbox: external_id "${product.external_id}" already exists`);
    }
    const created: WmsProduct = { ...product, id: randomBytes(16).toString("hex") };
    this.#byId.set(created.id, created);
    if (!this.#idByExternalId.has(created.external_id))
      this.#idByExternalId.set(created.external_id, created.id);
    this.journal?.put(created);
    return created;
  }

  edit(id: string, changes: Partial<NewWmsProduct>): WmsProduct {
    const current = this.#byId.get(id);
    if (!current) throw new Error(`WMS sandbox: no product with id ${id}`);
    const next: WmsProduct = { ...current, ...changes, id };
    this.#byId.set(id, next);
    if (next.external_id !== current.external_id) {
      this.#reindex(current.external_id);
      if (!this.#idByExternalId.has(next.external_id)) this.#idByExternalId.set(next.external_id, id);
    }
    this.journal?.put(next);
    return next;
  }

  remove(id: string): boolean {
    const current = this.#byId.get(id);
    if (!current) return false;
    this.#byId.delete(id);
    this.#reindex(current.external_id);
    this.journal?.remove(id);
    return true;
  }

  /** Points an external id at the first product still holding it (or at none). */
  #reindex(externalId: string): void {
    const first = this.list().find((p) => p.external_id === externalId);
    if (first) this.#idByExternalId.set(externalId, first.id);
    else this.#idByExternalId.delete(externalId);
  }
}

// ---- validation -------------------------------------------------------------------------------

const price: Check = (value) =>
  value === null || (typeof value === "number" && Number.isFinite(value)) ? undefined : "must be a number";
const group: Check = (value) => {
  if (!isObject(value)) return "must be an object";
  if (typeof value.group_external_id !== "string") return "group_external_id must be a string";
  return oneOf("category", "group", "type")(value.group_type);
};

const PRODUCT_FIELDS: Record<string, FieldRule> = {
  name: { required: true, check: text(255, { nonEmpty: true }) },
  display_name: { check: text(255, { nullable: true }) },
  external_id: { required: true, check: text(255, { nonEmpty: true }) },
  reference_id: { check: text(255, { nullable: true }) },
  reception_type: { check: text(32) },
  barcode_type: { check: text(32) },
  barcode: { check: text(64, { nullable: true }) },
  status: { check: oneOf("ACTIVE", "INACTIVE") },
  sale_price: { check: price },
  sale_coin: { check: text(8, { nullable: true }) },
  purchase_price: { check: price },
  purchase_coin: { check: text(8, { nullable: true }) },
  product_image: { check: text(2000, { nullable: true }) },
  inventory_unit: { check: text(32) },
  presentation: { check: text(255, { nullable: true }) },
  properties: { check: (v) => (isObject(v) ? undefined : "must be an object") },
  groups: {
    check: (v) =>
      Array.isArray(v) ? v.map(group).find((problem) => problem !== undefined) : "must be a list of groups",
  },
};

function validateProduct(body: Record<string, unknown>, partial: boolean): FieldError[] {
  return validateFields(PRODUCT_FIELDS, "product", body, partial);
}

// ---- the app ----------------------------------------------------------------------------------

export function createWmsSandbox(options: WmsSandboxOptions = {}): WmsSandbox {
  const users = options.users ?? [SANDBOX_WMS_CREDENTIALS];
  const pageSize = options.pageSize ?? 50;
  const maxPageSize = options.maxPageSize ?? 100;
  const ttlSeconds = options.tokenTtlSeconds ?? 3600;
  const now = options.now ?? Date.now;
  const refuseDuplicates = options.duplicates === "refuse";
  let separateVariants = false;
  const variantIdOf = (product: WmsProduct) =>
    separateVariants
      ? createHash("sha256").update(`variant of ${product.id}`).digest("hex").slice(0, 32)
      : product.id;
  const faults = faultControl(options.faults);
  const products = new WmsProductStore(
    options.stateFile ? new RecordJournal<WmsProduct>(options.stateFile) : undefined,
  );
  const tokenExpiry = new Map<string, number>();
  let refusing = false;

  const freshStats = (): WmsSandboxStats => ({
    requests: 0,
    byStatus: {},
    logins: 0,
    failedLogins: 0,
    creates: 0,
    patches: 0,
    lists: 0,
  });
  const stats = freshStats();

  const app = new Hono();

  app.use("*", countAnswers(stats));

  app.use(
    "*",
    faults.middleware(() => ({ message: "Too Many Requests" })),
  );

  app.post("/auth", async (c) => {
    const body = await readObject(c);
    if (!body.ok) return c.json({ message: body.message }, 400);
    const { username, password } = body.value;
    if (typeof username !== "string" || typeof password !== "string") {
      const errors = ["username", "password"]
        .filter((field) => typeof body.value[field] !== "string")
        .map((field) => ({ field, message: "is required" }));
      return c.json({ message: "Validation failed", errors }, 400);
    }
    if (!users.some((u) => u.username === username && u.password === password)) {
      stats.failedLogins++;
      return c.json({ message: "Invalid username or password" }, 401);
    }
    const token = randomBytes(32).toString("base64url");
    tokenExpiry.set(token, now() + ttlSeconds * 1000);
    stats.logins++;
    return c.json({ token, attributes_user: [{ Name: "preferred_username", Value: username }] }, 200);
  });

  app.use("/products", authenticate);
  app.use("/products/*", authenticate);
  const locations = serveWmsLocations(app, { authenticate, pageSize, maxPageSize, refuseDuplicates });

  async function authenticate(c: Context, next: () => Promise<void>) {
    const match = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "");
    const expiry = match?.[1] ? tokenExpiry.get(match[1]) : undefined;
    if (refusing || expiry === undefined || expiry <= now()) {
      c.header("WWW-Authenticate", "Bearer");
      return c.json({ message: "Unauthorized" }, 401);
    }
    await next();
  }

  app.post("/products", async (c) => {
    const body = await readObject(c);
    if (!body.ok) return c.json({ message: body.message }, 400);
    const errors = validateProduct(body.value, false);
    if (errors.length > 0) return c.json({ message: "Validation failed", errors }, 400);
    const product = body.value as NewWmsProduct;
    if (refuseDuplicates && products.getByExternalId(product.external_id)) {
      return c.json({ message: `A product with external_id '${product.external_id}' already exists` }, 409);
    }
    stats.creates++;
    const at = new Date(now()).toISOString();
    return c.json(
      {
        ...products.insert(product, { allowDuplicate: true }),
        measure_unit: null,
        substitute_ids: [],
        created: at,
        modified: at,
        created_by_username: "apes-sandbox",
        modified_by_username: "apes-sandbox",
      },
      200,
    );
  });

  app.get("/products", (c) => {
    const rawLimit = c.req.query("limit");
    const limit = rawLimit === undefined ? pageSize : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) {
      return c.json({ message: `limit must be an integer from 1 to ${maxPageSize}` }, 400);
    }
    const all = products.list();
    const cursor = c.req.query("last_evaluated_key_id");
    let start = 0;
    if (cursor) {
      const at = all.findIndex((p) => p.id === cursor);
      if (at < 0) return c.json({ message: "Invalid last_evaluated_key_id" }, 400);
      start = at + 1;
    }
    const listed = listedStatuses(c);
    if (!listed.ok) return c.json({ message: listed.message }, 400);
    const examined = all.slice(start, start + limit);
    const wanted = c.req.query("external_id__eq");
    const results = examined
      .filter(
        (p) =>
          (wanted === undefined || p.external_id === wanted) &&
          listed.statuses.includes(p.status ?? "ACTIVE"),
      )
      .map((p) => ({
        variant_id: variantIdOf(p),
        name: p.name,
        barcode: p.barcode ?? null,
        status: p.status ?? "ACTIVE",
        external_id: p.external_id,
      }));
    const more = start + limit < all.length;
    stats.lists++;
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

  app.patch("/products/:id", async (c) => {
    const id = c.req.param("id");
    if (!products.get(id)) return c.json({ message: `Product '${id}' not found` }, 404);
    const body = await readObject(c);
    if (!body.ok) return c.json({ message: body.message }, 400);
    const errors = validateProduct(body.value, true);
    if (errors.length > 0) return c.json({ message: "Validation failed", errors }, 400);
    const { id: _ignored, ...changes } = body.value;
    const externalId = changes.external_id as string | undefined;
    const other = externalId === undefined ? undefined : products.getByExternalId(externalId);
    if (refuseDuplicates && other && other.id !== id) {
      return c.json({ message: `A product with external_id '${externalId}' already exists` }, 409);
    }
    stats.patches++;
    return c.json(products.edit(id, changes as Partial<NewWmsProduct>), 200);
  });

  return {
    app,
    products,
    locations,
    stats,
    resetStats: () => {
      Object.assign(stats, freshStats());
    },
    setFaults: (partial) => faults.set(partial),
    invalidateTokens: () => {
      tokenExpiry.clear();
    },
    refuseTokens: (on) => {
      refusing = on;
    },
    separateVariantIds: (on) => {
      separateVariants = on;
    },
  };
}
