import { describe, expect, it } from "vitest";
import { MAPPINGS } from "../../mappings/index.js";
import kongDefinition from "../../mappings/kong.js";
import wmsDefinition from "../../mappings/wms.js";
import { compileMapping, type MapResult } from "../../runtime/sync/mapping.js";
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
  it("turns a Siesa item into exactly the SKU body Kong takes", () => {
    const source = aSourceRecord();

    const { item, record } = accepted(kong.map(source, kongTenant));

    expect(item).toEqual({
      sku: "CAM-0001042",
      sourceId: 1042,
      name: "CAMISETA NEGRO",
      description: "CAMISETA NEGRO",
      unit: "UND",
      barcodes: ["7700000000019", "7701234567895"],
      active: true,
      erpCompany: 1,
    });
    expect(record.key).toBe("1042");
    expect(record.externalId).toBe("CAM-0001042");
    expect(JSON.stringify(record.payload)).toBe(
      JSON.stringify({
        external_id: "CAM-0001042",
        name: "CAMISETA NEGRO",
        type_id: 4,
        group_id: 9,
        customer_id: 17,
        display_name: "CAMISETA NEGRO",
        reference: "CAM-0001042",
        is_active: true,
        ean: "7700000000019",
        properties: {
          description: "CAMISETA NEGRO",
          unit: "UND",
          barcodes: ["7700000000019", "7701234567895"],
          siesa_item_id: 1042,
          erp_company: 1,
        },
      }),
    );
  });

  it("leaves ean out for an item without barcodes", () => {
    const { record } = accepted(kong.map(aSourceRecord({}, []), kongTenant));

    expect(record.payload).not.toHaveProperty("ean");
    expect(record.payload.properties).toMatchObject({ barcodes: [] });
  });

  it("still cleans up values that arrive padded or in lower case", () => {
    const source = aSourceRecord(
      { f120_referencia: "  CAM-0001042   ", f120_id: "1042", f120_id_unidad_inventario: "kls " },
      [" 7700000000019 "],
    );

    const { item } = accepted(kong.map(source, kongTenant));

    expect(item).toMatchObject({
      sku: "CAM-0001042",
      sourceId: 1042,
      unit: "KLS",
      barcodes: ["7700000000019"],
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

  it("gives the same payload, key order included, however Siesa orders the barcodes", () => {
    const once = accepted(kong.map(aSourceRecord({}, ["7701234567895", "7700000000019"]), kongTenant));
    const again = accepted(
      kong.map(aSourceRecord({}, ["7700000000019", "7701234567895", "7700000000019"]), kongTenant),
    );

    expect(JSON.stringify(again.record)).toBe(JSON.stringify(once.record));
  });
});

describe("the mappings index", () => {
  it("lists every mapping by its name", () => {
    expect(MAPPINGS).toEqual({ kong: kongDefinition, wms: wmsDefinition });
  });
});

describe("the WMS mapping", () => {
  it("turns a Siesa item into the WMS product body", () => {
    const { record } = accepted(wms.map(aSourceRecord(), wmsTenant));

    expect(JSON.stringify(record.payload)).toBe(
      JSON.stringify({
        external_id: "CAM-0001042",
        sku: "CAM-0001042",
        name: "CAMISETA NEGRO",
        description: "CAMISETA NEGRO",
        unit: "UND",
        barcodes: ["7700000000019", "7701234567895"],
        active: true,
      }),
    );
    expect(record.externalId).toBe("CAM-0001042");
  });

  it("is for the wms product and reads no tenant defaults", () => {
    expect(wms.product).toBe("wms");
    expect(wms.tenantDefaults).toEqual([]);
    expect(kong.product).toBe("kong-rfid");
    expect(kong.tenantDefaults).toEqual(["type_id", "group_id", "customer_id"]);
  });
});
