import { randomBytes } from "node:crypto";
import { type Context, Hono } from "hono";
import { cleanField, type FieldErrors, type FieldRule, pythonType, readJson } from "./drf.js";
import { countAnswers, type FaultKnobs, faultControl, RecordThrottle } from "./faults.js";
import { RecordJournal } from "./journal.js";
import { type KongLocations, serveLocations } from "./kong-locations.js";

/**
 * A stand-in for Kong RFID's API (Django REST Framework + Djoser, docs/integrations/INT-002-kong-rfid.md)
 * that answers with DRF's status codes and error shapes: token login, one SKU per POST, unique `external_id`,
 * field-level 400s, page-number pagination with absolute `next` links, and SearchFilter's case-insensitive
 * substring `search` (the trap that makes a client keep only the exact match).
 */

export const SANDBOX_KONG_CREDENTIALS = {
  username: "apes-sandbox",
  password: "kong-sandbox-secret",
} as const;

export interface KongUser {
  username: string;
  password: string;
}

export interface KongSku {
  id: number;
  external_id: string;
  name: string;
  display_name: string | null;
  reference: string | null;
  is_active: boolean;
  ean: string | null;
  upc: string | null;
  type_id: number;
  group_id: number;
  customer_id: number;
  properties: Record<string, unknown>;
  params: Record<string, unknown>;
}

/** What a SKU needs to exist; everything else takes Kong's defaults. */
export type NewKongSku = Pick<KongSku, "external_id" | "name" | "type_id" | "group_id" | "customer_id"> &
  Partial<Omit<KongSku, "id">>;

/** Successful operations by kind, plus every answer by HTTP status (faults included). */
export interface KongSandboxStats {
  requests: number;
  byStatus: Record<number, number>;
  logins: number;
  failedLogins: number;
  creates: number;
  patches: number;
  puts: number;
  gets: number;
  lists: number;
}

export interface KongSandboxOptions {
  /** Keeps the SKUs in this file across restarts (the demo's product state); in memory when absent. */
  stateFile?: string;
  users?: KongUser[];
  faults?: Partial<FaultKnobs>;
  /** DRF's PAGE_SIZE: results per list page when the client does not ask for `page_size`. */
  pageSize?: number;
  /** Largest `page_size` a client may ask for (DRF's max_page_size). */
  maxPageSize?: number;
}

export interface KongSandbox {
  app: Hono;
  skus: KongSkuStore;
  /** `/inventory/locations/` (sandbox/kong-locations.ts); kept in memory only. */
  locations: KongLocations;
  stats: KongSandboxStats;
  resetStats(): void;
  setFaults(faults: Partial<FaultKnobs>): void;
  /** Deletes every issued token (as Djoser's logout or an admin would): the next call gets 401. */
  invalidateTokens(): void;
  /** While on, every token is refused with 401 even right after login (a disabled account). */
  refuseTokens(on: boolean): void;
  /** While on, the SKU list ignores `customer_id` (a Kong that would show another customer's SKUs). */
  ignoreCustomerFilter(on: boolean): void;
  /** While on, a second SKU with an existing `external_id` is stored, not refused (a non-unique field). */
  acceptDuplicates(on: boolean): void;
  /** The next `times` writes (POST, PUT, PATCH) of the SKU `externalId` answer 429 with `Retry-After: seconds`. */
  throttleSku(externalId: string, retryAfterSeconds: number, times?: number): void;
}

const DEFAULT_SKU = {
  display_name: null,
  reference: null,
  is_active: true,
  ean: null,
  upc: null,
  properties: {},
  params: {},
} satisfies Partial<KongSku>;

/** The in-memory table behind the sandbox; tests read and edit it directly. */
export class KongSkuStore {
  readonly #byId = new Map<number, KongSku>();
  readonly #idByExternalId = new Map<string, number>();
  #nextId = 1;

