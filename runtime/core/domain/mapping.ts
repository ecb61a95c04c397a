import { SOURCE_PATHS, type SourcePath } from "./mapping-sources.js";
import type { CanonicalItem, ProductRecord, ProductType, SourceRecord } from "./model.js";
import type { Tenant } from "./tenant.js";
import {
  compileStep,
  type Entry,
  Rejected,
  type Scalar,
  type Step,
  type StepFn,
  type Value,
} from "./transforms.js";

/**
 * Mappings as code: a mapping is plain data (see mappings/kong.ts) in two stages,
 * Siesa `SourceRecord` → `CanonicalItem` → the product's payload. `compileMapping` checks the
 * whole definition once (unknown transforms or fields are refused, naming mapping and field)
 * and turns it into closures, so `map` does no lookups per record and never throws: a record
 * that does not fit comes back rejected with a reason per field.
 */

export type CanonicalField = keyof CanonicalItem;

/** Where a value comes from (`from`, omitted for constants and tenant values) and what is done to it. */
export interface FieldRule<From extends string> {
  from?: From;
  pipe?: readonly Step[];
}

/** A payload entry: a canonical field's name, a rule over the canonical item, or a nested object. */
export type PayloadEntry = CanonicalField | FieldRule<CanonicalField> | { fields: PayloadSpec };
export interface PayloadSpec {
  [key: string]: PayloadEntry;
}

export interface MappingDefinition {
  name: string;
  product: ProductType;
  /** One rule per canonical field, reading Siesa columns (`f120_…`, or `barcodes.f131_id` for the list). */
  canonical: { [K in CanonicalField]: FieldRule<SourcePath> };
  /** The product's payload, in key order; entries whose value is absent are left out. */
  payload: PayloadSpec;
  /** Canonical field that identifies the record in the product (default `sku`). */
  externalId?: CanonicalField;
  /**
   * The top-level payload fields the product's list answers with, when that is fewer than the
   * payload (the WMS lists `name`, `barcode`, `status`, `external_id`): verify can compare only
   * those, against a hash of them the ledger keeps beside the payload's.
   */
  listed?: readonly string[];
}

export type MapResult =
  | { ok: true; item: CanonicalItem; record: ProductRecord }
  | { ok: false; reason: string; fields: Record<string, string> };

export interface CompiledMapping {
  name: string;
  product: ProductType;
  /** Keys of `tenant.product.defaults` the mapping reads with `fromTenant`. */
  tenantDefaults: readonly string[];
  /** Prefixes of the keys it reads with mapThrough's `tenantKey` (`<prefix>.<value>`). */
  tenantKeyPrefixes: readonly string[];
  map(source: SourceRecord, tenant: Tenant): MapResult;
  /**
   * The payload that sets a record inactive: each top-level payload field written straight from the
   * canonical `active` (Kong `is_active`, WMS `active`) set to false. Undefined when there is none.
   */
  inactive?: Record<string, unknown>;
  /** The payload fields the product's list answers with, when fewer than the payload (see MappingDefinition). */
  listed?: readonly string[];
  /** Problems caused by the tenant's own values (e.g. a missing or non-numeric Kong type_id), found without any record. */
  checkTenant(tenant: Tenant): { field: string; problem: string }[];
}

/** Gives editors the definition's type; checking happens in `compileMapping`. */
export function defineMapping(definition: MappingDefinition): MappingDefinition {
  return definition;
}

