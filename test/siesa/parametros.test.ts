import { describe, expect, it } from "vitest";
import {
  encodeParametros,
  referenceGroups,
  referencesParametros,
  textLiteral,
} from "../../runtime/edges/http/siesa/parametros.js";
import type { SiesaWireRow } from "../../sandbox/catalogue.js";
import { fieldsOf, matches, ParametrosError, parseParametros } from "../../sandbox/siesa.js";

const row = (overrides: SiesaWireRow = {}): SiesaWireRow => ({
  f120_id: 1500,
  f120_referencia: "CAM-0001500   ",
  "f120_descripcion  ": "O'NEILL CAMISETA    ",
  f120_id_cia: 1,
  ...overrides,
});
const keeps = (filter: string, r = row()) => matches(r, parseParametros(filter));

describe("the sandbox's parametros filter", () => {
  it("parses comparisons joined by AND in any case, with every operator, strings in doubled quotes", () => {
    const filter = parseParametros(
      "f120_id_cia = 1 and f120_id >= 10 AnD f120_id<20 AND f120_referencia <> ''X''",
    );

    expect(filter).toEqual({
      kind: "and",
      parts: [
        { kind: "compare", field: "f120_id_cia", op: "=", value: 1 },
        { kind: "compare", field: "f120_id", op: ">=", value: 10 },
        { kind: "compare", field: "f120_id", op: "<", value: 20 },
        { kind: "compare", field: "f120_referencia", op: "<>", value: "X" },
      ],
    });
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

  it("compares an int literal with an id that travels as zero-padded text", () => {
    expect(keeps("f120_id = 1500", row({ f120_id: "0000001500" }))).toBe(true);
    expect(keeps("f120_id >= 1501", row({ f120_id: "0000001500" }))).toBe(false);
  });

  it("compares strings ignoring CHAR padding, on padded keys too, with four quotes for a quote inside", () => {
    expect(keeps("f120_referencia = ''CAM-0001500''")).toBe(true);
    expect(keeps("f120_descripcion = ''O''''NEILL CAMISETA''")).toBe(true);
    expect(keeps("f120_descripcion = ''ONEILL CAMISETA''")).toBe(false);
  });

  it("matches IN lists, ORs and parenthesised groups, AND binding tighter than OR", () => {
    expect(keeps("f120_referencia IN (''A'', ''CAM-0001500'')")).toBe(true);
    expect(keeps("f120_referencia in (''A'',''B'')")).toBe(false);
    expect(keeps("f120_referencia = ''A'' OR f120_referencia = ''CAM-0001500''")).toBe(true);
    expect(keeps("f120_id_cia = 2 AND f120_id = 1500 OR f120_id = 1500")).toBe(true);
    expect(keeps("f120_id_cia = 2 AND (f120_id = 1500 OR f120_id = 1)")).toBe(false);
    expect(
      fieldsOf(parseParametros("f120_id_cia = 1 AND (f131_id = 1 OR f120_referencia IN (''A''))")),
    ).toEqual(["f120_id_cia", "f131_id", "f120_referencia"]);
  });

  it("matches nothing on a NULL column, as SQL does", () => {
    expect(keeps("f120_descripcion <> ''X''", row({ "f120_descripcion  ": null }))).toBe(false);
  });

  it.each([
    ["a missing operator", "f120_id 5", /operador/],
    ["a missing value", "f120_id =", /valor/],
    ["a missing AND", "f120_id = 1 f120_id_cia = 1", /AND u OR/],
    ["a dangling AND", "f120_id = 1 AND", /campo/],
    ["an unclosed IN list", "f120_referencia IN (''A''", /\)/],
    ["a string in single quotes (it ends Siesa's own literal)", "f120_referencia = 'abc'", /sintaxis/],
    ["an unterminated string", "f120_referencia = ''abc", /sintaxis/],
    ["a statement", "f120_id = 1; DROP TABLE t120", /sintaxis/],
    ["an empty filter", "   ", /vacío/],
  ])("refuses %s", (_, filter, message) => {
    expect(() => parseParametros(filter)).toThrow(ParametrosError);
    expect(() => parseParametros(filter)).toThrow(message);
  });
});

describe("the client's parametros for barcodes", () => {
  it("quotes references in doubled single quotes, a quote inside as four, and the sandbox reads them back", () => {
    const filter = referencesParametros(["CAM-1", "O'NEILL"]);

    expect(textLiteral("CAM-1")).toBe("''CAM-1''");
    expect(filter).toBe("f120_referencia IN (''CAM-1'',''O''''NEILL'')");
    expect(parseParametros(filter)).toEqual({
      kind: "in",
      field: "f120_referencia",
      values: ["CAM-1", "O'NEILL"],
    });
  });

  it("cuts a large set of references into groups whose encoded filter stays under the limit, in order", () => {
    const references = Array.from({ length: 250 }, (_, i) => `REF-${String(i).padStart(12, "0")}`);

    const groups = referenceGroups(references, 600);

    expect(groups.flat()).toEqual(references);
    expect(groups.length).toBeGreaterThan(1);
    for (const group of groups) {
      expect(encodeParametros(referencesParametros(group)).length).toBeLessThanOrEqual(600);
    }
    expect(referenceGroups(["X".repeat(700)], 600)).toEqual([["X".repeat(700)]]);
  });

  it("sends commas as they are, so one barcode query holds 79 references of 11 characters", () => {
    const references = Array.from({ length: 79 }, (_, i) => `CAM-${String(1_000 + i).padStart(7, "0")}`);

    const encoded = encodeParametros(referencesParametros(["A", "B"]));
    const groups = referenceGroups(references);

    expect(encoded).toBe("f120_referencia%20IN%20(%27%27A%27%27,%27%27B%27%27)");
    expect(groups).toEqual([references]);
  });
});
