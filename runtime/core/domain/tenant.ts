import * as v from "valibot";
import type { ProductType } from "./model.js";
import { DEFAULT_PARTIAL_ABOVE, isEmailAddress, NOTIFY_KINDS, type NotifySettings } from "./notification.js";
import { MAX_TENANT_CONCURRENCY, WORKERS } from "./pipeline-config.js";
import { checkSchedule } from "./schedule.js";

/**
 * The shape of a tenant file. Only non-secret data: every object is strict, so a stray field
 * (a pasted password, a typo) is refused rather than silently ignored. Credentials live in
 * Secrets Manager under `siesa-integration/<id>/siesa` and `siesa-integration/<id>/<product>`.
 */
export interface Tenant {
  /** lower-kebab-case, 3-48 chars: part of resource and secret names. */
  id: string;
  environment: TenantEnvironment;
  /** 12-digit AWS account id of the client (hosts the product API). */
  clientAccount: string;
  siesa: {
    baseUrl: string;
    /** `idCompania`: the Connekta tenant id, e.g. 8585. */
    companyId: number;
    /** `f120_id_cia`: the ERP company whose rows we keep, usually 1. */
    erpCompany: number;
  };
  product: {
    type: ProductType;
    baseUrl: string;
    /** Paths relative to baseUrl, e.g. `{ skus: "/inventory/skus/" }`. */
    endpoints: Record<string, string>;
    /** Product-side ids the mapping reads with `fromTenant` (Kong customer_id, type_id, group_id). */
    defaults: Record<string, string | number | boolean>;
  };
  sync: {
    /** EventBridge Scheduler expression: rate(...), cron(...) or at(...). */
    schedule: string;
    /** Retries of a transient failure (5xx) per call: 0..10, default 3. */
    retryAttempts: number;
    /** Units of work in flight at once: 1..MAX_TENANT_CONCURRENCY (pipeline-config.ts), default 4. */
    concurrency: number;
    /** Lease length: a run older than this is considered dead. Default 60; longer than a worker's invocation. */
    maxRunMinutes: number;
    /**
     * Most deactivations one run applies without an operator's approval; more are held. Default: the
     * larger of 10 and 10 % of the tenant's active records.
     */
    maxDeactivations?: number;
    /**
     * When one rejection rule covers at least `share` of a run's rows, and at least `minRows`, the
     * run fails as drift. Default 0.5 and 20.
     */
    drift?: { share: number; minRows: number };
  };
  /** Name of a mapping in mappings/ (e.g. "kong"). */
  mapping: string;
  /**
   * The streams the tenant syncs beside its catalogue (whose schedule is `sync.schedule`), each on
   * its own schedule. Absent: the catalogue only.
   */
  streams?: StreamSettings;
  /**
   * Other tenants this one shares its client account, Siesa company or product customer with, each
   * with why (reviewed in the pull request): without it, tenants:check refuses the overlap.
   */
  sharedWith?: Record<string, string>;
  /**
   * Who is told of what (docs/operations.md, "Notifications"): `emails` through the stack's SNS topic
   * of the tenant, and/or `webhook: true` for the URL in the tenant's `notify` secret.
   */
  notify?: NotifySettings;
}

/** What a tenant file says of its warehouse and stock streams (docs/streams.md). */
export interface StreamSettings {
  /** Each active warehouse of the ERP company becomes a location in the product. */
  warehouses?: {
    schedule: string;
    location: {
      /** The location type's code in the product (Kong `type_external_id`, e.g. `E1` WAREHOUSE). */
      type: string;
      /** The external id of the location the warehouses hang under (e.g. the client's store); null: none. */
      parent: string | null;
      /** Kong `zone_type`, when the client uses one. */
      zoneType?: string;
    };
    /**
     * A WMS tenant's record that its locations endpoint was confirmed (who, when, what): the WMS
     * documents none, the location client speaks an assumed one and the probe cannot check it, so
     * its warehouses stream is refused without this (stream.ts, streamRefusal).
     */
    locationsConfirmed?: string;
  };
  /** Expected stock per item, warehouse and installation, read completely each run. */
  stock?: {
    schedule: string;
    /** The warehouse codes that count (trimmed `f150_id`); absent: every active warehouse of the company. */
    warehouses?: string[];
    /** What is taken from on hand to get the expected quantity; default both (`["committed", "pos"]`). */
    subtract: StockDeduction[];
  };
}