export class MappingDefinitionError extends Error {
  override readonly name = "MappingDefinitionError";
  constructor(
    readonly mapping: string,
    readonly problems: string[],
  ) {
    super(`mapping "${mapping}" is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export type Kind = "text" | "optional-text" | "integer" | "boolean" | "text-list" | "entry-list";

/** Canonical fields in the order items are built (one object shape for every record). */
export const CANONICAL: Readonly<Record<CanonicalField, Kind>> = {
  sku: "text",
  sourceId: "integer",
  name: "text",
  description: "text",
  unit: "text",
  barcodes: "text-list",
  ean: "optional-text",
  barcodeUnits: "entry-list",
  active: "boolean",
  erpCompany: "integer",
};
const CANONICAL_FIELDS = Object.keys(CANONICAL) as CanonicalField[];
const PRODUCTS: readonly ProductType[] = ["kong-rfid", "wms"];

function kindProblem(kind: Kind, value: Value): string | undefined {
  if (kind === "optional-text" && value === undefined) return undefined;
  if (value === undefined || value === null) return "missing";
  switch (kind) {
    case "text":
    case "optional-text":
      return typeof value === "string" ? undefined : `must be text (got ${JSON.stringify(value)})`;
    case "integer":
      return Number.isSafeInteger(value) ? undefined : `must be an integer (got ${JSON.stringify(value)})`;
    case "boolean":
      return typeof value === "boolean" ? undefined : `must be true or false (got ${JSON.stringify(value)})`;
    case "text-list":
      return Array.isArray(value) && value.every((v) => typeof v === "string")
        ? undefined
        : `must be a list of text (got ${JSON.stringify(value)})`;
    case "entry-list":
      return Array.isArray(value) && value.every((v) => typeof v === "object" && v !== null)
        ? undefined
        : `must be a list of entries (got ${JSON.stringify(value)})`;
  }
}

interface Pipeline {
  /** Path used in reasons: `sku`, `payload.type_id`. */
  path: string;
  steps: StepFn[];
  /** Tenant default keys read by the pipeline. */
  tenantKeys: string[];
  /** Prefixes of tenant default keys read by a mapThrough with tenantKey. */
  tenantKeyPrefixes: string[];
  /** No `from`: the result depends on the tenant only. */
  sourceFree: boolean;
}

interface CanonicalRule extends Pipeline {
  field: CanonicalField;
  read: (source: SourceRecord) => Value;
  kind: Kind;
}

type PayloadNode =
  | (Pipeline & { key: string; read: (item: CanonicalItem) => Value })
  | { key: string; path: string; children: PayloadNode[] };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const absent = () => undefined;

function runPipeline(steps: readonly StepFn[], input: Value, tenant: Tenant): Value | Rejected {
  let value = input;
  for (let i = 0; i < steps.length; i++) {
    const out = (steps[i] as StepFn)(value, tenant);
    if (out instanceof Rejected) return out;
    value = out;
  }
  return value;
}

/** Checks a definition completely and compiles it; throws one MappingDefinitionError listing every problem. */
export function compileMapping(definition: MappingDefinition): CompiledMapping {
  const problems: string[] = [];
  const def: Record<string, unknown> = isObject(definition) ? definition : {};
  if (!isObject(definition)) problems.push("the definition must be an object");
  const name = typeof def.name === "string" && def.name !== "" ? def.name : "(unnamed)";
  if (name === "(unnamed)") problems.push("name: must be a non-empty string");
  const product = def.product as ProductType;
  if (!PRODUCTS.includes(product)) {
    problems.push(`product: must be one of ${PRODUCTS.join(", ")} (got ${JSON.stringify(def.product)})`);
  }
  for (const key of Object.keys(def)) {
    if (!["name", "product", "canonical", "payload", "externalId", "listed"].includes(key)) {
      problems.push(
        `${key}: unknown key (a mapping has name, product, canonical, payload, externalId, listed)`,
      );
    }
  }

  const canonical = compileCanonical(def.canonical, problems);
  const payload = isObject(def.payload) ? compilePayload(def.payload, "payload", problems) : [];
  if (!isObject(def.payload)) problems.push("payload: must be an object of payload fields");
  else if (Object.keys(def.payload).length === 0) problems.push("payload: must have at least one field");

  const externalId = (def.externalId ?? "sku") as CanonicalField;
  if (!Object.hasOwn(CANONICAL, externalId)) {
    problems.push(
      `externalId: unknown canonical field ${JSON.stringify(externalId)} (known: ${CANONICAL_FIELDS.join(", ")})`,
    );
  } else if (CANONICAL[externalId] !== "text" && CANONICAL[externalId] !== "integer") {
    problems.push(`externalId: ${externalId} is a ${CANONICAL[externalId]}, not text or an integer`);
  } else if (product === "wms" && externalId !== "sourceId") {
    problems.push(
      `externalId: a wms mapping's external id must be sourceId, the record's key: the WMS's deactivation PATCH carries external_id and knows only the key, so any other would rename the product (got ${externalId})`,
    );
  }

