import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAPPINGS } from "../../mappings/index.js";
import kongDefinition from "../../mappings/kong.js";
import wmsDefinition from "../../mappings/wms.js";
import { compileMapping, type MappingDefinition, type MapResult } from "../../runtime/core/domain/mapping.js";
import { recordIdOf } from "../../runtime/core/domain/record-id.js";
import { buildRecords } from "../../runtime/edges/http/siesa/rows.js";
import { aTenant } from "../tenants/factories.js";
import { aSourceRecord } from "./factories.js";

const kong = compileMapping(kongDefinition);
const wms = compileMapping(wmsDefinition);
const kongTenant = aTenant((t) => {
  t.product.defaults = { customer_id: 17, type_id: "4", group_id: 9 };
});
const wmsTenant = aTenant((t) => {
  t.product = {
    type: "wms",
    baseUrl: "https://wms.example.com/",
    endpoints: { products: "/products" },
    defaults: {},
  };
  t.mapping = "wms";
});

function accepted(result: MapResult) {
  if (!result.ok) throw new Error(`expected the record to map, got: ${result.reason}`);
  return result;
}

describe("the Kong RFID mapping", () => {
  it("turns a Siesa item into exactly the SKU body Kong takes, keyed on f120_id", () => {
    const source = aSourceRecord();

    const { item, record } = accepted(kong.map(source, kongTenant));

    expect(item).toEqual({
      sku: "CAM-0001042",
      sourceId: 1042,
      name: "CAMISETA NEGRO",
      description: "CAMISETA NEGRO",
      unit: "UND",
      barcodes: ["17701234567892", "7701234567895"],
      ean: "7701234567895",
      barcodeUnits: [
        { barcode: "17701234567892", unit: "CAJ" },
        { barcode: "7701234567895", unit: "UND" },
      ],
      active: true,
      erpCompany: 1,
    });
    expect(record.key).toBe("1042");
    expect(record.externalId).toBe("1042");
    expect(JSON.stringify(record.payload)).toBe(
      JSON.stringify({
        external_id: "1042",
        name: "CAMISETA NEGRO",
        type_id: 4,
        group_id: 9,
        customer_id: 17,
        display_name: "CAMISETA NEGRO",
        reference: "CAM-0001042",
        is_active: true,
        ean: "7701234567895",
        properties: {
          description: "CAMISETA NEGRO",
          unit: "UND",
          barcodes: [
            { barcode: "17701234567892", unit: "CAJ" },
            { barcode: "7701234567895", unit: "UND" },
          ],
          siesa_item_id: 1042,
          erp_company: 1,
        },
      }),
    );
  });

  it("sends ean null (clearing an old one) and no barcodes for an item without barcodes", () => {
    const { record } = accepted(kong.map(aSourceRecord({}, []), kongTenant));

    expect(record.payload.ean).toBeNull();
    expect(record.payload.properties).toMatchObject({ barcodes: [] });
  });

  it("takes an item's one barcode of its inventory unit as ean", () => {
    const { record } = accepted(
      kong.map(aSourceRecord({}, [{ code: "7701234567895", unit: "UND" }]), kongTenant),
    );

    expect(record.payload.ean).toBe("7701234567895");
    expect(record.payload.properties).toMatchObject({
      barcodes: [{ barcode: "7701234567895", unit: "UND" }],
    });
  });

  it("never takes a pack's barcode as ean, but keeps it in properties with its unit", () => {
    const packOnly = aSourceRecord({}, [{ code: "17701234567892", unit: "CAJ" }]);

    const { record } = accepted(kong.map(packOnly, kongTenant));

    expect(record.payload.ean).toBeNull();
    expect(record.payload.properties).toMatchObject({
      barcodes: [{ barcode: "17701234567892", unit: "CAJ" }],
    });
  });

  it("matches the inventory unit whatever its padding or case, for KLS items too", () => {
    const bulk = aSourceRecord({ f120_id_unidad_inventario: "KLS " }, [
      { code: "7700000000019", unit: "UND" },
      { code: " 7709876543210 ", unit: "kls  " },
      { code: "17709876543217", unit: "PACA" },
    ]);

    const { record } = accepted(kong.map(bulk, kongTenant));

    expect(record.payload.ean).toBe("7709876543210");
    expect(record.payload.properties).toMatchObject({
      barcodes: [
        { barcode: "17709876543217", unit: "PACA" },
        { barcode: "7700000000019", unit: "UND" },
        { barcode: "7709876543210", unit: "KLS" },
      ],
    });
  });

  it("keeps external_id on f120_id when the reference is renamed, so the same SKU is updated", () => {
    const before = accepted(kong.map(aSourceRecord(), kongTenant));
    const renamed = accepted(kong.map(aSourceRecord({ f120_referencia: "CAM-0001042-NEW" }), kongTenant));

    expect(renamed.record.externalId).toBe(before.record.externalId);
    expect(renamed.record.payload).toMatchObject({ external_id: "1042", reference: "CAM-0001042-NEW" });
  });

  it("still cleans up values that arrive padded or in lower case", () => {
    const source = aSourceRecord(
      { f120_referencia: "  CAM-0001042   ", f120_id: "1042", f120_id_unidad_inventario: "kls " },
      [{ code: " 7700000000019 ", unit: " KLS" }],
    );

    const { item } = accepted(kong.map(source, kongTenant));

    expect(item).toMatchObject({
      sku: "CAM-0001042",
      sourceId: 1042,
      unit: "KLS",
      barcodes: ["7700000000019"],
      ean: "7700000000019",
    });
  });

  it("rejects a malformed row with a reason per field, without throwing", () => {
    const source = aSourceRecord({
      f120_referencia: "   ",
      f120_descripcion: null,
      f120_id_unidad_inventario: "???",
    });

    const result = kong.map(source, kongTenant);

    expect(result).toEqual({
      ok: false,
      reason:
        "sku: required: empty after trim; name: required: missing; unit: must be one of UND, KLS (got ???)",
      fields: {
        sku: "required: empty after trim",
        name: "required: missing",
        unit: "must be one of UND, KLS (got ???)",
      },
    });
  });

  it("rejects a row of another shape (an id that is not a number)", () => {
    const result = kong.map(aSourceRecord({ f120_id: "12A" }), kongTenant);

    expect(result).toMatchObject({ ok: false, fields: { sourceId: "must be an integer (got 12A)" } });
  });

  it("gives the same payload, key order included, however Siesa orders (or repeats) the barcodes", () => {
    const pack = { code: "17701234567892", unit: "CAJ" };
    const once = accepted(kong.map(aSourceRecord({}, ["7701234567895", "7700000000019", pack]), kongTenant));
    const again = accepted(
      kong.map(aSourceRecord({}, [pack, "7700000000019", "7701234567895", "7700000000019"]), kongTenant),
    );

    expect(JSON.stringify(again.record)).toBe(JSON.stringify(once.record));
  });
});