/** Quantities a stock rule may take from on hand: committed to orders, sold at the POS and not posted. */
export const STOCK_DEDUCTIONS = ["committed", "pos"] as const;
export type StockDeduction = (typeof STOCK_DEDUCTIONS)[number];

export const ENVIRONMENTS = ["staging", "production", "local"] as const;
export type TenantEnvironment = (typeof ENVIRONMENTS)[number];
const PRODUCT_TYPES = ["kong-rfid", "wms"] as const satisfies readonly ProductType[];

const got = (issue: v.BaseIssue<unknown>) => `(got ${issue.received})`;
/** Masks any user:password in a URL: messages must never carry a secret. */
const redactUrl = (text: string) => text.replace(/\/\/[^/@\s]*@/, "//***@");

/** Keys of product.defaults that look like credentials (Siesa's are ConniKey and ConniToken). */
const SECRET_LIKE = /pass|pwd|secret|token|key|credential|auth|bearer|clave|contrase/i;

/** Values that look like one whatever their key: a JWT (a ConniToken), a long hex key (a ConniKey), a header. */
const SECRET_VALUE = /^eyJ[\w-]*\.[\w-]*\.|^[0-9a-f]{32,}$|^(bearer|basic|token) /i;

/**
 * The longest invocation of a sync run's workers. A message of the run comes back to its worker only
 * while one more invocation fits before the lease expires (returnBy, steps/run-end.ts): a lease no
 * longer than this would turn every failure that a retry fixes into a failed record.
 */
const LONGEST_RUN_WORKER = (["dispatch", "extract", "load", "settle"] as const).reduce((a, b) =>
  WORKERS[b].timeoutSeconds > WORKERS[a].timeoutSeconds ? b : a,
);
const LONGEST_RUN_WORKER_SECONDS = WORKERS[LONGEST_RUN_WORKER].timeoutSeconds;
const SHORTEST_RUN_MINUTES = Math.floor(LONGEST_RUN_WORKER_SECONDS / 60) + 1;

const integer = (min: number, max: number) =>
  v.pipe(
    v.number(),
    v.integer((i) => `must be an integer ${got(i)}`),
    v.minValue(min, (i) => `must be at least ${min} ${got(i)}`),
    v.maxValue(max, (i) => `must be at most ${max} ${got(i)}`),
  );

/** What is wrong with a base URL, if anything (https is checked per environment below). */
function baseUrlProblem(text: string): string | undefined {
  if (!URL.canParse(text)) return `must be an absolute URL (got "${redactUrl(text)}")`;
  const url = new URL(text);
  if (url.username !== "" || url.password !== "")
    return "must not contain credentials: they belong in Secrets Manager";
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return `must be an https:// URL (got "${url.protocol}")`;
  if (url.search !== "" || url.hash !== "" || text.includes("?"))
    return "must not have a query string or fragment";
  // Clients resolve relative paths against it: without the slash, "v3" would be dropped.
  if (!text.endsWith("/")) return `must end with "/" (got "${text}")`;
  return undefined;
}

const baseUrl = v.pipe(
  v.string(),
  v.rawCheck(({ dataset, addIssue }) => {
    const problem = dataset.typed ? baseUrlProblem(dataset.value) : undefined;
    if (problem) addIssue({ message: problem });
  }),
);

const endpointPath = v.pipe(
  v.string(),
  v.regex(/^\/[^\s?#]*$/, (i) => `must be a path starting with "/" ${got(i)}`),
);

/** A code the product matches exactly (a location type, an external id): blank or padded is a typo it refuses. */
const productCode = (what: string) =>
  v.pipe(
    v.string(),
    v.check((text) => text !== "" && text.trim() === text, `${what}, without spaces around it`),
  );

const schedule = v.pipe(
  v.string(),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const check = checkSchedule(dataset.value);
    if (!check.ok) addIssue({ message: check.reason });
  }),
);

