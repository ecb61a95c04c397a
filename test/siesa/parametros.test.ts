import { describe, expect, it } from "vitest";
import type { SiesaWireRow } from "../../sandbox/catalogue.js";
import { matches, ParametrosError, parseParametros } from "../../sandbox/siesa.js";

const FIELDS = ["f120_id", "f120_referencia", "f120_descripcion", "f120_id_cia"];
const row = (overrides: SiesaWireRow = {}): SiesaWireRow => ({
  f120_id: 1500,
  f120_referencia: "CAM-0001500   ",
  "f120_descripcion  ": "O'NEILL CAMISETA    ",
  f120_id_cia: 1,
  ...overrides,
});
const keeps = (filter: string, r = row()) => matches(r, parseParametros(filter, FIELDS));

describe("the sandbox's parametros filter", () => {
  it("parses clauses joined by AND in any case, with every operator", () => {
    const clauses = parseParametros(
      "f120_id_cia = 1 and f120_id >= 10 AnD f120_id<20 AND f120_referencia <> 'X'",
      FIELDS,
    );

    expect(clauses).toEqual([
      { field: "f120_id_cia", op: "=", value: 1 },
      { field: "f120_id", op: ">=", value: 10 },
      { field: "f120_id", op: "<", value: 20 },
      { field: "f120_referencia", op: "<>", value: "X" },
    ]);
  });

  it.each([
    ["f120_id = 1500", true],
    ["f120_id <> 1500", false],
    ["f120_id < 1500", false],
    ["f120_id <= 1500", true],
    ["f120_id > 1499", true],
    ["f120_id >= 1501", false],
    ["f120_id >= -5 AND f120_id < 2147483648", true],
    ["f120_id >= 1000 AND f120_id < 1500", false],
  ])("compares integers: %s → %s", (filter, kept) => {
    expect(keeps(filter)).toBe(kept);
  });

  it("compares strings ignoring CHAR padding, on padded keys too, with '' as an escaped quote", () => {
    expect(keeps("f120_referencia = 'CAM-0001500'")).toBe(true);
    expect(keeps("f120_descripcion = 'O''NEILL CAMISETA'")).toBe(true);
    expect(keeps("f120_descripcion = 'ONEILL CAMISETA'")).toBe(false);
  });

  it("matches nothing on a NULL column, as SQL does", () => {
    expect(keeps("f120_descripcion <> 'X'", row({ "f120_descripcion  ": null }))).toBe(false);
  });

  it.each([
    ["an unknown field", "f999_nada = 1", /f999_nada/],
    ["a missing operator", "f120_id 5", /operador/],
    ["a missing value", "f120_id =", /valor/],
    ["a missing AND", "f120_id = 1 f120_id_cia = 1", /AND/],
    ["a dangling AND", "f120_id = 1 AND", /campo/],
    ["an OR (not supported)", "f120_id = 1 OR f120_id = 2", /AND/],
    ["an unterminated string", "f120_referencia = 'abc", /sintaxis/],
    ["a statement", "f120_id = 1; DROP TABLE t120", /sintaxis/],
    ["an empty filter", "   ", /vacío/],
  ])("refuses %s", (_, filter, message) => {
    expect(() => parseParametros(filter, FIELDS)).toThrow(ParametrosError);
    expect(() => parseParametros(filter, FIELDS)).toThrow(message);
  });
});