describe("the mappings index", () => {
  // Which mappings exist is data a pull request changes (a new client's mapping): read mappings/.
  const dir = fileURLToPath(new URL("../../mappings/", import.meta.url));

  it("lists every mapping file of mappings/ by its name: one left out would be an unknown mapping", async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith(".ts") && f !== "index.ts");
    const modules = await Promise.all(
      files.map(async (f) => (await import(pathToFileURL(path.join(dir, f)).href)) as { default?: unknown }),
    );
    const definitions = modules.flatMap((m) =>
      m.default === undefined ? [] : [m.default as MappingDefinition],
    );

    expect(Object.values(MAPPINGS).sort(byName)).toEqual(definitions.sort(byName));
  });

  it("holds only mappings that compile, a tenant naming one or not", () => {
    for (const definition of Object.values(MAPPINGS)) expect(() => compileMapping(definition)).not.toThrow();
  });
});

const byName = (a: MappingDefinition, b: MappingDefinition) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

describe("the WMS mapping", () => {
  it("writes the WMS collection's product body, keyed on f120_id, and nothing it does not document", () => {
    const { record } = accepted(wms.map(aSourceRecord(), wmsTenant));

    expect(record.externalId).toBe("1042");
    expect(JSON.stringify(record.payload)).toBe(
      JSON.stringify({
        name: "CAMISETA NEGRO",
        display_name: "CAMISETA NEGRO",
        external_id: "1042",
        reference_id: "CAM-0001042",
        barcode_type: "EAN",
        barcode: "7701234567895",
        status: "ACTIVE",
        inventory_unit: "UNIT",
      }),
    );
  });

  it("sends neither barcode nor barcode_type for an item without a barcode of its inventory unit", () => {
    const source = aSourceRecord({}, [{ code: "17701234567892", unit: "CAJ" }]);

    const { record } = accepted(wms.map(source, wmsTenant));

    expect(record.payload).not.toHaveProperty("barcode");
    expect(record.payload).not.toHaveProperty("barcode_type");
  });

  it("translates the Siesa unit through the tenant's unit map first, and refuses a unit neither knows, naming the key to add", () => {
    const kilos = aSourceRecord({ f120_id_unidad_inventario: "KLS" }, ["7701234567895"]);
    const withMap = aTenant((t) => {
      t.product = {
        ...wmsTenant.product,
        defaults: { "inventory_unit.KLS": "KG", "inventory_unit.UND": "EA" },
      };
      t.mapping = "wms";
    });

    const mapped = accepted(wms.map(kilos, withMap));
    const unmapped = wms.map(kilos, wmsTenant);

    expect(mapped.record.payload.inventory_unit).toBe("KG");
    expect(accepted(wms.map(aSourceRecord(), withMap)).record.payload.inventory_unit).toBe("EA");
    expect(unmapped).toMatchObject({
      ok: false,
      fields: {
        "payload.inventory_unit":
          'has no translation for KLS (known: UND or product.defaults["inventory_unit.KLS"] in the tenant file)',
      },
    });
  });

  it("takes what Siesa cannot supply from the tenant's defaults when it sets them", () => {
    const withDefaults = aTenant((t) => {
      t.product = { ...wmsTenant.product, defaults: { reception_type: "GENERAL", presentation: "UNIDAD" } };
      t.mapping = "wms";
    });

    const { record } = accepted(wms.map(aSourceRecord(), withDefaults));

    expect(record.payload).toMatchObject({ reception_type: "GENERAL", presentation: "UNIDAD" });
  });

  it("deactivates with status INACTIVE", () => {
    expect(wms.inactive).toEqual({ status: "INACTIVE" });
    expect(kong.inactive).toEqual({ is_active: false });
  });
});

describe("every record a mapping accepts", () => {
  it("is keyed by its sourceId, an f120_id the ledger keeps as a number", () => {
    const integers = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.bigInt().map(String));
    const f120Id = fc.oneof(
      integers,
      integers.map(String),
      fc.tuple(fc.constantFrom("+", "-", "0", "00"), fc.nat()).map(([prefix, n]) => `${prefix}${n}`),
      fc.double().map(String),
      fc.double(),
      fc.string(),
      fc.constantFrom(null, true, "", "-0", "1e3", "0x10", " 12"),
    );
    fc.assert(
      fc.property(f120Id, (id) => {
        const [source] = buildRecords(
          [{ ...aSourceRecord().item, f120_id: id as string | number | null }],
          [],
        );
        for (const [mapping, tenant] of [
          [kong, kongTenant],
          [wms, wmsTenant],
        ] as const) {
          const result = mapping.map(source as NonNullable<typeof source>, tenant);
          if (!result.ok) continue;
          // === and not toBe: Siesa's "-0" is the id 0.
          expect(recordIdOf(result.record.key, "test") === result.item.sourceId).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
