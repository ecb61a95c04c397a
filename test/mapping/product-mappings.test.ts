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
  it("lists every mapping by its name", () => {
    expect(MAPPINGS).toEqual({ kong: kongDefinition, wms: wmsDefinition });
  });
});

describe("the WMS mapping", () => {
  it("turns a Siesa item into the WMS product body, keyed on f120_id with the reference as sku", () => {
    const { record } = accepted(wms.map(aSourceRecord(), wmsTenant));

    expect(JSON.stringify(record.payload)).toBe(
      JSON.stringify({
        external_id: "1042",
        sku: "CAM-0001042",
        name: "CAMISETA NEGRO",
        description: "CAMISETA NEGRO",
        unit: "UND",
        barcodes: ["17701234567892", "7701234567895"],
        active: true,
        attributes: {
          ean: "7701234567895",
          barcodes: [
            { barcode: "17701234567892", unit: "CAJ" },
            { barcode: "7701234567895", unit: "UND" },
          ],
        },
      }),
    );
    expect(record.externalId).toBe("1042");
  });

  it("is for the wms product and reads no tenant defaults", () => {
    expect(wms.product).toBe("wms");
    expect(wms.tenantDefaults).toEqual([]);
    expect(kong.product).toBe("kong-rfid");
    expect(kong.tenantDefaults).toEqual(["type_id", "group_id", "customer_id"]);
  });
});