  const listed = def.listed as readonly string[] | undefined;
  if (listed !== undefined) {
    if (!Array.isArray(listed) || listed.length === 0)
      problems.push("listed: must be a list of payload fields");
    else
      for (const field of listed)
        if (!isObject(def.payload) || !Object.hasOwn(def.payload, field))
          problems.push(`listed: ${JSON.stringify(field)} is not a top-level payload field`);
  }

  if (problems.length > 0) throw new MappingDefinitionError(name, problems);

  const pipelines: Pipeline[] = [...canonical, ...leaves(payload)];
  const tenantDefaults = [...new Set(pipelines.flatMap((p) => p.tenantKeys))];
  const tenantKeyPrefixes = [...new Set(pipelines.flatMap((p) => p.tenantKeyPrefixes))];
  const sourceFree = pipelines.filter((p) => p.sourceFree);
  // map() is synchronous, so one scratch slot per compiled mapping collects payload failures.
  const scratch: { failed?: Record<string, string> } = {};

  const inactive = inactivePayload(def.payload as PayloadSpec);
  return {
    name,
    product,
    tenantDefaults,
    tenantKeyPrefixes,
    ...(inactive ? { inactive } : {}),
    ...(listed ? { listed } : {}),
    map(source, tenant) {
      let failed: Record<string, string> | undefined;
      const item = {} as Record<CanonicalField, unknown>;
      for (const rule of canonical) {
        const value = runPipeline(rule.steps, rule.read(source), tenant);
        const problem = value instanceof Rejected ? value.reason : kindProblem(rule.kind, value);
        // An optional field that is absent stays as an undefined key: one object shape for every record.
        if (problem === undefined) item[rule.field] = value;
        else {
          failed ??= {};
          failed[rule.path] = problem;
        }
      }
      if (failed) return rejection(failed);
      const canonicalItem = item as unknown as CanonicalItem;
      scratch.failed = undefined;
      const body = buildObject(payload, canonicalItem, tenant, scratch);
      if (scratch.failed) return rejection(scratch.failed);
      return {
        ok: true,
        item: canonicalItem,
        record: { key: source.key, externalId: String(canonicalItem[externalId]), payload: body },
      };
    },
    checkTenant(tenant) {
      const found: { field: string; problem: string }[] = [];
      for (const rule of sourceFree) {
        const value = runPipeline(rule.steps, undefined, tenant);
        if (!(value instanceof Rejected)) continue;
        const where = `(mapping "${name}", ${rule.path})`;
        if (rule.tenantKeys.length === 0)
          found.push({ field: "mapping", problem: `${value.reason} ${where}` });
        for (const key of rule.tenantKeys) {
          found.push({ field: `product.defaults.${key}`, problem: `${value.reason} ${where}` });
        }
      }
      return found;
    },
  };
}

/**
 * Each top-level payload field written from the canonical `active` (Kong `is_active`, the WMS's
 * `status` through its table), as it reads for an inactive record. A field whose pipe needs the
 * tenant or refuses `false` is not one a deactivation can send.
 */
function inactivePayload(payload: PayloadSpec): Record<string, unknown> | undefined {
  const noTenant = { product: { defaults: {} } } as unknown as Tenant;
  const fields: [string, unknown][] = [];
  for (const [key, entry] of Object.entries(payload)) {
    if (entry === "active") fields.push([key, false]);
    if (typeof entry !== "object" || !("from" in entry) || entry.from !== "active") continue;
    const steps = (entry.pipe ?? []).map((step) => compileStep(step, { trimmed: false }));
    if (steps.some((step) => typeof step === "string")) continue;
    const value = runPipeline(steps as StepFn[], false, noTenant);
    if (!(value instanceof Rejected) && value !== undefined) fields.push([key, value]);
  }
  return fields.length > 0 ? Object.fromEntries(fields) : undefined;
}

