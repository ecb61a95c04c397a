import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MAPPINGS } from "../../mappings/index.js";
import { type CompiledMapping, compileMapping, type MappingDefinition } from "../core/domain/mapping.js";
import { longestScheduleName, SCHEDULE_NAME_MAX_LENGTH } from "../core/domain/resource-names.js";
import { nextFireTime, ScheduleError } from "../core/domain/schedule.js";
import { DEFAULT_STREAM, scheduleOf, streamsOf } from "../core/domain/stream.js";
import {
  parseTenant,
  type Tenant,
  type TenantEnvironment,
  UnknownTenantError,
} from "../core/domain/tenant.js";

/**
 * Every tenant file under tenants/, validated together. Problems from all files are collected
 * (one TenantConfigError each, naming file, field and what is wrong) so a reviewer sees them
 * all at once instead of fixing one per CI run.
 */

export interface TenantRegistry {
  all(): Tenant[];
  get(id: string): Tenant | undefined;
  /** Throws UnknownTenantError listing the known ids. */
  require(id: string): Tenant;
  forEnvironment(environment: TenantEnvironment): Tenant[];
}

/** One problem in one tenant file, e.g. `tenants/acme.ts: sync.retryAttempts: must be at most 10 (got 50)`. */
export class TenantConfigError extends Error {
  override readonly name = "TenantConfigError";
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}: ${field}: ${problem}`);
  }
}

/** Thrown when any tenant file is bad; `errors` holds every problem of every file. */
export class TenantConfigErrors extends Error {
  override readonly name = "TenantConfigErrors";
  constructor(readonly errors: TenantConfigError[]) {
    const noun = errors.length === 1 ? "problem" : "problems";
    super(
      `${errors.length} tenant configuration ${noun}:\n${errors.map((e) => `  ${e.message}`).join("\n")}`,
    );
  }
}

/** A tenant file's default export, or why it could not be read. */
export interface TenantEntry {
  /** As shown in messages, e.g. `tenants/acme.ts`. */
  file: string;
  value: unknown;
  loadError?: string;
}

export const DEFAULT_TENANTS_DIR = fileURLToPath(new URL("../../tenants/", import.meta.url));

/** Reads and validates every `*.ts` tenant file in `dir` (default: the repository's tenants/). */
export async function loadTenants(options: { dir?: string } = {}): Promise<TenantRegistry> {
  return buildRegistry(await readTenantFiles(options.dir ?? DEFAULT_TENANTS_DIR));
}

/** Imports each tenant file's default export; a file that fails to import becomes an entry with `loadError`. */
export async function readTenantFiles(dir: string): Promise<TenantEntry[]> {
  let found: Dirent[];
  try {
    found = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new TenantConfigErrors([
      new TenantConfigError(displayPath(dir), "(directory)", `cannot be read: ${messageOf(error)}`),
    ]);
  }
  const isTenantFile = (d: Dirent) => d.isFile() && d.name.endsWith(".ts") && !d.name.endsWith(".d.ts");
  // A folder, or code or data in another format, would hold a tenant no stack ever deploys: said, not skipped.
  const unread: TenantEntry[] = found
    .filter(
      (d) => !d.name.startsWith(".") && (d.isDirectory() || (!isTenantFile(d) && NOT_READ.test(d.name))),
    )
    .map((d) => ({
      file: displayPath(path.join(dir, d.name)),
      value: undefined,
      loadError: "is never read: a tenant is a file <id>.ts directly in tenants/",
    }));
  const files = found
    .filter(isTenantFile)
    .map((d) => d.name)
    .sort();
  const read = await Promise.all(
    files.map(async (name): Promise<TenantEntry> => {
      const absolute = path.join(dir, name);
      const file = displayPath(absolute);
      try {
        const module = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
        if (!("default" in module)) {
          return {
            file,
            value: undefined,
            loadError: "no default export: write `export default defineTenant({...})`",
          };
        }
        return { file, value: module.default };
      } catch (error) {
        return { file, value: undefined, loadError: `cannot be loaded: ${messageOf(error)}` };
      }
    }),
  );
  return [...read, ...unread];
}

/** Names of code or data files a tenant could be mistaken to live in. */
const NOT_READ = /\.(m?js|cjs|mts|cts|tsx|jsx|json|ya?ml)$/;

/**
 * The pure part: validates entries and builds the registry, or throws TenantConfigErrors with
 * every problem. `mappings` defaults to the shipped mappings/ (tests pass their own).
 */
export function buildRegistry(
  entries: readonly TenantEntry[],
  options: { mappings?: Readonly<Record<string, MappingDefinition>> } = {},
): TenantRegistry {
  const mappings = options.mappings ?? MAPPINGS;
  const now = new Date();
  const compiled = new Map<string, CompiledMapping>();
  const errors: TenantConfigError[] = [];
  const tenants: Tenant[] = [];
  /** Tenants whose file has problems elsewhere but whose identity fields are right: checked for overlaps too. */
  const partly: Tenant[] = [];
  const fileOfId = new Map<string, string>();

  for (const entry of entries) {
    // Read the id before validating, so a duplicate is reported even when either file has other problems.
    const id = isObject(entry.value) && typeof entry.value.id === "string" ? entry.value.id : undefined;
    const earlier = id === undefined ? undefined : fileOfId.get(id);
    if (earlier)
      errors.push(
        new TenantConfigError(entry.file, "id", `duplicate id "${id}" (also defined in ${earlier})`),
      );
    else if (id !== undefined) fileOfId.set(id, entry.file);
    // The file name is how a reviewer, the plan diff and `--tenant` find a tenant: it must be its id.
    const name = path.basename(entry.file, ".ts");
    if (id !== undefined && id !== name)
      errors.push(
        new TenantConfigError(
          entry.file,
          "id",
          `the file is named "${name}" but the id is "${id}": a tenant file is named after its id (rename it to ${id}.ts, or set id: "${name}")`,
        ),
      );
  }

  for (const entry of entries) {
    const problem = (field: string, text: string) =>
      errors.push(new TenantConfigError(entry.file, field, text));
    if (entry.loadError) {
      problem("(file)", entry.loadError);
      continue;
    }
    const parsed = parseTenant(entry.value);
    if (!parsed.ok) {
      for (const issue of parsed.issues) problem(issue.field, issue.problem);
      // The mapping is checked as far as the fields it needs are right, so a reviewer sees a
      // file's problems in one run rather than the mapping's only once the rest is fixed.
      const unsure = (field: string) =>
        parsed.issues.some((i) => i.field === field || i.field.startsWith(`${field}.`));
      const own = isObject(entry.value) && fileOfId.get(String(entry.value.id)) === entry.file; // not a duplicate id
      if (own && !unsure("(tenant)") && !OVERLAP_FIELDS.some(unsure))
        partly.push(entry.value as unknown as Tenant);
      if (isObject(entry.value) && !unsure("(tenant)") && !unsure("mapping")) {
        const value = entry.value as unknown as Tenant;
        // With product wrong, only whether the mapping exists (and compiles) can be told.
        const mapping = unsure("product") ? compiledMapping(value.mapping, mappings, compiled) : undefined;
        if (typeof mapping === "string") problem("mapping", mapping);
        else if (mapping === undefined)
          for (const found of mappingProblems(value, mappings, compiled)) problem(found.field, found.problem);
      }
      continue;
    }
    const tenant = parsed.tenant;
    const tooLong = scheduleNameProblem(tenant);
    if (tooLong) problem("id", tooLong);
    for (const found of silentSchedules(tenant, now)) problem(found.field, found.problem);

    for (const found of mappingProblems(tenant, mappings, compiled)) problem(found.field, found.problem);
    // A reason waives the overlap check for whichever tenant has that id: a misspelt or stale one would
    // waive it for a tenant added later, unreviewed.
    for (const other of Object.keys(tenant.sharedWith ?? {}))
      if (!fileOfId.has(other))
        problem(
          `sharedWith.${other}`,
          `names no tenant (the tenants: ${[...fileOfId.keys()].sort().join(", ")})`,
        );
    tenants.push(tenant);
  }

  errors.push(...overlaps([...tenants, ...partly], fileOfId));

  if (errors.length > 0) {
    errors.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)); // stable: a file's problems stay in order
    throw new TenantConfigErrors(errors);
  }
  return registryOf(tenants);
}

/** What is wrong between the tenant and the mapping it names: none, another product's, or defaults it lacks. */
function mappingProblems(
  tenant: Tenant,
  mappings: Readonly<Record<string, MappingDefinition>>,
  compiled: Map<string, CompiledMapping>,
): { field: string; problem: string }[] {
  const mapping = compiledMapping(tenant.mapping, mappings, compiled);
  if (typeof mapping === "string") return [{ field: "mapping", problem: mapping }];
  if (mapping.product !== tenant.product.type) {
    return [
      {
        field: "mapping",
        problem: `mapping "${mapping.name}" is for product ${mapping.product}, but product.type is ${tenant.product.type}`,
      },
    ];
  }
  return [...mapping.checkTenant(tenant), ...unreadDefaults(tenant, mapping)];
}

/**
 * product.defaults keys nothing reads: the mapping's (fromTenant, mapThrough's tenantKey) and, on
 * Kong, customer_id (verify and the warehouses read it). A misspelt optional one (the WMS's
 * reception_type) would otherwise leave its field unsent without a word.
 */
function unreadDefaults(tenant: Tenant, mapping: CompiledMapping): { field: string; problem: string }[] {
  const read = new Set([
    ...mapping.tenantDefaults,
    ...(tenant.product.type === "kong-rfid" ? ["customer_id"] : []),
  ]);
  const prefixes = mapping.tenantKeyPrefixes.map((prefix) => `${prefix}.`);
  const reads = [...[...read].sort(), ...prefixes.map((prefix) => `${prefix}<value>`)].join(", ");
  return Object.keys(tenant.product.defaults)
    .filter((key) => !read.has(key) && !prefixes.some((prefix) => key.startsWith(prefix)))
    .map((key) => ({
      field: `product.defaults.${key}`,
      problem: `is read by nothing (mapping "${mapping.name}" reads ${reads})`,
    }));
}

/**
 * The tenant's schedules that never fire after `now` (a 30 February, years that are over, an at(...)
 * that has passed): EventBridge Scheduler never invokes them, so nothing would fail, the stream
 * would just never sync. A cron nextFireTime cannot evaluate (L, W, #) is let through.
 */
function silentSchedules(tenant: Tenant, now: Date): { field: string; problem: string }[] {
  return streamsOf(tenant).flatMap((stream) => {
    const expression = scheduleOf(tenant, stream);
    let next: Date | undefined;
    try {
      next = nextFireTime(expression, now);
    } catch (error) {
      if (error instanceof ScheduleError) return [];
      throw error;
    }
    if (next !== undefined) return [];
    const field = stream === DEFAULT_STREAM ? "sync.schedule" : `streams.${stream}.schedule`;
    const what = stream === DEFAULT_STREAM ? "the catalogue" : "the stream";
    return [{ field, problem: `${expression} never fires after now: ${what} would never sync` }];
  });
}

/** Why the tenant's longest schedule name would be refused by EventBridge Scheduler, if it would. */
function scheduleNameProblem(tenant: Tenant): string | undefined {
  const name = longestScheduleName(tenant.id, streamsOf(tenant));
  if (name.length <= SCHEDULE_NAME_MAX_LENGTH) return undefined;
  const fits = SCHEDULE_NAME_MAX_LENGTH - (name.length - tenant.id.length);
  return `"${tenant.id}" makes the schedule name "${name}" ${name.length} characters long, over EventBridge Scheduler's limit of ${SCHEDULE_NAME_MAX_LENGTH} (shorten the id to at most ${fits} characters)`;
}

