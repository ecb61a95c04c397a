import { describe, expect, it } from "vitest";
import type { SourceRecord } from "../../runtime/core/domain/model.js";
import { FULL_RANGE, type KeyRange } from "../../runtime/core/ports/siesa.js";
import { SiesaFilterError, SiesaUnconfirmedError } from "../../runtime/core/ports/siesa-errors.js";
import { stockKey } from "../../runtime/core/streams/stock.js";
import { readEveryRange, SiesaStockReader } from "../../runtime/edges/http/siesa/index.js";
import { unitMostRows } from "../../runtime/edges/http/siesa/range-reading.js";
import { MAX_SPLIT_PIECES } from "../../runtime/edges/http/siesa/ranges.js";
import { STOCK_UNIT_PAGES } from "../../runtime/edges/http/siesa/stock.js";
import { itemId, type SiesaWireRow } from "../../sandbox/catalogue.js";
import { generateStock, type Stock } from "../../sandbox/stock.js";
import { catalogue, occurrences, startSiesa } from "./helpers.js";

// SiesaStockReader: the stock stream's reader. The root range splits into one range per counted
// warehouse; each is read completely in ranges of f120_id despite Siesa's reshuffled, repeated rows.

/** A stock row's key as the stream keys it (warehouse, item, installation). */
const keyOf = (row: SiesaWireRow) =>
  stockKey(String(row.f150_id).trim(), itemId(row), String(row.f400_id_instalacion).trim());

/** The truth a complete read must find: the rows of these warehouses (every active one by default). */
const truthOf = (stock: Stock, codes = stock.activeWarehouseCodes()) =>
  codes.flatMap((code) => stock.rowsOf(code).map(keyOf)).sort();

async function readAll(reader: SiesaStockReader, concurrency = 4): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  for await (const batch of readEveryRange(reader, { concurrency })) records.push(...batch);
  return records;
}

async function stockSiesa(size: number, options: Parameters<typeof startSiesa>[0] = {}) {
  const started = await startSiesa({
    catalogue: catalogue({ size, seed: size + 3 }),
    repeatShare: 0.05,
    ...options,
  });
  const reader = (pageSize = 100, counted?: readonly string[]) =>
    new SiesaStockReader(started.readerOptions({ pageSize }), counted);
  return { ...started, stock: started.sandbox.stock, reader };
}