function rejection(fields: Record<string, string>): MapResult {
  const reason = Object.entries(fields)
    .map(([field, why]) => `${field}: ${why}`)
    .join("; ");
  return { ok: false, reason, fields };
}

function buildObject(
  nodes: readonly PayloadNode[],
  item: CanonicalItem,
  tenant: Tenant,
  scratch: { failed?: Record<string, string> },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const node of nodes) {
    if ("children" in node) {
      out[node.key] = buildObject(node.children, item, tenant, scratch);
      continue;
    }
    const value = runPipeline(node.steps, node.read(item), tenant);
    if (value instanceof Rejected) {
      scratch.failed ??= {};
      scratch.failed[node.path] = value.reason;
    } else if (value !== undefined) out[node.key] = value;
  }
  return out;
}

function leaves(nodes: readonly PayloadNode[]): Pipeline[] {
  return nodes.flatMap((node) => ("children" in node ? leaves(node.children) : [node]));
}

function compileCanonical(spec: unknown, problems: string[]): CanonicalRule[] {
  if (!isObject(spec)) {
    problems.push(`canonical: must be an object with a rule for each of ${CANONICAL_FIELDS.join(", ")}`);
    return [];
  }
  for (const key of Object.keys(spec)) {
    if (!Object.hasOwn(CANONICAL, key)) {
      problems.push(`canonical.${key}: unknown canonical field (known: ${CANONICAL_FIELDS.join(", ")})`);
    }
  }
  const rules: CanonicalRule[] = [];
  for (const field of CANONICAL_FIELDS) {
    const rule = spec[field];
    if (rule === undefined) {
      problems.push(`canonical.${field}: missing (every canonical field needs a rule)`);
      continue;
    }
    const pipeline = compileRule(rule, `canonical.${field}`, SOURCE_PATHS, "source field", problems);
    if (!pipeline) continue;
    const from = (rule as FieldRule<string>).from;
    // A record's key is its f120_id (runtime/edges/http/siesa/rows.ts): a record that maps has it as its key.
    if (field === "sourceId" && from !== "f120_id") {
      problems.push(
        `canonical.sourceId: must come from f120_id, the record's key (got ${JSON.stringify(from)})`,
      );
      continue;
    }
    rules.push({ ...pipeline, path: field, field, kind: CANONICAL[field], read: sourceReader(from) });
  }
  return rules;
}

/** A Siesa unit code as compared: trimmed, upper-case; empty as null. */
function unitOf(value: unknown): string | null {
  const unit = value == null ? "" : String(value).trim().toUpperCase();
  return unit === "" ? null : unit;
}

/** A barcode's code as kept: trimmed text, or undefined when empty. */
function codeOf(value: unknown): string | undefined {
  const code = value == null ? "" : String(value).trim();
  return code === "" ? undefined : code;
}