const TenantObject = v.strictObject({
  id: v.pipe(
    v.string(),
    v.minLength(3, (i) => `must be 3-48 characters ${got(i)}`),
    v.maxLength(48, (i) => `must be 3-48 characters ${got(i)}`),
    v.regex(
      /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
      (i) => `must be lower-kebab-case (a-z, 0-9, single dashes, starting with a letter) ${got(i)}`,
    ),
  ),
  environment: v.picklist(ENVIRONMENTS),
  clientAccount: v.pipe(
    v.string(),
    v.regex(/^\d{12}$/, (i) => `must be a 12-digit AWS account id ${got(i)}`),
  ),
  siesa: v.strictObject({
    baseUrl,
    companyId: integer(1, Number.MAX_SAFE_INTEGER),
    erpCompany: integer(1, Number.MAX_SAFE_INTEGER),
  }),
  product: v.strictObject({
    type: v.picklist(PRODUCT_TYPES),
    baseUrl,
    endpoints: v.record(v.string(), endpointPath),
    defaults: v.record(
      v.pipe(
        v.string(),
        v.check(
          (key) => !SECRET_LIKE.test(key),
          "looks like a credential: secrets belong in Secrets Manager",
        ),
      ),
      v.pipe(
        v.union([v.string(), v.number(), v.boolean()]),
        v.check(
          (value) => typeof value !== "string" || !SECRET_VALUE.test(value.trim()),
          "looks like a credential (a token or key): secrets belong in Secrets Manager",
        ),
      ),
    ),
  }),
  sync: v.strictObject({
    schedule,
    retryAttempts: v.optional(integer(0, 10), 3),
    concurrency: v.optional(
      v.pipe(
        integer(1, Number.MAX_SAFE_INTEGER),
        v.maxValue(
          MAX_TENANT_CONCURRENCY,
          (i) =>
            `must be at most ${MAX_TENANT_CONCURRENCY}, the units and loads workers the deployment runs at once (maximumConcurrency in runtime/core/domain/pipeline-config.ts) ${got(i)}`,
        ),
      ),
      4,
    ),
    maxRunMinutes: v.optional(
      v.pipe(
        integer(1, 24 * 60),
        v.minValue(
          SHORTEST_RUN_MINUTES,
          (i) =>
            `must be at least ${SHORTEST_RUN_MINUTES}: a run must outlast one invocation of its workers (the ${LONGEST_RUN_WORKER} worker may take ${LONGEST_RUN_WORKER_SECONDS} s, WORKERS in runtime/core/domain/pipeline-config.ts), or nothing that failed within it is tried again ${got(i)}`,
        ),
      ),
      60,
    ),
    maxDeactivations: v.optional(integer(0, 10_000_000)),
    drift: v.optional(
      v.strictObject({
        share: v.optional(
          v.pipe(
            v.number(),
            v.minValue(0.01, (i) => `must be at least 0.01 ${got(i)}`),
            v.maxValue(1, (i) => `must be at most 1 ${got(i)}`),
          ),
          0.5,
        ),
        minRows: v.optional(integer(1, 1_000_000), 20),
      }),
    ),
  }),
  mapping: v.pipe(v.string(), v.nonEmpty("must name a mapping in mappings/")),
  streams: v.optional(
    v.strictObject({
      warehouses: v.optional(
        v.strictObject({
          schedule,
          location: v.strictObject({
            type: productCode("must name the product's location type, e.g. E1"),
            parent: v.nullable(productCode("must be a location's external id, or null")),
            zoneType: v.optional(productCode("must be a zone type, or be left out")),
          }),
          locationsConfirmed: v.optional(
            v.pipe(
              v.string(),
              v.minLength(
                10,
                "must say who confirmed the WMS's locations endpoint, and when (at least 10 characters)",
              ),
            ),
          ),
        }),
      ),
      stock: v.optional(
        v.strictObject({
          schedule,
          warehouses: v.optional(
            v.pipe(
              v.array(v.pipe(v.string(), v.trim(), v.nonEmpty("must be a warehouse code (f150_id)"))),
              v.nonEmpty("must list at least one warehouse code, or be left out (every active warehouse)"),
            ),
          ),
          subtract: v.optional(v.array(v.picklist(STOCK_DEDUCTIONS)), () => [...STOCK_DEDUCTIONS]),
        }),
      ),
    }),
  ),
  sharedWith: v.optional(
    v.record(
      v.string(),
      v.pipe(v.string(), v.minLength(10, "must say why the two tenants share it (at least 10 characters)")),
    ),
  ),
  notify: v.optional(
    v.pipe(
      v.strictObject({
        emails: v.optional(
          v.pipe(
            v.array(
              v.pipe(
                v.string(),
                v.check(isEmailAddress, (i) => `must be an email address ${got(i)}`),
              ),
            ),
            // Each address is a subscription named after it (infra/tenant.ts): `pulumi up` refuses a
            // second resource of one name, and one mailbox in two cases would be subscribed twice.
            v.rawCheck(({ dataset, addIssue }) => {
              if (!dataset.typed) return;
              const emails = dataset.value;
              const first = new Map<string, number>();
              emails.forEach((email, index) => {
                const earlier = first.get(email.toLowerCase());
                if (earlier === undefined) first.set(email.toLowerCase(), index);
                else
                  addIssue({
                    message: `lists "${email}" again (as notify.emails.${earlier}): each address once`,
                    path: [{ type: "array", origin: "value", input: emails, key: index, value: email }],
                  });
              });
            }),
          ),
          [],
        ),
        webhook: v.optional(v.boolean(), false),
        partialAbove: v.optional(
          v.pipe(
            v.number(),
            v.minValue(0, (i) => `must be at least 0 ${got(i)}`),
            v.maxValue(1, (i) => `must be at most 1 (a share: 0.05 is 5 %) ${got(i)}`),
          ),
          DEFAULT_PARTIAL_ABOVE,
        ),
        on: v.optional(
          v.pipe(v.array(v.picklist(NOTIFY_KINDS)), v.nonEmpty("must name at least one event")),
          () => [...NOTIFY_KINDS],
        ),
      }),
      v.check(
        (n) => n.emails.length > 0 || n.webhook,
        "names nobody: list emails, or set webhook: true (its URL goes in the tenant's notify secret)",
      ),
    ),
  ),
});
type TenantShape = v.InferOutput<typeof TenantObject>;