describe("SiesaStockReader.extractRange", () => {
  it.each([
    { pageSize: 100, concurrency: 1 },
    { pageSize: 37, concurrency: 4 },
    { pageSize: 10, concurrency: 8 },
  ])(
    "returns every stock row of the active company warehouses exactly once (pages of $pageSize, $concurrency at a time)",
    async ({ pageSize, concurrency }) => {
      // prepare: 300 items; TD2 closed and X1, X2 of another company hold rows too
      const { stock, reader } = await stockSiesa(300);

      // act
      const records = await readAll(reader(pageSize), concurrency);

      // assess
      expect([...occurrences(records).values()].filter((n) => n > 1)).toEqual([]);
      expect(records.map((r) => r.key).sort()).toEqual(truthOf(stock));
      for (const closedOrOther of ["TD2", "X1", "X2"]) {
        expect(stock.rowsOf(closedOrOther).length).toBeGreaterThan(0);
        expect(records.filter((r) => r.key.startsWith(`${closedOrOther}|`))).toEqual([]);
      }
    },
  );

  it("returns every stock row exactly once when each warehouse carries runs of consecutive items", async () => {
    // prepare: 3,000 items, each warehouse stocking some runs of them densely and the rest barely
    const items = catalogue({ size: 3_000, seed: 3_003 });
    const { stock, reader } = await stockSiesa(3_000, {
      catalogue: items,
      stock: generateStock(items, { stockedShare: 0.3, clustered: true }),
    });

    // act
    const records = await readAll(reader(37), 4);

    // assess
    expect([...occurrences(records).values()].filter((n) => n > 1)).toEqual([]);
    expect(records.map((r) => r.key).sort()).toEqual(truthOf(stock));
  });

  it("keeps each row trimmed, with its quantities as Siesa sent them, negative and fractional included", async () => {
    const { stock, reader } = await stockSiesa(300);

    const records = new Map((await readAll(reader())).map((r) => [r.key, r.item]));

    const rows = stock.activeWarehouseCodes().flatMap((code) => stock.rowsOf(code));
    expect(rows.some((row) => Number(row.f400_cant_existencia_1) < 0)).toBe(true);
    for (const row of rows) {
      expect(records.get(keyOf(row))).toMatchObject({
        f150_id: String(row.f150_id).trim(),
        f400_id_instalacion: String(row.f400_id_instalacion).trim(),
        f400_cant_existencia_1: row.f400_cant_existencia_1,
        f400_cant_comprometida_1: row.f400_cant_comprometida_1,
        f400_cant_pos_1: row.f400_cant_pos_1,
      });
    }
  });

  it("includes the rows of items the catalogue does not list, and both installations of an item", async () => {
    const { stock, reader } = await stockSiesa(300);

    const keys = (await readAll(reader())).map((r) => r.key);

    const orphans = keys.filter((key) => stock.orphanIds.has(Number(key.split("|")[1])));
    expect(orphans.length).toBe(stock.orphanIds.size);
    const byItem = occurrences(
      keys.map((key) => ({ key: key.split("|").slice(0, 2).join("|") }) as SourceRecord),
    );
    expect([...byItem.values()].some((n) => n === 2)).toBe(true);
  });

  it("splits the root into one range per active warehouse, and a halved root into the same halves of each", async () => {
    const { stock, reader } = await stockSiesa(300);

    const root = await reader().extractRange(FULL_RANGE);
    const half = await reader().extractRange({ from: 0, to: 1_000 });

    expect(root).toEqual({
      kind: "split",
      ranges: stock
        .activeWarehouseCodes()
        .sort()
        .map((within) => ({ ...FULL_RANGE, within })),
    });
    expect(half).toEqual({
      kind: "split",
      ranges: stock
        .activeWarehouseCodes()
        .sort()
        .map((within) => ({ from: 0, to: 1_000, within })),
    });
  });

  it("splits a large warehouse into f120_id ranges of that warehouse, which together read it completely", async () => {
    // prepare: 2,000 items, about 1,000 rows in NB1
    const { stock, reader } = await stockSiesa(2_000);
    const nb1 = { ...FULL_RANGE, within: "NB1" };

    // act: the warehouse's range, then its pieces, as the engine would send them
    const first = await reader().extractRange(nb1);
    const records: SourceRecord[] = [];
    const pending: KeyRange[] = first.kind === "split" ? [...first.ranges] : [];
    for (let range = pending.shift(); range; range = pending.shift()) {
      const result = await reader().extractRange(range);
      if (result.kind === "split") pending.push(...result.ranges);
      else records.push(...result.records);
    }

    // assess: pieces of NB1 only, disjoint, covering the int range, and every NB1 row once
    expect(first.kind).toBe("split");
    const pieces = first.kind === "split" ? first.ranges : [];
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.every((piece) => piece.within === "NB1")).toBe(true);
    expect(pieces[0]?.from).toBe(FULL_RANGE.from);
    expect(pieces.at(-1)?.to).toBe(FULL_RANGE.to);
    for (let i = 1; i < pieces.length; i++) expect(pieces[i]?.from).toBe(pieces[i - 1]?.to);
    expect(records.map((r) => r.key).sort()).toEqual(truthOf(stock, ["NB1"]));
  });

  /** A warehouse's range, then its pieces, as the engine sends them: its records and its pieces. */
  async function readWarehouse(reader: () => SiesaStockReader, code: string, known?: readonly string[]) {
    // What the last complete run read, handed to every range as the engine would (baseline-keys.ts)
    const options = known
      ? {
          known: async function* () {
            yield known;
          },
        }
      : {};
    const first = await reader().extractRange({ ...FULL_RANGE, within: code }, options);
    const records: SourceRecord[] = [];
    // The records of each unit that read records: what its plan stores
    const units: number[] = [];
    const pieces = first.kind === "split" ? first.ranges : [];
    const pending: KeyRange[] = [...pieces];
    if (first.kind === "records") records.push(...first.records);
    if (first.kind === "records") units.push(first.records.length);
    for (let range = pending.shift(); range; range = pending.shift()) {
      const result = await reader().extractRange(range, options);
      if (result.kind === "split") pending.push(...result.ranges);
      else {
        records.push(...result.records);
        units.push(result.records.length);
      }
    }
    return { records, pieces, units };
  }

  it("cuts a warehouse on the rows the last complete run read there: one request a leaf, no count, no sample", async () => {
    // prepare: NB1 read once; what it read is the next run's knowledge
    const { stock, sandbox, reader } = await stockSiesa(2_000);
    const known = (await readWarehouse(reader, "NB1")).records.map((r) => r.key);
    const before = sandbox.stats.byDescripcion.API_v2_Inventarios_InvFecha ?? 0;

    // act
    const { records, pieces } = await readWarehouse(reader, "NB1", known);

    // assess: every row once; each unit's leaves read with one request each
    expect(records.map((r) => r.key).sort()).toEqual(truthOf(stock, ["NB1"]));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((piece) => piece.within === "NB1" && piece.cuts !== undefined)).toBe(true);
    const leaves = pieces.reduce((sum, piece) => sum + (piece.cuts?.length ?? 0) + 1, 0);
    const requests = (sandbox.stats.byDescripcion.API_v2_Inventarios_InvFecha ?? 0) - before;
    expect(requests).toBe(leaves);
    expect(leaves).toBeLessThanOrEqual(Math.ceil(known.length / 90) + 1);
  });

  it("still reads every row once when what the last run read is out of date: rows added, rows gone", async () => {
    // prepare: the knowledge lacks every 5th row and the last (added since, the first and last ids
    // among them), and names rows Siesa no longer has
    const { stock, reader } = await stockSiesa(2_000);
    const truth = truthOf(stock, ["NB1"]);
    const gone = truth.filter((_, i) => i % 50 === 7).map((key) => key.replace(/\|[^|]*$/, "|09"));
    const known = [...truth.filter((_, i) => i % 5 !== 0 && i < truth.length - 1), ...gone];

    const { records } = await readWarehouse(reader, "NB1", known);

    expect([...occurrences(records).values()].filter((n) => n > 1)).toEqual([]);
    expect(records.map((r) => r.key).sort()).toEqual(truth);
  });

  it("reads a unit again as two halves, each with its leaves, when they now hold far more rows than the last run read", async () => {
    // prepare: the knowledge holds every third row only, so each leaf holds about three pages now
    const { stock, reader } = await stockSiesa(6_000);
    const truth = truthOf(stock, ["NB1"]);
    const known = truth.filter((_, i) => i % 3 === 0);
    const cut = await reader().extractRange(
      { ...FULL_RANGE, within: "NB1" },
      {
        known: async function* () {
          yield known;
        },
      },
    );
    if (cut.kind !== "split") throw new Error(`expected a split, got ${cut.kind}`);
    const first = cut.ranges[0] as KeyRange;

    // act: the first unit, read as the engine would
    const result = await reader().extractRange(first);

    // assess: two halves at a leaf's start, each with its own leaves, to be read as units again
    if (result.kind !== "split") throw new Error(`expected a split, got ${result.kind}`);
    const [head, rest] = result.ranges;
    expect(head?.from).toBe(first.from);
    expect(head?.to).toBe(rest?.from);
    expect(rest?.to).toBe(first.to);
    expect(first.cuts).toContain(rest?.from);
    expect([...(head?.cuts ?? []), rest?.from, ...(rest?.cuts ?? [])]).toEqual(first.cuts);
    const { records } = await readWarehouse(reader, "NB1", known);
    expect(records.map((r) => r.key).sort()).toEqual(truth);
  });

  it("keeps every unit to a few pages when many rows were added above the last run's highest id", async () => {
    // prepare: the last run read the lowest quarter of NB1's rows; the rest are new since, all in the
    // range's last leaf (ids beyond the highest known)
    const { stock, reader } = await stockSiesa(6_000);
    const truth = truthOf(stock, ["NB1"]);
    const known = truth.slice(0, Math.floor(truth.length / 4));

    const { records, units } = await readWarehouse(reader, "NB1", known);

    // assess: every row once; no unit read more than a stock unit may before it is split
    const most = unitMostRows(STOCK_UNIT_PAGES, 100);
    expect(truth.length).toBeGreaterThan(2 * most);
    expect([...occurrences(records).values()].filter((n) => n > 1)).toEqual([]);
    expect(records.map((r) => r.key).sort()).toEqual(truth);
    expect(Math.max(...units)).toBeLessThanOrEqual(most);
  });

  it("cuts a warehouse of more known rows than a split may hold into that many groups, each cut on them again", async () => {
    // prepare: pages of 3 rows, so NB1's rows make more units than a split stores
    const { stock, sandbox, reader } = await stockSiesa(6_000);
    const small = () => reader(3);
    const known = truthOf(stock, ["NB1"]);
    const before = sandbox.stats.byDescripcion.API_v2_Inventarios_InvFecha ?? 0;

    const { records, pieces } = await readWarehouse(small, "NB1", known);

    // assess: groups without cuts of their own; every row once, in about one request a leaf of two
    // rows (a page of three leaves little room for Siesa's repeated rows, one row in twenty: a leaf
    // overflows about one time in ten and then costs two requests more, so within 1.25x)
    expect(pieces.length).toBeGreaterThan(MAX_SPLIT_PIECES / 2);
    expect(pieces.length).toBeLessThanOrEqual(MAX_SPLIT_PIECES);
    expect(pieces.every((piece) => piece.cuts === undefined)).toBe(true);
    expect(records.map((r) => r.key).sort()).toEqual(known);
    const requests = (sandbox.stats.byDescripcion.API_v2_Inventarios_InvFecha ?? 0) - before;
    expect(requests).toBeLessThanOrEqual(1.25 * (known.length / 2 + pieces.length));
  });

  it("reads a warehouse whole when a retried unit may not split", async () => {
    const { stock, reader } = await stockSiesa(2_000);

    const result = await reader().extractRange({ ...FULL_RANGE, within: "PPAL" }, { split: false });

    expect(result.kind).toBe("records");
    const keys = result.kind === "records" ? result.records.map((r) => r.key) : [];
    expect(keys.sort()).toEqual(truthOf(stock, ["PPAL"]));
  });

  it("costs at most 2.3 requests per page of rows: 2,000 items in 4 warehouses", async () => {
    // Siesa requests are what a tenant waits for (a Siesa may allow a handful a minute). One unit
    // at a time, so the sandbox's seeded order makes the count the same on every run.
    const { stock, sandbox, reader } = await stockSiesa(2_000);
    const pages = stock
      .activeWarehouseCodes()
      .reduce((sum, code) => sum + Math.ceil(stock.rowsOf(code).length / 100), 0);

    await readAll(reader(), 1);

    const { byDescripcion } = sandbox.stats;
    const requests = byDescripcion.API_v2_Inventarios_InvFecha ?? 0;
    expect(byDescripcion.API_v2_Bodegas).toBe(2);
    expect(requests, `${requests} stock requests for ${pages} pages of rows`).toBeLessThanOrEqual(
      Math.floor(2.3 * pages),
    );
  });

  it.each([
    { spread: "evenly", clustered: false, most: 1.55 },
    { spread: "in runs of consecutive items", clustered: true, most: 2 },
  ])(
    "costs at most $most requests per page of rows on a first read of warehouses of many pages, stocked $spread",
    async ({ clustered, most }) => {
      // prepare: 20,000 items in 4 warehouses, about 70-110 pages of rows each
      const items = catalogue({ size: 20_000, seed: 20_003 });
      const stock = generateStock(items, { clustered, stockedShare: clustered ? 0.3 : 0.5 });
      const { sandbox, reader } = await stockSiesa(20_000, { catalogue: items, stock });
      const pages = stock
        .activeWarehouseCodes()
        .reduce((sum, code) => sum + Math.ceil(stock.rowsOf(code).length / 100), 0);

      // act: one unit at a time, so the sandbox's seeded order makes the count the same on every run
      const records = await readAll(reader(), 1);

      // assess
      expect(records.map((r) => r.key).sort()).toEqual(truthOf(stock));
      const requests = sandbox.stats.byDescripcion.API_v2_Inventarios_InvFecha ?? 0;
      expect(requests, `${requests} stock requests for ${pages} pages of rows`).toBeLessThanOrEqual(
        Math.floor(most * pages),
      );
    },
  );

  it("reads only the listed warehouses, and names a listed one that is closed or unknown", async () => {
    const { stock, reader } = await stockSiesa(300);

    const records = await readAll(reader(100, ["PPAL", " NB1"]));

    expect(records.map((r) => r.key).sort()).toEqual(truthOf(stock, ["NB1", "PPAL"]));
    await expect(reader(100, ["NB1", "TD2"]).extractRange(FULL_RANGE)).rejects.toThrow(
      "tenant acme-test counts the stock of warehouse TD2 (streams.stock.warehouses), which is closed in Siesa's API_v2_Bodegas for ERP company 1",
    );
    await expect(reader(100, ["X1"]).extractRange(FULL_RANGE)).rejects.toThrow(
      /warehouse X1 .* which is not one of its warehouses/,
    );
  });

  it("refuses to read a counted warehouse whose code another ERP company also has: stock rows carry no company to tell them apart", async () => {
    // prepare: company 2 has a warehouse NB1 too, with stock rows of its own
    const items = catalogue({ size: 300, seed: 303 });
    const stock = generateStock(items, { otherCompanyCodes: ["NB1", "X2"] });
    const { reader } = await stockSiesa(300, { catalogue: items, stock });
    expect(
      stock.warehouses.filter((w) => String(w.f150_id).trim() === "NB1").map((w) => w.f150_id_cia),
    ).toEqual([1, 2]);

    // act
    const everyWarehouse = readAll(reader());
    const onlyPpal = readAll(reader(100, ["PPAL"]));

    // assess: NB1's rows would hold company 2's; a warehouse of a code of its own still reads
    await expect(everyWarehouse).rejects.toThrow(SiesaFilterError);
    await expect(readAll(reader())).rejects.toThrow(
      "warehouse NB1 of ERP company 1 shares its code with a warehouse of ERP company 2 in API_v2_Bodegas, and the stock rows of API_v2_Inventarios_InvFecha carry no company: its stock cannot be told from theirs, so tenant acme-test's stock is not read; leave NB1 out of streams.stock.warehouses, or have the code changed in Siesa",
    );
    expect((await onlyPpal).map((r) => r.key).sort()).toEqual(truthOf(stock, ["PPAL"]));
  });

  it("stops the run on a Siesa whose stock rows carry f120_referencia but no f120_id: nothing is guessed", async () => {
    // prepare: the rows lack f120_id, so a filter on it answers "no records"
    const { reader } = await stockSiesa(300, { withoutColumns: ["f120_id"] });

    const reading = () => readAll(reader());

    await expect(reading()).rejects.toThrow(SiesaFilterError);
    await expect(reading()).rejects.toThrow(
      /the stock rows of API_v2_Inventarios_InvFecha carry no integer f120_id \(a row of f120_referencia \S+\) \(tenant acme-test, warehouse \w+\).*run `npm run probe -- --tenant acme-test`/,
    );
  });

  it("stops the run, naming the warehouse, when Siesa ignores the warehouse filter", async () => {
    const { reader, sandbox } = await stockSiesa(300);
    sandbox.setOptions({ ignoreFilter: true });
    const within = { ...FULL_RANGE, within: "NB1" };

    await expect(reader().extractRange(within)).rejects.toThrow(SiesaFilterError);
    await expect(reader().extractRange(within)).rejects.toThrow(
      /Siesa ignored the parametros filter of API_v2_Inventarios_InvFecha: a row of warehouse (?!NB1)\w+ came back when asked for warehouse NB1/,
    );
  });

  it("does not take a 'no records' glitch on a whole warehouse for an empty warehouse", async () => {
    const { reader, sandbox } = await stockSiesa(300);
    sandbox.setOptions({ noRecords: ({ parametros }) => parametros?.includes("f120_id") ?? false });

    await expect(reader().extractRange({ ...FULL_RANGE, within: "NB1" })).rejects.toThrow(
      /answered no stock row of warehouse NB1 in ranges of f120_id, yet holds f120_id \d+/,
    );
  });
});