/** Every barcode once with its unit, sorted by barcode (then unit, when Siesa repeats a code under two). */
function barcodesWithUnit(source: SourceRecord): Entry[] {
  const entries = new Map<string, Entry>();
  const sorted = source.barcodes
    .map((row) => ({ barcode: codeOf(row.f131_id), unit: unitOf(row.f131_id_unidad_medida) }))
    .filter((entry): entry is { barcode: string; unit: string | null } => entry.barcode !== undefined)
    .sort((a, b) => compareText(a.barcode, b.barcode) || compareText(a.unit ?? "", b.unit ?? ""));
  for (const entry of sorted) if (!entries.has(entry.barcode)) entries.set(entry.barcode, entry);
  return [...entries.values()];
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sourceReader(from: string | undefined): (source: SourceRecord) => Value {
  if (from === undefined) return absent;
  if (from === "barcodes.withUnit") return barcodesWithUnit;
  if (from === "barcodes.ofInventoryUnit") {
    return (source) => {
      const unit = unitOf(source.item.f120_id_unidad_inventario);
      const values: Scalar[] = [];
      if (unit === null) return values;
      for (const row of source.barcodes) {
        if (unitOf(row.f131_id_unidad_medida) === unit) values.push(row.f131_id ?? null);
      }
      return values;
    };
  }
  if (from.startsWith("barcodes.")) {
    const column = from.slice("barcodes.".length);
    return (source) => {
      const values: Scalar[] = [];
      for (const row of source.barcodes) values.push(row[column] ?? null);
      return values;
    };
  }
  return (source) => source.item[from];
}

function compilePayload(spec: Record<string, unknown>, path: string, problems: string[]): PayloadNode[] {
  const nodes: PayloadNode[] = [];
  for (const [key, entry] of Object.entries(spec)) {
    const here = `${path}.${key}`;
    if (isObject(entry) && "fields" in entry) {
      const extra = Object.keys(entry).filter((k) => k !== "fields");
      if (extra.length > 0)
        problems.push(`${here}: a nested object takes only "fields" (got ${extra.join(", ")})`);
      if (!isObject(entry.fields)) {
        problems.push(`${here}.fields: must be an object of payload fields`);
        continue;
      }
      nodes.push({ key, path: here, children: compilePayload(entry.fields, here, problems) });
      continue;
    }
    const rule = typeof entry === "string" ? { from: entry } : entry;
    const pipeline = compileRule(rule, here, CANONICAL_FIELDS, "canonical field", problems);
    if (!pipeline) continue;
    const from = (rule as FieldRule<CanonicalField>).from;
    const read = from === undefined ? absent : (item: CanonicalItem): Value => item[from];
    nodes.push({ ...pipeline, key, read });
  }
  return nodes;
}

/** Checks one `{ from, pipe }` rule; records problems and returns undefined when it cannot compile. */
function compileRule(
  rule: unknown,
  path: string,
  knownFrom: readonly string[],
  fromWhat: string,
  problems: string[],
): Pipeline | undefined {
  if (!isObject(rule)) {
    problems.push(`${path}: must be a ${fromWhat} name or { from, pipe } (got ${JSON.stringify(rule)})`);
    return undefined;
  }
  const before = problems.length;
  for (const key of Object.keys(rule)) {
    if (key !== "from" && key !== "pipe")
      problems.push(`${path}: unknown key "${key}" (a rule takes from and pipe)`);
  }
  const { from, pipe = [] } = rule;
  if (from !== undefined && (typeof from !== "string" || !knownFrom.includes(from))) {
    problems.push(`${path}: unknown ${fromWhat} ${JSON.stringify(from)} (known: ${knownFrom.join(", ")})`);
  }
  if (!Array.isArray(pipe)) {
    problems.push(`${path}.pipe: must be a list of transforms`);
    return undefined;
  }
  if (from === undefined && pipe.length === 0) problems.push(`${path}: needs "from", a "pipe", or both`);
  const steps: StepFn[] = [];
  const tenantKeys: string[] = [];
  const tenantKeyPrefixes: string[] = [];
  const context = { trimmed: false };
  pipe.forEach((step: unknown, i: number) => {
    const compiled = compileStep(step, { ...context });
    if (typeof compiled === "string") problems.push(`${path}.pipe[${i}]: ${compiled}`);
    else steps.push(compiled);
    if (step === "trim") context.trimmed = true;
    if (Array.isArray(step) && step[0] === "fromTenant" && typeof step[1] === "string")
      tenantKeys.push(step[1]);
    if (
      Array.isArray(step) &&
      step[0] === "mapThrough" &&
      isObject(step[1]) &&
      typeof step[1].tenantKey === "string"
    )
      tenantKeyPrefixes.push(step[1].tenantKey);
  });
  if (problems.length > before) return undefined;
  return { path, steps, tenantKeys, tenantKeyPrefixes, sourceFree: from === undefined };
}