/**
 * What no two tenants may share without saying why: a copied tenant file with only its id changed
 * would otherwise pass review pointing at another client's account, ERP company and product
 * customer, and two runs would write each other's records.
 */
const SHARED: readonly { field: string; what: string; key: (t: Tenant) => string | undefined }[] = [
  { field: "clientAccount", what: "client account", key: (t) => t.clientAccount },
  {
    field: "siesa",
    what: "Siesa company",
    key: (t) => `${hostOf(t.siesa.baseUrl)} company ${t.siesa.companyId}, ERP company ${t.siesa.erpCompany}`,
  },
  {
    field: "product",
    what: "product customer",
    // A WMS instance serves one client: its host is the customer. Kong's customers share a host.
    key: (t) =>
      t.product.type === "wms"
        ? `${hostOf(t.product.baseUrl)}`
        : `${hostOf(t.product.baseUrl)} customer ${customerOf(t.product.defaults.customer_id)}`,
  },
];

/** A Kong customer id as the mapping sends it (toInteger: " 017" is 17), so one customer has one key. */
const customerOf = (value: unknown): string => {
  const text = String(value).trim();
  return /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? String(Number(text)) : text;
};

/** The fields `overlaps` reads: when they are right, a file's overlaps are reported beside its other problems. */
const OVERLAP_FIELDS = ["id", "environment", "clientAccount", "siesa", "product", "sharedWith"];

