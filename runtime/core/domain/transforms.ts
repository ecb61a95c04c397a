import type { Tenant } from "./tenant.js";

/**
 * The small, pure transforms a mapping can name. A mapping is data: a step is a transform's
 * name (`"trim"`) or a tuple with its argument (`["maxLength", 40]`); no code from a mapping
 * ever runs. Steps are compiled once into plain functions; a value that cannot pass a step
 * comes back as a `Rejected` with a field-level reason (allocated only on failure).
 */

export type Scalar = string | number | boolean | null;
/** One entry of a list of records, e.g. a barcode with its unit: `{ barcode, unit }`. */
export type Entry = Readonly<Record<string, Scalar>>;
/**
 * What flows through a pipeline: a scalar, an absent value, a list (e.g. barcode codes), or a list
 * of entries (barcodes with their units; scalar transforms pass entries through unchanged).
 */
export type Value = Scalar | undefined | readonly Scalar[] | readonly Entry[];

export type Step =
  | "trim"
  | "upper"
  | "lower"
  | "toInteger"
  | "toNumber"
  | "toBoolean"
  | "toString"
  | "required"
  | "first"
  | "firstBarcode"
  | "compact"
  | "unique"
  | "sort"
  | readonly ["default", Scalar]
  | readonly ["constant", Scalar | readonly Scalar[]]
  | readonly ["fromTenant", string]
  | readonly ["ifPresent", Scalar]
  | readonly ["mapThrough", MapThrough]
  | readonly ["oneOf", readonly Scalar[]]
  | readonly ["maxLength", number]
  | readonly ["truncate", number];

export type TransformName = Extract<Step, string> | Extract<Step, readonly unknown[]>[0];

/**
 * A value translated through a table (`{ "true": "ACTIVE", "false": "INACTIVE" }`), the tenant's own
 * entries first when `tenantKey` is set: `product.defaults["<tenantKey>.<value>"]` (a per-tenant unit
 * map, `inventory_unit.UND`). A value neither has is refused, naming the key that would translate it.
 */
export interface MapThrough {
  table: Readonly<Record<string, Scalar>>;
  tenantKey?: string;
}

/** Why a value was refused, e.g. "must be one of UND, KLS (got ???)". */
export class Rejected {
  constructor(readonly reason: string) {}
}

export type StepFn = (value: Value, tenant: Tenant) => Value | Rejected;

/** What a step needs to know about the pipeline it sits in. */
export interface StepContext {
  /** A trim ran earlier in the pipeline (so "required" can say "empty after trim"). */
  trimmed: boolean;
}

const isAbsent = (value: Value) => value === undefined || value === null || value === "";
const show = (value: Value) => (typeof value === "string" ? value : JSON.stringify(value));

/** Applies a scalar function to a value, or to each item of a list. */
function eachItem(fn: (item: Scalar) => Scalar | undefined | Rejected): (value: Value) => Value | Rejected {
  return (value) => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return fn(value as Scalar);
    const out: Scalar[] = [];
    for (const item of value as readonly Scalar[]) {
      const result = fn(item);
      if (result instanceof Rejected) return result;
      out.push(result === undefined ? null : result);
    }
    return out;
  };
}

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_WORDS = new Set(["1", "true", "s", "si", "sí", "y", "yes"]);
const FALSE_WORDS = new Set(["0", "false", "n", "no"]);

const toInteger = eachItem((item) => {
  if (item === null || item === "") return undefined;
  if (typeof item === "number" && Number.isSafeInteger(item)) return item;
  if (typeof item === "string" && INTEGER.test(item.trim())) {
    const n = Number(item.trim());
    if (Number.isSafeInteger(n)) return n;
  }
  return new Rejected(`must be an integer (got ${show(item)})`);
});

const toNumber = eachItem((item) => {
  if (item === null || item === "") return undefined;
  if (typeof item === "number" && Number.isFinite(item)) return item;
  if (typeof item === "string" && NUMBER.test(item.trim())) return Number(item.trim());
  return new Rejected(`must be a number (got ${show(item)})`);
});

const toBoolean = eachItem((item) => {
  if (item === null || item === "") return undefined;
  if (typeof item === "boolean") return item;
  const word = String(item).trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return new Rejected(`must be a yes/no value: 1/0, true/false, S/N (got ${show(item)})`);
});

const onStrings = (fn: (s: string) => string) =>
  eachItem((item) => (typeof item === "string" ? fn(item) : item));

function first(value: Value): Value {
  return Array.isArray(value) ? (value as readonly Scalar[])[0] : value;
}

function compact(value: Value): Value {
  if (!Array.isArray(value)) return value;
  return (value as readonly Scalar[]).filter((item) => !isAbsent(item));
}

function unique(value: Value): Value {
  return Array.isArray(value) ? [...new Set(value as readonly Scalar[])] : value;
}