/** Whether a Kong tenant's warehouses have the customer each location belongs to (customer_ids). */
const kongWarehousesHaveCustomer = (t: {
  product: { type: string; defaults: Record<string, unknown> };
  streams?: { warehouses?: unknown } | undefined;
}): boolean => {
  if (t.product.type !== "kong-rfid" || !t.streams?.warehouses) return true;
  // A positive whole number, written as a number or as digits: String() of such a number is digits.
  return /^[1-9]\d*$/.test(String(t.product.defaults.customer_id ?? ""));
};

/**
 * The names of product.endpoints each product's clients read, each with a default path in its
 * client (runtime/edges/http/products/): a name not listed is never read, so a typo (`sku`) would
 * leave the tenant on the default path without a word.
 */
export const PRODUCT_ENDPOINTS = {
  "kong-rfid": ["skus", "locations", "login"],
  wms: ["products", "locations", "login"],
} as const satisfies Record<ProductType, readonly string[]>;

/** Why the tenant's product.endpoints names an endpoint its product has not, if it does. */
const unknownEndpointsProblem = (product: { type: ProductType; endpoints: Record<string, string> }) => {
  const known: readonly string[] = PRODUCT_ENDPOINTS[product.type];
  const unknown = Object.keys(product.endpoints).filter((name) => !known.includes(name));
  if (unknown.length === 0) return undefined;
  const names = unknown.map((name) => `"${name}"`).join(", ");
  return `${names} ${unknown.length === 1 ? "is no endpoint" : "are no endpoints"} of ${product.type} (its endpoints: ${known.join(", ")}): an unknown name is never read, so its default path would be used`;
};

