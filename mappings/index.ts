import type { MappingDefinition } from "../runtime/core/domain/mapping.js";
import kong from "./kong.js";
import wms from "./wms.js";

/**
 * Every mapping by name, imported statically so a Lambda bundle carries them without a
 * filesystem. A new mapping file is listed here; tenants name it in their `mapping` field.
 */
export const MAPPINGS: Readonly<Record<string, MappingDefinition>> = byName([kong, wms]);

function byName(definitions: MappingDefinition[]): Record<string, MappingDefinition> {
  const out: Record<string, MappingDefinition> = {};
  for (const definition of definitions) {
    if (Object.hasOwn(out, definition.name))
      throw new Error(`mappings/: two mappings are named "${definition.name}"`);
    out[definition.name] = definition;
  }
  return out;
}
