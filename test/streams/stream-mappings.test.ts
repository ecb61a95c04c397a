import { describe, expect, it } from "vitest";
import type { SiesaRow } from "../../runtime/core/domain/model.js";
import { parseTenant, type TenantInput } from "../../runtime/core/domain/tenant.js";
import { oneRowPerKey, stockKey, stockMapper } from "../../runtime/core/streams/stock.js";
import { locationExternalId, warehouseMapper } from "../../runtime/core/streams/warehouses.js";
import { aTenant, aTenantInput } from "../tenants/factories.js";

// What a warehouse and a stock row become: a product location, and expected stock by the tenant's rule.

const withStreams = (streams: TenantInput["streams"]) =>
  aTenant((input) => {
    input.streams = streams;
  });
const WAREHOUSES = { schedule: "rate(1 day)", location: { type: "E1", parent: "STORE-1" } };
const STOCK = { schedule: "rate(15 minutes)" };

const stockRow = (row: Record<string, string | number | null>) => ({
  key: stockKey("NB1", 1042, "001"),
  item: {
    f120_id: 1042,
    f120_referencia: "REF-1042",
    f150_id: "NB1",
    f400_id_instalacion: "001",
    f400_cant_existencia_1: 10,
    f400_cant_comprometida_1: 2,
    f400_cant_pos_1: 1.5,
    ...row,
  },
  barcodes: [],
});

describe("the stock stream's mapping", () => {
  it("expects on hand less committed and unposted POS by default: a count is not short of unposted sales", () => {
    const mapped = stockMapper(withStreams({ stock: STOCK })).map(stockRow({}));

    expect(mapped).toMatchObject({
      ok: true,
      record: {
        key: "NB1|0000001042|001",
        payload: {
          item: 1042,
          reference: "REF-1042",
          warehouse: "NB1",
          installation: "001",
          onHand: 10,
          committed: 2,
          pos: 1.5,
          expected: 6.5,
        },
      },
    });
  });

  it("takes from on hand only what the tenant's rule names", () => {
    const onlyPos = stockMapper(withStreams({ stock: { ...STOCK, subtract: ["pos"] } })).map(stockRow({}));
    const nothing = stockMapper(withStreams({ stock: { ...STOCK, subtract: [] } })).map(stockRow({}));

    expect(onlyPos.ok && onlyPos.record.payload.expected).toBe(8.5);
    expect(nothing.ok && nothing.record.payload.expected).toBe(10);
  });

  it("keeps negative and fractional quantities as Siesa holds them, without binary noise", () => {
    const mapped = stockMapper(withStreams({ stock: STOCK })).map(
      stockRow({ f400_cant_existencia_1: "0.3000", f400_cant_comprometida_1: 0.1, f400_cant_pos_1: 0.2 }),
    );
    const negative = stockMapper(withStreams({ stock: STOCK })).map(stockRow({ f400_cant_existencia_1: -4 }));

    expect(mapped.ok && mapped.record.payload.expected).toBe(0);
    expect(negative.ok && negative.record.payload.expected).toBe(-7.5);
  });

  it("rejects a row whose quantity is not a number, naming the column, rather than reading it as zero", () => {
    const mapped = stockMapper(withStreams({ stock: STOCK })).map(
      stockRow({ f400_cant_comprometida_1: null }),
    );

    expect(mapped).toMatchObject({ ok: false, fields: { f400_cant_comprometida_1: expect.any(String) } });
    expect(!mapped.ok && mapped.reason).toMatch(/f400_cant_comprometida_1 must be a number \(got null\)/);
  });

  it.each([
    { column: "f150_id", warehouse: "NB|1", installation: "001" },
    { column: "f400_id_instalacion", warehouse: "NB1", installation: "0|1" },
  ])("rejects a row whose $column holds the key's separator '|', naming the column and the value", (row) => {
    const mapped = stockMapper(withStreams({ stock: STOCK })).map({
      ...stockRow({ f150_id: row.warehouse, f400_id_instalacion: row.installation }),
      key: stockKey(row.warehouse, 1042, row.installation),
    });

    const value = row.column === "f150_id" ? row.warehouse : row.installation;
    expect(mapped).toMatchObject({ ok: false, fields: { [row.column]: expect.any(String) } });
    expect(!mapped.ok && mapped.reason).toContain(`${row.column} ${JSON.stringify(value)} holds '|'`);
  });
});