/**
 * Hosts documented as test systems (docs/integrations/INT-001-siesa.md, INT-002-kong-rfid.md), each
 * with its production counterpart: a production tenant on one (a staging file copied with only its
 * environment changed) would have the prod stack sync the client's test data.
 */
const TEST_HOSTS: Readonly<Record<string, { what: string; production: string; verb: string }>> = {
  "serviciosqa.siesacloud.com": {
    what: "Siesa's QA host",
    production: "servicios.siesacloud.com",
    verb: "reads",
  },
  "api-staging.technoapes.io": {
    what: "Kong's staging host",
    production: "api.technoapes.io",
    verb: "writes to",
  },
};

const testHostOf = (environment: string, url: string) =>
  environment === "production" && URL.canParse(url) ? TEST_HOSTS[new URL(url).host] : undefined;

const testHostMessage = (url: string) => {
  const host = new URL(url).host;
  const test = TEST_HOSTS[host];
  return `${host} is ${test?.what}, and environment is "production": a production tenant ${test?.verb} ${test?.production} (or is its environment wrong?)`;
};

/** Plain http is for sandboxes on this machine only. partialCheck runs even when other fields are broken. */
const httpsUnlessLocal = (environment: string, url: string) =>
  environment === "local" || url.startsWith("https://") || baseUrlProblem(url) !== undefined; // reported once, above
const httpsMessage = (url: string) =>
  `must use https:// outside the local environment (got "${redactUrl(url)}")`;

export const TenantSchema = v.pipe(
  TenantObject,
  v.forward(
    v.partialCheck(
      [["environment"], ["siesa", "baseUrl"]],
      (t) => httpsUnlessLocal(t.environment, t.siesa.baseUrl),
      (i) => httpsMessage((i.input as TenantShape).siesa.baseUrl),
    ),
    ["siesa", "baseUrl"],
  ),
  v.forward(
    v.partialCheck(
      [["environment"], ["product", "baseUrl"]],
      (t) => httpsUnlessLocal(t.environment, t.product.baseUrl),
      (i) => httpsMessage((i.input as TenantShape).product.baseUrl),
    ),
    ["product", "baseUrl"],
  ),
  v.forward(
    v.partialCheck(
      [["environment"], ["siesa", "baseUrl"]],
      (t) => testHostOf(t.environment, t.siesa.baseUrl) === undefined,
      (i) => testHostMessage((i.input as TenantShape).siesa.baseUrl),
    ),
    ["siesa", "baseUrl"],
  ),
  v.forward(
    v.partialCheck(
      [["environment"], ["product", "baseUrl"]],
      (t) => testHostOf(t.environment, t.product.baseUrl) === undefined,
      (i) => testHostMessage((i.input as TenantShape).product.baseUrl),
    ),
    ["product", "baseUrl"],
  ),
  v.forward(
    v.partialCheck(
      [
        ["product", "type"],
        ["product", "endpoints"],
      ],
      (t) => unknownEndpointsProblem(t.product) === undefined,
      (i) => unknownEndpointsProblem((i.input as TenantShape).product) ?? "",
    ),
    ["product", "endpoints"],
  ),
  v.forward(
    v.partialCheck(
      [["product", "type"], ["product", "defaults", "customer_id"], ["streams"]],
      kongWarehousesHaveCustomer,
      "must be the Kong customer's id, a whole number, for streams.warehouses: each location's customer_ids is [customer_id], and Kong refuses every location without one",
    ),
    // Valibot's typed paths stop at a record (defaults); the issue's path goes on to its key.
    ["product", "defaults", "customer_id"] as unknown as ["product", "defaults"],
  ),
);

/** What a tenant file may write: sync.retryAttempts, concurrency and maxRunMinutes have defaults. */
export type TenantInput = v.InferInput<typeof TenantSchema>;

