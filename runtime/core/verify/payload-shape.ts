import { CANONICAL, type CanonicalField, type Kind, type PayloadSpec } from "../domain/mapping.js";
import type { Step } from "../domain/transforms.js";

/**
 * The keys a mapping's payload sets, as a tree, with the JSON kind of each leaf when the mapping
 * tells it. Verify compares only these keys of a product's record: the product adds fields of its
 * own (ids, timestamps, `upc`, `params`) that we never wrote.
 */
export type PayloadShape = { [key: string]: LeafKind | PayloadShape };
/** What the mapping puts in a leaf, when it can be told; `any` otherwise. */
export type LeafKind = "text" | "number" | "boolean" | "text-list" | "any";

const isLeaf = (node: LeafKind | PayloadShape): node is LeafKind => typeof node === "string";

export function payloadShape(spec: PayloadSpec): PayloadShape {
  const shape: PayloadShape = {};
  for (const [key, entry] of Object.entries(spec)) {
    if (typeof entry === "string") shape[key] = kindOf(CANONICAL[entry]);
    else if ("fields" in entry) shape[key] = payloadShape(entry.fields);
    else shape[key] = ruleKind(entry.from, entry.pipe ?? []);
  }
  return shape;
}

function kindOf(kind: Kind | undefined): LeafKind {
  switch (kind) {
    case "integer":
      return "number";
    case "text":
    case "boolean":
    case "text-list":
      return kind;
    case "optional-text":
      return "text";
    default:
      // entry lists (barcodes with their units) and anything unknown: compared as they are.
      return "any";
  }
}

/** Follows the pipe's type-changing steps; anything it cannot follow makes the leaf `any`. */
function ruleKind(from: CanonicalField | undefined, pipe: readonly Step[]): LeafKind {
  let kind: LeafKind = from ? kindOf(CANONICAL[from]) : "any";
  for (const step of pipe) {
    const name = typeof step === "string" ? step : step[0];
    if (name === "toInteger" || name === "toNumber") kind = "number";
    else if (name === "toString") kind = "text";
    else if (name === "toBoolean") kind = "boolean";
    else if (name === "first" || name === "firstBarcode") kind = kind === "text-list" ? "text" : "any";
    else if (name === "constant" || name === "default" || name === "fromTenant") kind = "any";
  }
  return kind;
}

export interface Projection {
  /** Trim text, as a product that normalises its values does (DRF's CharField). */
  trim: boolean;
  /** Leave out nulls: a product answers `null` for an optional field our payload left out. */
  dropNulls: boolean;
  /** Read an empty text as null: a text field that holds no null answers `""` for one we left out or sent null. */
  blank?: boolean;
}

/**
 * The product's record reduced to the keys our payload sets, each value read back into the kind the
 * mapping gives it (a product that stores text answers `"123"` for the number 123 we sent), so its
 * hash equals the ledger's when the product still holds what we wrote.
 */
export function project(
  fields: Record<string, unknown>,
  shape: PayloadShape,
  how: Projection,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(shape)) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    if (value === null && how.dropNulls) continue;
    if (!isLeaf(node)) {
      out[key] = isObject(value) ? project(value, node, how) : value;
      continue;
    }
    const read = normalise(asKind(value, node), how);
    if (read === null && how.dropNulls) continue;
    out[key] = read;
  }
  return out;
}

function asKind(value: unknown, kind: LeafKind): unknown {
  if (kind === "number" && typeof value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) {
    return Number(value);
  }
  if (kind === "text" && typeof value === "number") return String(value);
  return value;
}

function normalise(value: unknown, how: Projection): unknown {
  if (typeof value === "string") {
    const text = how.trim ? value.trim() : value;
    return how.blank && text === "" ? null : text;
  }
  if (Array.isArray(value)) return value.map((item) => normalise(item, how));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const read = normalise(inner, how);
      if (read === null && how.dropNulls) continue;
      out[key] = read;
    }
    return out;
  }
  return value;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
