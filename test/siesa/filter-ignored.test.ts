import { describe, expect, it } from "vitest";
import { FULL_RANGE } from "../../runtime/core/ports/siesa.js";
import { SiesaFilterError } from "../../runtime/core/ports/siesa-errors.js";
import { BEYOND_INT_ID } from "../../sandbox/catalogue.js";
import { catalogue, extractEverything, startSiesa } from "./helpers.js";

// Completeness rests on Siesa applying the `parametros` filter: when it does not, the extraction
// stops with that reason instead of splitting toward 2^31 ranges or losing records silently. Nor
// does an item whose f120_id lies beyond the ranges extracted (a SQL int) vanish: it stops the run.

describe("a Siesa that does not apply the filter", () => {
  it("stops the first unit with the reason, naming an id that came back outside the range", async () => {
    const { client } = await startSiesa({ ignoreFilter: true });

    const reading = client().extractRange(FULL_RANGE);

    await expect(reading).rejects.toBeInstanceOf(SiesaFilterError);
    await expect(reading).rejects.toThrow(
      /Siesa ignored the parametros filter of API_v2_Items: f120_id \d+ came back/,
    );
  });

  it("stops a smaller range too, instead of splitting it", async () => {
    const { client } = await startSiesa({ ignoreFilter: true });

    await expect(client().extractRange({ from: 10, to: 20 })).rejects.toThrow(
      /ignored the parametros filter/,
    );
  });

  it("reads normally once the filter is applied", async () => {
    const { client } = await startSiesa();

    await expect(client().extractRange(FULL_RANGE)).resolves.toMatchObject({ kind: "records" });
  });
});

describe("a Siesa holding items whose f120_id is beyond a SQL int (2^31 or more)", () => {
  it("stops the extraction naming the id, whether it travels as a number or as zero-padded text", async () => {
    // One item at 2^31 (a number) and one at 2^31 + 3 (text "002147483651"), beside 50 normal ones.
    const { sandbox, client } = await startSiesa({ catalogue: catalogue({ beyondIntIds: 2 }) });
    const [asNumber, asText] = [BEYOND_INT_ID, BEYOND_INT_ID + 3];

    const both = extractEverything(client());
    await expect(both).rejects.toBeInstanceOf(SiesaFilterError);
    await expect(both).rejects.toThrow(
      /outside the f120_id range .* \(f120_id (2147483648|002147483651), tenant acme-test\)/,
    );

    sandbox.catalogue.removeItems([asNumber]);
    await expect(client().extractRange(FULL_RANGE)).rejects.toThrow(`f120_id 00${asText}, tenant acme-test`);
  });

  it("reads the same catalogue without them once they are gone", async () => {
    const { sandbox, client } = await startSiesa({ catalogue: catalogue({ beyondIntIds: 2 }) });
    sandbox.catalogue.removeItems([BEYOND_INT_ID, BEYOND_INT_ID + 3]);

    const records = await extractEverything(client());

    expect(records.map((r) => Number(r.key)).sort((a, b) => a - b)).toEqual(
      sandbox.catalogue.companyItemIds(),
    );
  });
});