/** Code-unit order for text, numeric order for numbers: the same on every machine and locale. */
function sort(value: Value): Value {
  if (!Array.isArray(value)) return value;
  return [...(value as readonly Scalar[])].sort((a, b) => {
    if (typeof a === "number" && typeof b === "number") return a - b;
    const x = String(a);
    const y = String(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

const isScalar = (arg: unknown): arg is Scalar =>
  arg === null ||
  typeof arg === "string" ||
  typeof arg === "boolean" ||
  (typeof arg === "number" && Number.isFinite(arg));
const isPositiveInteger = (arg: unknown): arg is number => Number.isInteger(arg) && (arg as number) > 0;

interface TransformSpec {
  /** Says what is wrong with the argument, or undefined. Transforms without one take no argument. */
  checkArg?: (arg: unknown) => string | undefined;
  make: (arg: unknown, context: StepContext) => StepFn;
}

const noArg = (fn: (value: Value) => Value | Rejected): TransformSpec => ({ make: () => fn });

const TRANSFORMS: Record<TransformName, TransformSpec> = {
  trim: noArg(onStrings((s) => s.trim())),
  upper: noArg(onStrings((s) => s.toUpperCase())),
  lower: noArg(onStrings((s) => s.toLowerCase())),
  toInteger: noArg(toInteger),
  toNumber: noArg(toNumber),
  toBoolean: noArg(toBoolean),
  toString: noArg(eachItem((item) => (item === null ? null : String(item)))),
  required: {
    make: (_arg, { trimmed }) => {
      const empty = new Rejected(trimmed ? "required: empty after trim" : "required: empty");
      const missing = new Rejected("required: missing");
      return (value) =>
        value === undefined || value === null
          ? missing
          : value === "" || (Array.isArray(value) && value.length === 0)
            ? empty
            : value;
    },
  },
  first: noArg(first),
  firstBarcode: noArg(first),
  compact: noArg(compact),
  unique: noArg(unique),
  sort: noArg(sort),
  default: {
    checkArg: (arg) => (isScalar(arg) ? undefined : "needs a string, number, boolean or null"),
    make: (arg) => (value) => (isAbsent(value) ? (arg as Scalar) : value),
  },
  constant: {
    checkArg: (arg) =>
      isScalar(arg) || (Array.isArray(arg) && arg.every(isScalar))
        ? undefined
        : "needs a string, number, boolean, null or a list of them",
    make: (arg) => () => arg as Value,
  },
  fromTenant: {
    checkArg: (arg) =>
      typeof arg === "string" && arg !== ""
        ? undefined
        : "needs the name of a key in tenant product.defaults",
    make: (arg) => (_value, tenant) => tenant.product.defaults[arg as string],
  },
  ifPresent: {
    checkArg: (arg) => (isScalar(arg) ? undefined : "needs a string, number, boolean or null"),
    make: (arg) => (value) => (isAbsent(value) ? undefined : (arg as Scalar)),
  },
  mapThrough: {
    checkArg: (arg) => {
      const spec = arg as Partial<MapThrough> | null;
      if (typeof spec !== "object" || spec === null || typeof spec.table !== "object" || spec.table === null)
        return 'needs { "table": { "<value>": <result>, … } } and optionally "tenantKey"';
      if (!Object.values(spec.table).every(isScalar)) return "needs scalar results in its table";
      if (spec.tenantKey !== undefined && (typeof spec.tenantKey !== "string" || spec.tenantKey === ""))
        return "needs tenantKey to name a key prefix of tenant product.defaults";
      return undefined;
    },
    make: (arg) => {
      const { table, tenantKey } = arg as MapThrough;
      const known = Object.keys(table).join(", ");
      return (value, tenant) =>
        eachItem((item) => {
          if (item === null || item === "") return undefined;
          const key = String(item);
          const own = tenantKey === undefined ? undefined : tenant.product.defaults[`${tenantKey}.${key}`];
          if (own !== undefined) return own;
          if (Object.hasOwn(table, key)) return table[key] as Scalar;
          const hint = tenantKey ? ` or product.defaults["${tenantKey}.${key}"] in the tenant file` : "";
          return new Rejected(`has no translation for ${show(item)} (known: ${known}${hint})`);
        })(value);
    },
  },
  oneOf: {
    checkArg: (arg) =>
      Array.isArray(arg) && arg.length > 0 && arg.every(isScalar)
        ? undefined
        : "needs a non-empty list of values",
    make: (arg) => {
      const allowed = new Set(arg as Scalar[]);
      const list = (arg as Scalar[]).map(show).join(", ");
      return eachItem((item) =>
        item === null || item === "" || allowed.has(item)
          ? item
          : new Rejected(`must be one of ${list} (got ${show(item)})`),
      );
    },
  },
  maxLength: {
    checkArg: (arg) => (isPositiveInteger(arg) ? undefined : "needs a positive integer"),
    make: (arg) => {
      const max = arg as number;
      return eachItem((item) =>
        typeof item === "string" && item.length > max
          ? new Rejected(`must be at most ${max} characters (got ${item.length})`)
          : item,
      );
    },
  },
  truncate: {
    checkArg: (arg) => (isPositiveInteger(arg) ? undefined : "needs a positive integer"),
    make: (arg) => onStrings((s) => (s.length > (arg as number) ? s.slice(0, arg as number) : s)),
  },
};

export const TRANSFORM_NAMES = Object.keys(TRANSFORMS) as TransformName[];

/**
 * Compiles one step, or returns a sentence saying why it cannot be (unknown transform, missing
 * or bad argument). Pure: the definition is never executed, only looked up.
 */
export function compileStep(step: unknown, context: StepContext): StepFn | string {
  const [name, ...args] = Array.isArray(step) ? step : [step];
  if (typeof name !== "string" || !Object.hasOwn(TRANSFORMS, name)) {
    return `unknown transform ${JSON.stringify(name)} (known: ${TRANSFORM_NAMES.join(", ")})`;
  }
  const spec = TRANSFORMS[name as TransformName];
  if (!spec.checkArg) {
    if (args.length > 0) return `transform "${name}" takes no argument`;
    return spec.make(undefined, context);
  }
  if (args.length !== 1) return `transform "${name}" takes one argument: write ["${name}", <argument>]`;
  const problem = spec.checkArg(args[0]);
  if (problem) return `transform "${name}" ${problem} (got ${JSON.stringify(args[0])})`;
  return spec.make(args[0], context);
}
