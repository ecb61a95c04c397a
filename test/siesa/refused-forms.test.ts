import { describe, expect, it } from "vitest";
import { SiesaOperatorRefusedError } from "../../runtime/core/ports/siesa-errors.js";
import { refusedOperator } from "../../runtime/edges/http/siesa/answer.js";
import {
  encodeParametros,
  MAX_PARAMETROS_LENGTH,
  referenceGroups,
  referencesParametros,
} from "../../runtime/edges/http/siesa/parametros.js";
import { parseParametros } from "../../sandbox/siesa.js";
import { catalogue, extractEverything, occurrences, startSiesa } from "./helpers.js";

// Siesa's guide lists `=`, `LIKE`, `AND` and `OR`; `IN` and `>=`/`<` are not confirmed. Where Siesa
// refuses `IN`, barcodes are asked by OR chains instead; a refused range operator has no other form.

const codes = (rows: readonly { f131_id?: unknown }[]) =>
  rows.map((row) => String(row.f131_id).trim()).sort();

describe("a Siesa that refuses IN lists", () => {
  it("gets every barcode through OR chains, after one refused request for the client's life", async () => {
    // prepare: a catalogue of several units, a Siesa refusing IN
    const data = catalogue({ size: 600 });
    const { client, sandbox } = await startSiesa({ catalogue: data, refuseOperators: ["IN"] });
    const reader = client();

    // act: two whole extractions with the same client, four ranges at a time
    const first = await extractEverything(reader, 4);
    const refusedByFirst = sandbox.stats.refused;
    const second = await extractEverything(reader, 4);

    // assess: every item once, each with exactly its barcodes; one refusal in all
    for (const records of [first, second]) {
      expect(records).toHaveLength(data.companyItemIds().length);
      expect([...occurrences(records).values()].every((n) => n === 1)).toBe(true);
      for (const record of records) {
        expect(codes(record.barcodes)).toEqual(codes(data.barcodesOf(Number(record.key))));
      }
    }
    expect(refusedByFirst).toBe(1);
    expect(sandbox.stats.refused).toBe(1);
  });

  it("writes OR chains that stay within the URL budget and select the same references", () => {
    const references = Array.from({ length: 200 }, (_, i) => `CAM-${String(i).padStart(7, "0")}`);

    const groups = referenceGroups(references, MAX_PARAMETROS_LENGTH, "or");

    expect(groups.flat()).toEqual(references);
    for (const group of groups) {
      const parametros = referencesParametros(group, "or");
      expect(encodeParametros(parametros).length).toBeLessThanOrEqual(MAX_PARAMETROS_LENGTH);
      expect(parseParametros(parametros)).toEqual({
        kind: "or",
        parts: group.map((value) => ({ kind: "compare", field: "f120_referencia", op: "=", value })),
      });
    }
    expect(referencesParametros(["A", "O'NEILL"], "or")).toBe(
      "(f120_referencia = ''A'' OR f120_referencia = ''O''''NEILL'')",
    );
  });
});

describe("a refusal, told from other Siesa errors", () => {
  it("names the operator, Siesa's words, what the sync does about it and the probe line", async () => {
    const { client } = await startSiesa({ refuseOperators: ["IN"] });

    const refusal = client().queryPage("API_v2_ItemsBarras", 1, referencesParametros(["A", "B"]));

    await expect(refusal).rejects.toThrow(
      `Siesa refused the filter operator 'IN' of API_v2_ItemsBarras (tenant acme-test): codigo 2: Error al ejecutar la consulta: Sintaxis incorrecta cerca de 'IN'; the sync asks for barcodes by OR chains of = instead: run \`npm run probe -- --tenant acme-test\` and read its "siesa reference list" line`,
    );
  });

  it.each([
    ["codigo 2: Error al ejecutar la consulta: Sintaxis incorrecta cerca de 'IN'", "IN"],
    ["codigo 2: Sintaxis incorrecta cerca de la palabra clave 'IN'.", "IN"],
    ["codigo 2: Incorrect syntax near '>='.", ">="],
    ["codigo 2: Incorrect syntax near the keyword 'in'.", "IN"],
  ])("reads %s as a refusal of %s", (message, operator) => {
    expect(refusedOperator(message)).toBe(operator);
  });

  it.each([
    "HTTP 400: Bad Request",
    "codigo 2: La compañía '1234' no existe o no está habilitada",
    "codigo 2: error de sintaxis cerca de 'f120_referencia IN'",
    "codigo 2: El nombre de columna 'IN' no es válido",
  ])("does not read %s as a refusal", (message) => {
    expect(refusedOperator(message)).toBeUndefined();
  });
});

describe("a Siesa that refuses a range operator", () => {
  it.each([">=", "<"] as const)(
    "stops the extraction naming %s and the probe line that shows it",
    async (operator) => {
      const { client } = await startSiesa({
        catalogue: catalogue({ size: 120 }),
        refuseOperators: [operator],
      });

      const extraction = extractEverything(client());

      await expect(extraction).rejects.toThrow(SiesaOperatorRefusedError);
      await expect(extraction).rejects.toThrow(
        new RegExp(
          `refused the filter operator '${operator}'.*npm run probe -- --tenant acme-test\` and read its "siesa range filter" line`,
        ),
      );
    },
  );
});
