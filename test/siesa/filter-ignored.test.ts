import { describe, expect, it } from "vitest";
import { FULL_RANGE, SiesaFilterError } from "../../runtime/siesa/index.js";
import { startSiesa } from "./helpers.js";

// Completeness rests on Siesa applying the `parametros` filter: when it does not, the extraction
// stops with that reason instead of splitting toward 2^31 ranges or losing records silently.

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
