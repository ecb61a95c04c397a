import { describe, expect, it } from "vitest";
import kong from "../../mappings/kong.js";
import wms from "../../mappings/wms.js";
import {
  compileMapping,
  type MappingDefinition,
  MappingDefinitionError,
} from "../../runtime/core/domain/mapping.js";
import { aTenant } from "../tenants/factories.js";
import { aSourceRecord } from "./factories.js";

/** The problems compileMapping lists for a definition (fails the test if it compiles). */
function problemsOf(definition: unknown): string[] {
  try {
    compileMapping(definition as MappingDefinition);
  } catch (error) {
    if (error instanceof MappingDefinitionError) return error.problems;
    throw error;
  }
  throw new Error("expected the mapping to be refused");
}

/** The Kong mapping with one part replaced. */
const kongWith = (change: Partial<Record<keyof MappingDefinition, unknown>>) => ({ ...kong, ...change });

describe("compiling a mapping definition", () => {
  it("refuses an unknown transform, naming the mapping and the field", () => {
    const definition = kongWith({
      canonical: {
        ...kong.canonical,
        unit: { from: "f120_id_unidad_inventario", pipe: ["trim", "uppercase"] },
      },
    });

    let error: unknown;
    try {
      compileMapping(definition as MappingDefinition);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(MappingDefinitionError);
    expect((error as Error).message).toMatch(
      /^mapping "kong" is invalid:\n {2}- canonical\.unit\.pipe\[1\]: unknown transform "uppercase" \(known: trim, /,
    );
  });

  it("refuses an unknown source field", () => {
    const definition = kongWith({
      canonical: { ...kong.canonical, sku: { from: "f120_ref", pipe: ["trim"] } },
    });

    expect(problemsOf(definition)).toEqual([
      expect.stringMatching(
        /^canonical\.sku: unknown source field "f120_ref" \(known: f120_id_cia, f120_id, /,
      ),
    ]);
  });

  it("refuses a sourceId read from another column than f120_id, the record's key", () => {
    const definition = kongWith({
      canonical: { ...kong.canonical, sourceId: { from: "f120_id_cia", pipe: ["toInteger", "required"] } },
    });

    expect(problemsOf(definition)).toEqual([
      'canonical.sourceId: must come from f120_id, the record\'s key (got "f120_id_cia")',
    ]);
  });

  it("refuses an unknown barcode column", () => {
    const definition = kongWith({
      canonical: { ...kong.canonical, barcodes: { from: "barcodes.f131_codigo" } },
    });

    expect(problemsOf(definition)).toEqual([
      expect.stringContaining('canonical.barcodes: unknown source field "barcodes.f131_codigo"'),
    ]);
  });

  it("refuses unknown and missing canonical fields", () => {
    const { unit: _unit, ...withoutUnit } = kong.canonical;
    const definition = kongWith({ canonical: { ...withoutUnit, colour: { from: "f120_descripcion" } } });

    expect(problemsOf(definition)).toEqual([
      "canonical.colour: unknown canonical field (known: sku, sourceId, name, description, unit, barcodes, ean, barcodeUnits, active, erpCompany)",
      "canonical.unit: missing (every canonical field needs a rule)",
    ]);
  });

  it("refuses a payload field that reads an unknown canonical field, also in nested objects", () => {
    const definition = kongWith({
      payload: { name: "nombre", properties: { fields: { size: { from: "talla" } } } },
    });

    expect(problemsOf(definition)).toEqual([
      expect.stringMatching(/^payload\.name: unknown canonical field "nombre" \(known: sku, /),
      expect.stringMatching(/^payload\.properties\.size: unknown canonical field "talla"/),
    ]);
  });

  it("refuses a misspelt rule key, a bad product and a rule with nothing to do", () => {
    const definition = kongWith({ product: "kong", payload: { external_id: { form: "sku" }, name: {} } });

    expect(problemsOf(definition)).toEqual([
      'product: must be one of kong-rfid, wms (got "kong")',
      'payload.external_id: unknown key "form" (a rule takes from and pipe)',
      'payload.external_id: needs "from", a "pipe", or both',
      'payload.name: needs "from", a "pipe", or both',
    ]);
  });

  it("refuses a WMS mapping whose external id is not the record's key: a deactivation, which has only the key, sends it as external_id", () => {
    const definition = { ...wms, externalId: "sku" };

    expect(problemsOf(definition)).toEqual([
      "externalId: a wms mapping's external id must be sourceId, the record's key: the WMS's deactivation PATCH carries external_id and knows only the key, so any other would rename the product (got sku)",
    ]);
  });

  it("lists every problem at once", () => {
    const definition = kongWith({
      name: "",
      canonical: { ...kong.canonical, sku: { from: "f120_referencia", pipe: ["trimm", ["maxLength"]] } },
      externalId: "barcodes",
    });

    expect(problemsOf(definition)).toEqual([
      "name: must be a non-empty string",
      expect.stringContaining('canonical.sku.pipe[0]: unknown transform "trimm"'),
      'canonical.sku.pipe[1]: transform "maxLength" takes one argument: write ["maxLength", <argument>]',
      "externalId: barcodes is a text-list, not text or an integer",
    ]);
  });
});

describe("mapping records", () => {
  const tenant = aTenant();

  it("rejects on payload fields too, keyed by their payload path", () => {
    const strict = compileMapping(
      kongWith({
        payload: { ...kong.payload, name: { from: "name", pipe: [["maxLength", 5]] } },
      }) as MappingDefinition,
    );

    const result = strict.map(aSourceRecord(), tenant);

    expect(result).toEqual({
      ok: false,
      reason: "payload.name: must be at most 5 characters (got 14)",
      fields: { "payload.name": "must be at most 5 characters (got 14)" },
    });
  });

  it("rejects a canonical value of the wrong kind instead of passing it on", () => {
    const numericSku = compileMapping(
      kongWith({ canonical: { ...kong.canonical, sku: { from: "f120_id" } } }) as MappingDefinition,
    );

    expect(numericSku.map(aSourceRecord(), tenant)).toMatchObject({
      ok: false,
      fields: { sku: "must be text (got 1042)" },
    });
  });

  it("maps the same record to the same payload every time, and records do not leak into each other", () => {
    const mapping = compileMapping(kong);
    const first = mapping.map(aSourceRecord(), tenant);
    mapping.map(
      aSourceRecord({ f120_id: 7, f120_referencia: "OTRA", f120_id_unidad_inventario: "???" }),
      tenant,
    );
    mapping.map(aSourceRecord({ f120_id: 8, f120_referencia: "OTRA-2" }, []), tenant);

    const again = mapping.map(aSourceRecord(), tenant);

    expect(again).toEqual(first);
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
  });

  it("reports a tenant whose defaults the mapping cannot use, without any record", () => {
    const mapping = compileMapping(kong);
    const bad = aTenant((t) => {
      t.product.defaults = { customer_id: "acme", type_id: 4 };
    });

    expect(mapping.checkTenant(bad)).toEqual([
      { field: "product.defaults.group_id", problem: 'required: missing (mapping "kong", payload.group_id)' },
      {
        field: "product.defaults.customer_id",
        problem: 'must be an integer (got acme) (mapping "kong", payload.customer_id)',
      },
    ]);
    expect(mapping.checkTenant(tenant)).toEqual([]);
  });
});