/** Each pair of tenants sharing one of SHARED, unless either file's `sharedWith` names the other. */
function overlaps(tenants: readonly Tenant[], fileOfId: ReadonlyMap<string, string>): TenantConfigError[] {
  const found: TenantConfigError[] = [];
  for (const { field, what, key } of SHARED) {
    const first = new Map<string, Tenant>();
    // Local tenants point at the sandboxes on this machine, whose accounts are everyone's.
    const deployed = tenants.filter((t) => t.environment !== "local");
    for (const tenant of deployed.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const value = key(tenant);
      if (value === undefined) continue;
      const other = first.get(value);
      if (!other) {
        first.set(value, tenant);
        continue;
      }
      if (tenant.sharedWith?.[other.id] || other.sharedWith?.[tenant.id]) continue;
      if (tenant.id === other.id) continue; // a duplicate id, reported as such
      // Which of the two is the copy is the reviewer's call: both files are named.
      for (const [self, them] of [
        [other, tenant],
        [tenant, other],
      ] as const)
        found.push(
          new TenantConfigError(
            fileOfId.get(self.id) ?? self.id,
            field,
            `shares its ${what} (${value}) with ${them.id} (${fileOfId.get(them.id) ?? them.id}): two tenants must not point at the same ${what} unless one of their files says why, with sharedWith: { "${them.id}": "<why>" }`,
          ),
        );
    }
  }
  return found;
}

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/** The compiled mapping a tenant names, or why there is none. Compiles each mapping once. */
function compiledMapping(
  name: string,
  mappings: Readonly<Record<string, MappingDefinition>>,
  cache: Map<string, CompiledMapping>,
): CompiledMapping | string {
  const known = Object.keys(mappings).sort();
  const definition = Object.hasOwn(mappings, name) ? mappings[name] : undefined;
  if (!definition) return `unknown mapping "${name}" (known: ${known.join(", ")})`;
  const cached = cache.get(name);
  if (cached) return cached;
  try {
    const mapping = compileMapping(definition);
    cache.set(name, mapping);
    return mapping;
  } catch (error) {
    return messageOf(error);
  }
}

function registryOf(tenants: Tenant[]): TenantRegistry {
  const sorted = [...tenants].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byId = new Map(sorted.map((t) => [t.id, t]));
  return {
    all: () => [...sorted],
    get: (id) => byId.get(id),
    require(id) {
      const tenant = byId.get(id);
      if (!tenant) throw new UnknownTenantError(id, [...byId.keys()]);
      return tenant;
    },
    forEnvironment: (environment) => sorted.filter((t) => t.environment === environment),
  };
}

/** Paths under the working directory read relatively (`tenants/acme.ts`); others stay absolute. */
function displayPath(absolute: string): string {
  const relative = path.relative(process.cwd(), absolute);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : absolute;
}

/** One line per problem: multi-line messages (e.g. a syntax error's location) are folded. */
const messageOf = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
