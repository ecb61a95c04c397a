import { describe, expect, it } from "vitest";
import { catalogue, extractEverything, startSiesa } from "./helpers.js";

/**
 * Siesa requests are what a tenant waits for (a Siesa may allow a handful a minute), and every run
 * reads the whole catalogue, changed or not. The minimum is one request per page of item rows and
 * one per page of barcode rows (docs/benchmarks.md). One unit at a time, so the sandbox's seeded
 * order makes the count the same on every run of the test.
 */
describe("Siesa requests of a whole extraction", () => {
  it.each([
    { size: 2_000, factor: 1.85 },
    { size: 10_000, factor: 1.6 },
  ])(
    "reads $size items and their barcodes in at most $factor times the minimum",
    async ({ size, factor }) => {
      const data = catalogue({ size, seed: 42 });
      const { client, sandbox } = await startSiesa({ catalogue: data });
      const pages = (rows: number) => Math.ceil(rows / 100);
      const minimum = pages(data.companyItemIds().length) + pages(data.companyBarcodes().length);

      const records = await extractEverything(client(), 1);

      expect(records).toHaveLength(size);
      const { byDescripcion, total } = sandbox.stats;
      expect(total, `requests by query: ${JSON.stringify(byDescripcion)}`).toBeLessThanOrEqual(
        Math.floor(factor * minimum),
      );
    },
  );
});