  /** With a journal, starts from the records it holds and writes every change to it. */
  constructor(private readonly journal?: RecordJournal<KongSku>) {
    for (const sku of journal?.records ?? []) {
      this.#byId.set(sku.id, sku);
      if (!this.#idByExternalId.has(sku.external_id)) this.#idByExternalId.set(sku.external_id, sku.id);
      this.#nextId = Math.max(this.#nextId, sku.id + 1);
    }
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Every SKU in id order (creation order). */
  list(): KongSku[] {
    return [...this.#byId.values()];
  }

  get(id: number): KongSku | undefined {
    return this.#byId.get(id);
  }

  getByExternalId(externalId: string): KongSku | undefined {
    const id = this.#idByExternalId.get(externalId);
    return id === undefined ? undefined : this.#byId.get(id);
  }

  /**
   * Adds a SKU without going through the API (a record that already exists in Kong). A second SKU
   * with the same external id needs `allowDuplicate`; the external id keeps naming the first.
   */
  insert(sku: NewKongSku, options: { allowDuplicate?: boolean } = {}): KongSku {
    if (this.#idByExternalId.has(sku.external_id) && !options.allowDuplicate) {
      throw new Error(`Kong sandbox: external_id "${sku.external_id}" already exists`);
    }
    const created: KongSku = { ...DEFAULT_SKU, ...sku, id: this.#nextId++ };
    this.#byId.set(created.id, created);
    if (!this.#idByExternalId.has(created.external_id))
      this.#idByExternalId.set(created.external_id, created.id);
    this.journal?.put(created);
    return created;
  }

  /** Changes a stored SKU (someone editing it in Kong's console). */
  edit(id: number, changes: Partial<Omit<KongSku, "id">>): KongSku {
    const current = this.#byId.get(id);
    if (!current) throw new Error(`Kong sandbox: no SKU with id ${id}`);
    const next: KongSku = { ...current, ...changes, id };
    if (next.external_id !== current.external_id) {
      if (this.#idByExternalId.has(next.external_id)) {
        throw new Error(`Kong sandbox: external_id "${next.external_id}" already exists`);
      }
      this.#idByExternalId.delete(current.external_id);
      this.#idByExternalId.set(next.external_id, id);
    }
    this.#byId.set(id, next);
    this.journal?.put(next);
    return next;
  }

  /** Deletes a SKU (someone removing it in Kong): a later PATCH of its id answers 404. */
  remove(id: number): boolean {
    const current = this.#byId.get(id);
    if (!current) return false;
    this.#byId.delete(id);
    if (this.#idByExternalId.get(current.external_id) === id) {
      // A duplicate (accepted on purpose) takes over the external id, as the first one left.
      const other = this.list().find((sku) => sku.external_id === current.external_id);
      if (other) this.#idByExternalId.set(current.external_id, other.id);
      else this.#idByExternalId.delete(current.external_id);
    }
    this.journal?.remove(id);
    return true;
  }
}

// ---- DRF-style validation -------------------------------------------------------------------

const SKU_FIELDS: Record<string, FieldRule> = {
  external_id: { kind: "string", required: true, maxLength: 255 },
  name: { kind: "string", required: true, maxLength: 255 },
  type_id: { kind: "integer", required: true },
  group_id: { kind: "integer", required: true },
  customer_id: { kind: "integer", required: true },
  display_name: { kind: "string", nullable: true, allowBlank: true, maxLength: 255 },
  reference: { kind: "string", nullable: true, allowBlank: true, maxLength: 255 },
  ean: { kind: "string", nullable: true, allowBlank: true, maxLength: 255 },
  upc: { kind: "string", nullable: true, allowBlank: true, maxLength: 255 },
  is_active: { kind: "boolean" },
  properties: { kind: "dict" },
  params: { kind: "dict" },
};

/** Validates a SKU body; `partial` is PATCH (required fields may be absent). Unknown keys are ignored. */
function validateSku(
  body: unknown,
  partial: boolean,
): { ok: true; data: Partial<KongSku> } | { ok: false; errors: FieldErrors } {
  if (pythonType(body) !== "dict") {
    return {
      ok: false,
      errors: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonType(body)}.`] },
    };
  }
  const input = body as Record<string, unknown>;
  const data: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const [field, rule] of Object.entries(SKU_FIELDS)) {
    if (!(field in input) || input[field] === undefined) {
      if (rule.required && !partial) errors[field] = ["This field is required."];
      continue;
    }
    const cleaned = cleanField(rule, input[field]);
    if ("error" in cleaned) errors[field] = [cleaned.error];
    else data[field] = cleaned.value;
  }
  return Object.keys(errors).length > 0
    ? { ok: false, errors }
    : { ok: true, data: data as Partial<KongSku> };
}

// ---- the app ----------------------------------------------------------------------------------

const DUPLICATE_MESSAGE = "sku with this external id already exists.";

/** Djoser keys are 40 hex characters. */
const newToken = () => randomBytes(20).toString("hex");

export function createKongSandbox(options: KongSandboxOptions = {}): KongSandbox {
  const users = options.users ?? [SANDBOX_KONG_CREDENTIALS];
  const pageSize = options.pageSize ?? 20;
  const maxPageSize = options.maxPageSize ?? 100;
  const faults = faultControl(options.faults);
  const skus = new KongSkuStore(
    options.stateFile ? new RecordJournal<KongSku>(options.stateFile) : undefined,
  );
  // DRF's authtoken keeps one token per user (get_or_create), so concurrent logins share it.
  const tokenOfUser = new Map<string, string>();
  const userOfToken = new Map<string, string>();
  let refusing = false;
  let ignoringCustomer = false;
  let acceptingDuplicates = false;

  const freshStats = (): KongSandboxStats => ({
    requests: 0,
    byStatus: {},
    logins: 0,
    failedLogins: 0,
    creates: 0,
    patches: 0,
    puts: 0,
    gets: 0,
    lists: 0,
  });
  const stats = freshStats();

  const app = new Hono();
  const throttledBody = (seconds: number) => ({
    detail: `Request was throttled. Expected available in ${seconds} seconds.`,
  });
  const skuThrottle = new RecordThrottle();
  /** A write of `externalId` the test scripted a 429 for: that answer, else undefined. */
  const throttledWrite = (c: Context, externalId: unknown) => {
    const seconds = typeof externalId === "string" ? skuThrottle.take(externalId) : undefined;
    if (seconds === undefined) return undefined;
    c.header("Retry-After", String(seconds));
    return c.json(throttledBody(seconds), 429);
  };

  app.use("*", countAnswers(stats));

  app.use("*", faults.middleware(throttledBody));

  app.post("/auth/token/login/", async (c) => {
    const body = await readJson(c);
    const user = body.ok ? users.find((u) => matches(u, body.value)) : undefined;
    if (!user) {
      stats.failedLogins++;
      return c.json({ non_field_errors: ["Unable to log in with provided credentials."] }, 400);
    }
    let token = tokenOfUser.get(user.username);
    if (!token) {
      token = newToken();
      tokenOfUser.set(user.username, token);
      userOfToken.set(token, user.username);
    }
    stats.logins++;
    return c.json({ auth_token: token }, 200);
  });

  app.use("/inventory/*", async (c, next) => {
    const header = c.req.header("authorization");
    if (!header) {
      c.header("WWW-Authenticate", "Token");
      return c.json({ detail: "Authentication credentials were not provided." }, 401);
    }
    const [scheme, key] = header.split(" ");
    if (scheme !== "Token" || !key || !userOfToken.has(key) || refusing) {
      c.header("WWW-Authenticate", "Token");
      return c.json({ detail: "Invalid token." }, 401);
    }
    await next();
  });

  app.post("/inventory/skus/", async (c) => {
    const body = await readJson(c);
    if (!body.ok) return c.json({ detail: body.detail }, 400);
    const throttled = throttledWrite(c, (body.value as { external_id?: unknown } | null)?.external_id);
    if (throttled) return throttled;
    const valid = validateSku(body.value, false);
    if (!valid.ok) return c.json(valid.errors, 400);
    const data = valid.data as NewKongSku;
    if (!acceptingDuplicates && skus.getByExternalId(data.external_id))
      return c.json({ external_id: [DUPLICATE_MESSAGE] }, 400);
    stats.creates++;
    return c.json(skus.insert(data, { allowDuplicate: true }), 201);
  });

  app.get("/inventory/skus/", (c) => {
    const customer = c.req.query("customer_id");
    if (customer !== undefined && customer !== "" && !/^-?\d+$/.test(customer)) {
      return c.json({ customer_id: ["Enter a whole number."] }, 400);
    }
    const terms = (c.req.query("search") ?? "")
      .toLowerCase()
      .split(/[\s,]+/)
      .filter(Boolean);
    const matching = skus.list().filter((sku) => {
      if (customer && !ignoringCustomer && sku.customer_id !== Number(customer)) return false;
      const haystack = [sku.external_id, sku.name, sku.reference ?? ""].map((f) => f.toLowerCase());
      return terms.every((term) => haystack.some((field) => field.includes(term)));
    });

    const askedSize = Number(c.req.query("page_size"));
    const size = Number.isInteger(askedSize) && askedSize > 0 ? Math.min(askedSize, maxPageSize) : pageSize;
    const pageParam = c.req.query("page") ?? "1";
    const page = /^\d+$/.test(pageParam) ? Number(pageParam) : Number.NaN;
    const lastPage = Math.max(1, Math.ceil(matching.length / size));
    if (!(page >= 1 && page <= lastPage)) return c.json({ detail: "Invalid page." }, 404);

    stats.lists++;
    return c.json(
      {
        count: matching.length,
        next: page < lastPage ? pageLink(c.req.url, page + 1) : null,
        previous: page > 1 ? pageLink(c.req.url, page - 1) : null,
        results: matching.slice((page - 1) * size, page * size),
      },
      200,
    );
  });

  app.get("/inventory/skus/:id/", (c) => {
    const sku = findById(c.req.param("id"));
    if (!sku) return c.json({ detail: "Not found." }, 404);
    stats.gets++;
    return c.json(sku, 200);
  });

  const update = (partial: boolean) => async (c: Context) => {
    const sku = findById(c.req.param("id") ?? "");
    if (!sku) return c.json({ detail: "Not found." }, 404);
    const throttled = throttledWrite(c, sku.external_id);
    if (throttled) return throttled;
    const body = await readJson(c);
    if (!body.ok) return c.json({ detail: body.detail }, 400);
    const valid = validateSku(body.value, partial);
    if (!valid.ok) return c.json(valid.errors, 400);
    const other = valid.data.external_id ? skus.getByExternalId(valid.data.external_id) : undefined;
    if (!acceptingDuplicates && other && other.id !== sku.id)
      return c.json({ external_id: [DUPLICATE_MESSAGE] }, 400);
    if (partial) stats.patches++;
    else stats.puts++;
    return c.json(skus.edit(sku.id, valid.data), 200);
  };
  app.patch("/inventory/skus/:id/", update(true));
  app.put("/inventory/skus/:id/", update(false));

  const locations = serveLocations(app, { pageSize, maxLimit: maxPageSize });

  function findById(raw: string): KongSku | undefined {
    return /^\d+$/.test(raw) ? skus.get(Number(raw)) : undefined;
  }

  return {
    app,
    skus,
    locations,
    stats,
    resetStats: () => {
      Object.assign(stats, freshStats());
    },
    setFaults: (partial) => faults.set(partial),
    invalidateTokens: () => {
      tokenOfUser.clear();
      userOfToken.clear();
    },
    ignoreCustomerFilter: (on) => {
      ignoringCustomer = on;
    },
    acceptDuplicates: (on) => {
      acceptingDuplicates = on;
    },
    refuseTokens: (on) => {
      refusing = on;
    },
    throttleSku: (externalId, retryAfterSeconds, times) =>
      skuThrottle.set(externalId, retryAfterSeconds, times),
  };
}

function matches(user: KongUser, body: unknown): boolean {
  if (pythonType(body) !== "dict") return false;
  const { username, password } = body as Record<string, unknown>;
  return username === user.username && password === user.password;
}

/** DRF's absolute next/previous links: the request's own URL with `page` replaced (dropped for page 1). */
function pageLink(requestUrl: string, page: number): string {
  const url = new URL(requestUrl);
  if (page === 1) url.searchParams.delete("page");
  else url.searchParams.set("page", String(page));
  return url.toString();
}
