import { describe, expect, it } from "vitest";
import { SiesaUnconfirmedError } from "../../runtime/core/ports/siesa-errors.js";
import { catalogue, startSiesa } from "./helpers.js";

// SiesaClient.stillAbsent: the ids a complete extraction did not return, asked for again by id.
// Siesa answers "no records" for transient and filter problems too (docs/integrations/INT-001-siesa.md), so each request
// also names a record the run read (a witness), and an answer without it proves nothing.

/** A sandbox of 200 company items; `gone` of them deleted after the extraction read the rest. */
async function siesaWithDeleted(goneCount: number, options: { pageSize?: number } = {}) {
  const started = await startSiesa({
    repeatShare: 0.05,
    catalogue: catalogue({ size: 200, otherCompanyShare: 0.1 }),
  });
  const ids = started.sandbox.catalogue.companyItemIds();
  const gone = ids.filter((_, i) => i % Math.floor(ids.length / goneCount) === 3).slice(0, goneCount);
  const seen = ids.filter((id) => !gone.includes(id));
  started.sandbox.catalogue.removeItems(gone);
  const client = started.client(options.pageSize ? { pageSize: options.pageSize } : {});
  return { ...started, ids, gone, seen, client };
}

/** Record keys as the engine holds them: f120_id in decimal. */
const keys = (ids: readonly number[]) => ids.map(String);

describe("SiesaClient.stillAbsent", () => {
  it("returns the ids Siesa no longer has, and not those a glitch had hidden from the extraction", async () => {
    // prepare: 5 items deleted; 4 more the extraction missed (they are still in Siesa)
    const { gone, seen, client } = await siesaWithDeleted(5);
    const hidden = seen.filter((_, i) => i % 40 === 7);
    const read = seen.filter((id) => !hidden.includes(id));

    // act
    const absent = (await client.stillAbsent(keys([...gone, ...hidden]), keys(read))).map(Number);

    // assess
    expect(absent.sort((a, b) => a - b)).toEqual([...gone].sort((a, b) => a - b));
  });

  it("refuses an answer that lacks the record it was asked to witness with: a 'no records' glitch confirms nothing", async () => {
    // prepare: Siesa answers every confirming request (an OR with a witness, or a range holding one) with no records
    const { sandbox, gone, seen, client } = await siesaWithDeleted(3);
    sandbox.setOptions({ noRecords: ({ parametros }) => parametros !== undefined });

    // act / assess
    await expect(client.stillAbsent(keys(gone), keys(seen))).rejects.toThrow(SiesaUnconfirmedError);
    await expect(client.stillAbsent(keys(gone), keys(seen))).rejects.toThrow(
      /lacked f120_id \d+, which this run read/,
    );
  });

  it("refuses to confirm anything when the extraction read no record at all (no witness to ask for)", async () => {
    const { gone, client } = await siesaWithDeleted(3);

    await expect(client.stillAbsent(keys(gone), [])).rejects.toThrow(
      /returned no record of tenant acme-test to witness a confirming read/,
    );
  });

  it("groups the ids into a few ranges, each answered by one short page, and asks for barcodes not at all", async () => {
    // prepare: 40 items deleted in one block, the rest read
    const started = await startSiesa({
      repeatShare: 0,
      catalogue: catalogue({ size: 200, otherCompanyShare: 0 }),
    });
    const ids = started.sandbox.catalogue.companyItemIds();
    const gone = ids.slice(50, 90);
    started.sandbox.catalogue.removeItems(gone);
    const before = { ...started.sandbox.stats.byDescripcion };

    // act
    const absent = await started
      .client({ pageSize: 20 })
      .stillAbsent(keys(gone), keys(ids.filter((id) => !gone.includes(id))));

    // assess: 40 ids, at most 9 per request of 20 rows (absent ids, and the witness)
    expect(absent).toHaveLength(40);
    const asked = (started.sandbox.stats.byDescripcion.API_v2_Items ?? 0) - (before.API_v2_Items ?? 0);
    expect(asked).toBe(Math.ceil(40 / 9));
    expect(started.sandbox.stats.byDescripcion.API_v2_ItemsBarras ?? 0).toBe(before.API_v2_ItemsBarras ?? 0);
  });

  it("asks a range again in halves when records the extraction did not see fill its page", async () => {
    // prepare: 2 items deleted; the 19 between them were created after the extraction (not seen)
    const started = await startSiesa({
      repeatShare: 0,
      catalogue: catalogue({ size: 150, otherCompanyShare: 0 }),
    });
    const ids = started.sandbox.catalogue.companyItemIds();
    const gone = [ids[50] as number, ids[70] as number];
    started.sandbox.catalogue.removeItems(gone);
    const seen = ids.filter((_, i) => i < 50 || i > 70);
    const before = started.sandbox.stats.byDescripcion.API_v2_Items ?? 0;

    // act: the pair's range looks like 2 rows, and answers a full page of 10
    const absent = (await started.client({ pageSize: 10 }).stillAbsent(keys(gone), keys(seen))).map(Number);

    // assess: asked once whole, then once per half
    expect(absent.sort((a, b) => a - b)).toEqual(gone);
    expect((started.sandbox.stats.byDescripcion.API_v2_Items ?? 0) - before).toBe(3);
  });
});