// The schema's output and the documented Tenant interface must stay the same type.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesTenant: Same<v.InferOutput<typeof TenantSchema>, Tenant> = true;
void schemaMatchesTenant;

export type TenantIssue = { field: string; problem: string };

/** Validates one tenant; every problem comes back as a field path and a sentence. */
export function parseTenant(
  value: unknown,
): { ok: true; tenant: Tenant } | { ok: false; issues: TenantIssue[] } {
  const result = v.safeParse(TenantSchema, value);
  if (result.success) return { ok: true, tenant: result.output };
  const unknown = unknownKeysByObject(TenantObject, value);
  const issues = result.issues.flatMap((issue): TenantIssue[] => {
    if (!isUnknownKey(issue)) return [describeIssue(issue)];
    const parent = (issue.path ?? []).slice(0, -1).map((item) => String(item.key));
    const keys = unknown.get(parent.join(".")) ?? [String(issue.input)];
    return keys.map((key) => ({ field: [...parent, key].join("."), problem: UNKNOWN_FIELD }));
  });
  return { ok: false, issues };
}

const UNKNOWN_FIELD = "unknown field (a tenant file holds only the documented fields, and never secrets)";

const isUnknownKey = (issue: v.BaseIssue<unknown>) =>
  issue.kind === "schema" && issue.type === "strict_object" && issue.expected === "never";

/** The parts of a valibot schema this walk reads: strict objects' entries, records' values, wrappers. */
type SchemaNode = {
  type: string;
  entries?: Record<string, SchemaNode>;
  value?: SchemaNode;
  wrapped?: SchemaNode;
};

/**
 * Every unknown key of each object of `value`, by the object's dot path: valibot's strictObject
 * reports only the first of an object, and a reviewer would meet the next typo only on the next run.
 */
function unknownKeysByObject(
  schema: SchemaNode,
  value: unknown,
  path: readonly string[] = [],
  found = new Map<string, string[]>(),
): Map<string, string[]> {
  let node = schema;
  while (node.wrapped) node = node.wrapped; // optional, nullable
  if (typeof value !== "object" || value === null || Array.isArray(value)) return found;
  const object = value as Record<string, unknown>;
  if (node.type === "strict_object" && node.entries) {
    const entries = node.entries;
    const unknown = Object.keys(object).filter((key) => !Object.hasOwn(entries, key));
    if (unknown.length > 0) found.set(path.join("."), unknown);
    for (const [key, entry] of Object.entries(entries))
      unknownKeysByObject(entry, object[key], [...path, key], found);
  } else if (node.type === "record" && node.value) {
    for (const [key, item] of Object.entries(object))
      unknownKeysByObject(node.value, item, [...path, key], found);
  }
  return found;
}

function describeIssue(issue: v.BaseIssue<unknown>): TenantIssue {
  const field = v.getDotPath(issue) ?? "(tenant)";
  if (issue.kind !== "schema") return { field, problem: issue.message };
  if (issue.input === undefined) return { field, problem: "missing" };
  if (issue.type === "picklist") {
    const options = (issue.expected ?? "")
      .replace(/^\(|\)$/g, "")
      .split(" | ")
      .join(", ");
    return { field, problem: `must be one of ${options} (got ${issue.received})` };
  }
  return { field, problem: `must be ${article(issue.expected)} (got ${issue.received})` };
}

const article = (expected: string | null) =>
  expected === "Object" ? "an object" : expected ? `a ${expected}` : "something else";

/**
 * A tenant id that names no tenant: not among the tenant files (`known` lists those there are) or,
 * without `known`, not deployed (no configuration in the tenants table).
 */
export class UnknownTenantError extends Error {
  override readonly name = "UnknownTenantError";
  constructor(
    readonly tenantId: string,
    readonly known?: readonly string[],
  ) {
    super(
      known
        ? `unknown tenant "${tenantId}" (known: ${known.length > 0 ? known.join(", ") : "none"})`
        : `tenant ${tenantId} is not deployed (no configuration in the tenants table)`,
    );
  }
}