describe("a stock key's repeats in one answer (oneRowPerKey, then the mapping)", () => {
  const twins: { key: string; row: SiesaRow }[] = [
    { key: stockKey("NB1", 1042, "001"), row: stockRow({}).item },
    { key: stockKey("NB1", 1042, "001"), row: stockRow({ f400_cant_existencia_1: "12" }).item },
    { key: stockKey("NB1", 1042, "001"), row: stockRow({ f400_cant_existencia_1: 10 }).item },
  ];
  const mapOne = (rows: typeof twins) => {
    const [[key, item]] = [...oneRowPerKey(rows)] as [[string, SiesaRow]];
    return stockMapper(withStreams({ stock: STOCK })).map({ key, item, barcodes: [] });
  };

  it("rejects a row whose repeats disagree, naming the column and every value, whatever their order", () => {
    const forward = mapOne(twins);
    const backward = mapOne([...twins].reverse());

    expect(forward).toEqual(backward);
    expect(forward).toMatchObject({ ok: false, fields: { f400_cant_existencia_1: expect.any(String) } });
    expect(!forward.ok && forward.reason).toBe(
      "f400_cant_existencia_1 Siesa answered this row twice in one read, with 10 and 12: neither is taken; the next run reads it again",
    );
  });

  it("keeps one row of repeats that agree, a number and its text being one value", () => {
    const [first] = twins as [(typeof twins)[0]];
    const mapped = mapOne([first, { ...first, row: { ...first.row, f400_cant_existencia_1: "10" } }]);

    expect(mapped).toMatchObject({ ok: true, record: { payload: { onHand: 10, expected: 6.5 } } });
  });
});

describe("the warehouses stream's mapping", () => {
  const row = (fields: Record<string, string | number>) => ({
    key: "NB1",
    item: { f150_id: "NB1", f150_id_cia: 1, f150_descripcion: "BODEGA NORTE", f150_ind_estado: 1, ...fields },
    barcodes: [],
  });

  it("makes a warehouse the Kong location the loader posts, under the tenant's parent and type", () => {
    const tenant = withStreams({ warehouses: WAREHOUSES });

    const mapped = warehouseMapper(tenant).map(row({}));

    expect(mapped).toEqual({
      ok: true,
      record: {
        key: "NB1",
        externalId: locationExternalId(tenant, "NB1"),
        payload: {
          external_id: "8585-1-NB1",
          type_external_id: "E1",
          customer_ids: [17],
          parent_external_id: "STORE-1",
          name: "BODEGA NORTE",
          display_name: "BODEGA NORTE (NB1)",
          is_active: true,
          zone_type: null,
        },
      },
    });
  });

  it("writes a closed warehouse inactive, and sets one gone from Siesa inactive the same way", () => {
    const mapper = warehouseMapper(withStreams({ warehouses: WAREHOUSES }));

    const closed = mapper.map(row({ f150_ind_estado: 0 }));

    expect(closed.ok && closed.record.payload.is_active).toBe(false);
    expect(mapper.inactive).toEqual({ is_active: false });
  });

  it("gives two clients' warehouses of one code two external ids (Kong's are unique across customers)", () => {
    const one = withStreams({ warehouses: WAREHOUSES });
    const other = aTenant((input) => {
      input.siesa.companyId = 9000;
      input.streams = { warehouses: WAREHOUSES };
    });

    expect(locationExternalId(one, "NB1")).not.toBe(locationExternalId(other, "NB1"));
  });

  it("rejects a warehouse without a description: a location needs a name", () => {
    const mapped = warehouseMapper(withStreams({ warehouses: WAREHOUSES })).map(
      row({ f150_descripcion: "  " }),
    );

    expect(mapped).toMatchObject({ ok: false, fields: { f150_descripcion: "is empty" } });
  });
});

describe("a tenant file's streams", () => {
  it("names the field of a stream that is wrong", () => {
    const input = aTenantInput();
    (input as Record<string, unknown>).streams = {
      stock: { schedule: "every hour", subtract: ["returns"] },
      warehouses: { schedule: "rate(1 day)", location: { type: "", parent: null } },
      sales: {},
    };

    const parsed = parseTenant(input);

    expect(parsed.ok).toBe(false);
    const fields = parsed.ok ? [] : parsed.issues.map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "streams.stock.schedule",
        "streams.stock.subtract.0",
        "streams.warehouses.location.type",
        "streams.sales",
      ]),
    );
  });

  it("names product.defaults.customer_id when a Kong tenant with warehouses lacks it: each location's customer_ids is that customer", () => {
    const input = aTenantInput();
    const { customer_id: _dropped, ...defaults } = input.product.defaults;
    input.product.defaults = defaults;
    input.streams = { warehouses: WAREHOUSES };

    const parsed = parseTenant(input);

    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.issues).toEqual([
      {
        field: "product.defaults.customer_id",
        problem: expect.stringMatching(/^must be .*whole number.* streams\.warehouses/),
      },
    ]);
  });

  it("defaults the stock rule to on hand less committed and unposted POS", () => {
    expect(withStreams({ stock: STOCK }).streams?.stock?.subtract).toEqual(["committed", "pos"]);
  });
});
