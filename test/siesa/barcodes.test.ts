import { describe, expect, it } from "vitest";
import type { SourceRecord } from "../../runtime/core/domain/model.js";
import { FULL_RANGE } from "../../runtime/core/ports/siesa.js";
import { itemId } from "../../sandbox/catalogue.js";
import { catalogue, extractEverything, recordingLog, startSiesa } from "./helpers.js";

const codes = (rows: readonly { f131_id?: unknown }[]) =>
  rows.map((row) => String(row.f131_id).trim()).sort();
const byKey = (records: readonly SourceRecord[]) => new Map(records.map((r) => [r.key, r]));

describe("barcodes, read by the references of each finished item range", () => {
  it("finds every barcode of a range holding more than 100 of them, under unstable order and repeats", async () => {
    const data = catalogue({ size: 40, otherCompanyShare: 0 });
    for (const item of data.items) {
      for (let n = 0; n < 4; n++) {
        data.addBarcode(
          { reference: String(item.f120_referencia), barcode: `99${itemId(item)}${n}`, unit: "CAJ" },
          itemId(item),
        );
      }
    }
    const { client, sandbox } = await startSiesa({ catalogue: data, repeatShare: 0.1 });

    const result = await client().extractRange(FULL_RANGE);

    if (result.kind !== "records") throw new Error("expected the 40 items to fit one page");
    expect(data.companyBarcodes().length).toBeGreaterThan(160);
    expect(sandbox.stats.byDescripcion.API_v2_ItemsBarras).toBeGreaterThan(1);
    for (const record of result.records) {
      expect(codes(record.barcodes)).toEqual(codes(data.barcodesOf(Number(record.key))));
    }
  });

  it("leaves a barcode whose reference matches no item out of every record, and misses nothing else", async () => {
    const data = catalogue({ size: 120 });
    const orphan = data.addBarcode({ reference: "HUERFANO-0001", barcode: "7709999999991", unit: "UND" });
    const { client } = await startSiesa({ catalogue: data });

    const records = await extractEverything(client());

    expect(records.flatMap((r) => codes(r.barcodes))).not.toContain(String(orphan.f131_id).trim());
    for (const record of records) {
      expect(codes(record.barcodes)).toEqual(codes(data.barcodesOf(Number(record.key))));
    }
  });

  it("keeps an item's key and barcodes when its reference is renamed", async () => {
    const data = catalogue({ size: 200 });
    const { client } = await startSiesa({ catalogue: data });
    const before = byKey(await extractEverything(client()));

    const renamed = data.renameItems(3);
    const after = byKey(await extractEverything(client()));

    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const id of renamed) {
      const was = before.get(String(id));
      const now = after.get(String(id));
      expect(now?.item.f120_referencia).toBe(`${was?.item.f120_referencia}-R1`);
      expect(codes(now?.barcodes ?? [])).toEqual(codes(was?.barcodes ?? []));
    }
  });

  it("walks the pages of one reference whose barcodes alone fill a page, and warns", async () => {
    const data = catalogue({ size: 3, otherCompanyShare: 0 });
    const item = data.items[0];
    for (let n = 0; n < 25; n++) {
      data.addBarcode(
        { reference: String(item?.f120_referencia), barcode: `98${n}`, unit: "CAJ" },
        itemId(item ?? {}),
      );
    }
    const { client } = await startSiesa({ catalogue: data, repeatShare: 0, unstableOrder: false });
    const log = recordingLog();

    const records = await extractEverything(client({ pageSize: 10, log }));

    const record = records.find((r) => r.key === String(itemId(item ?? {})));
    expect(codes(record?.barcodes ?? [])).toEqual(codes(data.barcodesOf(itemId(item ?? {}))));
    expect(log.entries.some((e) => e.level === "warn" && /one key fills a page/.test(e.message))).toBe(true);
  });
});