describe("SiesaStockReader.stillAbsent", () => {
  /** A complete run's keys, then Siesa changed by `change`, then the run after it and what it lacks. */
  async function twoRuns(change: (stock: Stock) => void = () => {}) {
    const started = await stockSiesa(300);
    const before = (await readAll(started.reader())).map((r) => r.key);
    change(started.stock);
    const after = (await readAll(started.reader())).map((r) => r.key);
    const absent = before.filter((key) => !after.includes(key));
    return { ...started, after, absent };
  }

  /** Two rows of NB1 removed from Siesa (the sandbox keys rows item first). */
  const removeTwo = (stock: Stock) =>
    stock.removeRows(
      stock
        .rowsOf("NB1")
        .slice(10, 12)
        .map((row) => `${itemId(row)}|NB1|${String(row.f400_id_instalacion).trim()}`),
    );

  it("returns a removed row, and not the rows a glitch hid from the run", async () => {
    // prepare: two rows removed; three more the run missed (still in Siesa)
    const { reader, after, absent } = await twoRuns(removeTwo);
    const hidden = [after[3], after[100], after[200]] as string[];

    // act
    const still = await reader().stillAbsent(
      [...absent, ...hidden],
      after.filter((key) => !hidden.includes(key)),
    );

    // assess
    expect(absent).toHaveLength(2);
    expect(still.sort()).toEqual([...absent].sort());
  });

  it("returns every row of a warehouse that closed, or that Siesa no longer lists", async () => {
    const closed = await twoRuns((stock) => stock.closeWarehouse("NB1"));
    const removed = await twoRuns((stock) => stock.removeWarehouse("PPAL"));

    const stillClosed = await closed.reader().stillAbsent(closed.absent, closed.after);
    const stillRemoved = await removed.reader().stillAbsent(removed.absent, removed.after);

    expect(closed.absent.length).toBe(closed.stock.rowsOf("NB1").length);
    expect(stillClosed.sort()).toEqual([...closed.absent].sort());
    expect(removed.absent.length).toBe(removed.stock.rowsOf("PPAL").length);
    expect(stillRemoved.sort()).toEqual([...removed.absent].sort());
  });

  it("finds a warehouse's rows still there when the run read none of them, witnessed by another warehouse's row", async () => {
    // prepare: a glitch hid all of NB1 from the run
    const { reader, after, sandbox } = await twoRuns();
    const hidden = after.filter((key) => key.startsWith("NB1|"));
    const asked = sandbox.stats.byDescripcion.API_v2_Inventarios_InvFecha ?? 0;

    // act
    const still = await reader().stillAbsent(
      hidden,
      after.filter((key) => !hidden.includes(key)),
    );

    // assess: nothing is gone, in a few requests of half a page each
    expect(still).toEqual([]);
    const requests = (sandbox.stats.byDescripcion.API_v2_Inventarios_InvFecha ?? 0) - asked;
    expect(requests).toBeLessThanOrEqual(Math.ceil(hidden.length / 40));
  });

  it("refuses when a 'no records' glitch hides the row it was asked to witness with", async () => {
    const { reader, after, absent, sandbox } = await twoRuns(removeTwo);
    sandbox.setOptions({
      noRecords: ({ descripcion, parametros }) =>
        descripcion === "API_v2_Inventarios_InvFecha" && (parametros?.includes("f120_id") ?? false),
    });

    const asking = () => reader().stillAbsent(absent, after);

    await expect(asking()).rejects.toThrow(SiesaUnconfirmedError);
    await expect(asking()).rejects.toThrow(
      /of warehouse NB1 lacked the stock row NB1\|\d+\|\d+, which this run read/,
    );
  });

  it("refuses when the warehouses' second read lacks one the run read stock in", async () => {
    const { reader, after, absent, sandbox } = await twoRuns(removeTwo);
    sandbox.setOptions({ noRecords: ({ descripcion }) => descripcion === "API_v2_Bodegas" });

    await expect(reader().stillAbsent(absent, after)).rejects.toThrow(
      /second read of the warehouses lacked warehouse \w+, whose stock this run read/,
    );
  });

  it("refuses when the run read no stock row at all (no witness)", async () => {
    const { reader, absent } = await twoRuns(removeTwo);

    await expect(reader().stillAbsent(absent, [])).rejects.toThrow(
      /returned no stock row of tenant acme-test to witness a confirming read/,
    );
  });
});
