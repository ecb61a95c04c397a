import { describe, expect, it } from "vitest";
import type { SourceRecord } from "../../runtime/core/domain/model.js";
import { type Catalogue, itemId } from "../../sandbox/catalogue.js";
import { catalogue, extractEverything, occurrences, startSiesa } from "./helpers.js";

/** What a correct extraction must return: each company item once, with exactly its own barcodes. */
function expectMatchesCatalogue(records: readonly SourceRecord[], data: Catalogue): void {
  const counts = occurrences(records);
  const companyIds = data.companyItemIds().map(String);
  expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
  expect([...counts.keys()].sort()).toEqual([...companyIds].sort());
  expect(records.every((r) => r.item.f120_id_cia === data.erpCompany)).toBe(true);

  const codes = (rows: readonly { f131_id?: unknown }[]) => rows.map((b) => String(b.f131_id).trim()).sort();
  for (const record of records) {
    expect(codes(record.barcodes)).toEqual(codes(data.barcodesOf(Number(record.key))));
  }
  expect(records.reduce((sum, r) => sum + r.barcodes.length, 0)).toBe(data.companyBarcodes().length);
  const descriptions = new Map(
    data.items
      .filter((row) => row.f120_id_cia === data.erpCompany)
      .map((row) => [
        String(itemId(row)),
        Object.entries(row).find(([k]) => k.trim() === "f120_descripcion")?.[1],
      ]),
  );
  for (const record of records) {
    const wire = descriptions.get(record.key);
    expect(record.item.f120_descripcion).toBe(typeof wire === "string" ? wire.trim() : wire);
  }
}

describe("extraction completeness under Siesa's unstable order and repeated rows", () => {
  it("plain page-walking is not enough against this sandbox: it misses or repeats records", async () => {
    const { client, sandbox } = await startSiesa({ catalogue: catalogue({ size: 2_000 }) });
    const siesa = client();

    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const answer = await siesa.queryPage("API_v2_Items", page, "f120_id_cia = 1");
      seen.push(...answer.rows.map((row) => String(Number(row.f120_id))));
      if (answer.endOfData) break;
    }

    const unique = new Set(seen);
    expect(unique.size).toBeLessThan(sandbox.catalogue.companyItemIds().length);
    expect(seen.length).toBeGreaterThan(unique.size);
  });

  it.each([
    { size: 2_000, envelope: "Table", endOfData: "short", concurrency: 1 },
    { size: 2_000, envelope: "Datos", endOfData: "200", concurrency: 4 },
    { size: 10_000, envelope: "Table", endOfData: "400", concurrency: 8 },
    { size: 10_000, envelope: "Datos", endOfData: "short", concurrency: 8 },
  ] as const)(
    "returns every company item of $size exactly once ($envelope envelope, '$endOfData' end, concurrency $concurrency)",
    async ({ size, envelope, endOfData, concurrency }) => {
      const data = catalogue({ size, seed: size + 1, otherCompanyShare: 0.1, malformedShare: 0.02 });
      const { client } = await startSiesa({ catalogue: data, envelope, endOfData, repeatShare: 0.03 });

      const records = await extractEverything(client(), concurrency);

      expectMatchesCatalogue(records, data);
    },
  );

  it("sees changes made to the catalogue between runs", async () => {
    const data = catalogue({ size: 1_500 });
    const { client } = await startSiesa({ catalogue: data });
    await extractEverything(client());

    const changed = data.changeItems(10);
    const added = data.addItems(3);
    data.removeItems(data.companyItemIds().slice(0, 2));
    const records = await extractEverything(client());

    expectMatchesCatalogue(records, data);
    const revised = records
      .filter((r) => / REV 1$/.test(String(r.item.f120_descripcion)))
      .map((r) => Number(r.key));
    expect(revised.sort((a, b) => a - b)).toEqual(changed.filter((id) => data.companyItemIds().includes(id)));
    expect(records.map((r) => Number(r.key))).toEqual(expect.arrayContaining(added));
  });

  it.each([
    ["Table", 2.4],
    ["Datos", 2.0],
  ] as const)(
    "stays near the minimum number of queries (%s envelope: at most %s× one query per full page)",
    async (envelope, factor) => {
      const data = catalogue({ size: 10_000, seed: 77 });
      const { client, sandbox } = await startSiesa({ catalogue: data, envelope });
      const pages = (rows: number) => Math.ceil(rows / 100);
      const minimum = pages(data.companyItemIds().length) + pages(data.companyBarcodes().length);

      await extractEverything(client(), 1);

      expect(sandbox.stats.total).toBeLessThanOrEqual(factor * minimum);
    },
  );
});
