import { describe, expect, it } from "vitest";
import type { SiesaRow } from "../../runtime/core/domain/model.js";
import { ExternalCallError } from "../../runtime/core/ports/call-errors.js";
import { defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import { FULL_RANGE, type KeyRange } from "../../runtime/core/ports/siesa.js";
import { SiesaAuthError } from "../../runtime/core/ports/siesa-errors.js";
import { inRange } from "../../runtime/edges/http/siesa/ranges.js";
import { buildRecords, recordKey } from "../../runtime/edges/http/siesa/rows.js";
import { itemId, type SiesaWireRow } from "../../sandbox/catalogue.js";
import { SANDBOX_SIESA_CREDENTIALS } from "../../sandbox/siesa.js";
import { catalogue, extractEverything, recordingLog, recordingSleep, startSiesa } from "./helpers.js";

describe("SiesaClient.queryPage", () => {
  it("reads the Table envelope: rows with trimmed keys and values, a short page is the end", async () => {
    const { client } = await startSiesa({
      repeatShare: 0,
      catalogue: catalogue({ size: 30, otherCompanyShare: 0 }),
    });

    const page = await client().queryPage("API_v2_Items", 1);

    expect(page.endOfData).toBe(true);
    expect(page.rows).toHaveLength(30);
    for (const row of page.rows) {
      expect(Object.keys(row).sort()).toEqual([
        "f120_descripcion",
        "f120_id",
        "f120_id_cia",
        "f120_id_tipo_inv_serv",
        "f120_id_unidad_empaque",
        "f120_id_unidad_inventario",
        "f120_ind_tipo_item",
        "f120_referencia",
      ]);
      for (const value of Object.values(row)) if (typeof value === "string") expect(value).toBe(value.trim());
    }
  });

  it("reads the Datos envelope and its total", async () => {
    const { client } = await startSiesa({
      envelope: "Datos",
      repeatShare: 0,
      catalogue: catalogue({ size: 130, otherCompanyShare: 0 }),
    });

    const first = await client().queryPage("API_v2_Items", 1);
    const second = await client().queryPage("API_v2_Items", 2);

    expect(first).toMatchObject({ endOfData: false, total: 130 });
    expect(first.rows).toHaveLength(100);
    expect(second).toMatchObject({ endOfData: true, total: 130 });
    expect(second.rows).toHaveLength(30);
  });

  it.each(["short", "400", "200"] as const)(
    "understands the '%s' end-of-data answer as an empty last page",
    async (endOfData) => {
      const { client } = await startSiesa({ endOfData });

      const page = await client().queryPage("API_v2_Items", 50);

      expect(page).toEqual({ rows: [], endOfData: true });
    },
  );

  it("turns a Siesa error (codigo != 0) into a non-retryable ExternalCallError with Siesa's message", async () => {
    const { client } = await startSiesa();

    const failure = await client()
      .queryPage("API_v2_Nada", 1)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ExternalCallError);
    expect(failure).toMatchObject({ service: "siesa", retryable: false, status: 200 });
    expect((failure as ExternalCallError).apiMessage).toMatch(/La consulta estándar 'API_v2_Nada' no existe/);
  });

  it("reports a wrong idCompania with Siesa's message", async () => {
    const { client } = await startSiesa();

    await expect(client({ companyId: 1 }).queryPage("API_v2_Items", 1)).rejects.toThrow(/compañía '1'/);
  });

  it("refuses a page size Siesa cannot serve, naming the tenant", async () => {
    const { client } = await startSiesa();

    expect(() => client({ pageSize: 500 })).toThrow(/pageSize of tenant 'acme-test'.*1 to 100, got 500/);
  });
});

describe("SiesaClient authentication", () => {
  it("throws SiesaAuthError on 401 without the key or token in the message or the logs", async () => {
    const { client } = await startSiesa();
    const log = recordingLog();
    const credentials = { conniKey: "fake-conni-key-value", conniToken: "fake.conni.token-value" };

    const failure = await client({ credentials, log })
      .ping()
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SiesaAuthError);
    const told = `${(failure as Error).message} ${JSON.stringify(log.entries)}`;
    expect((failure as Error).message).toMatch(/acme-test.*401/);
    expect(told).not.toContain(credentials.conniKey);
    expect(told).not.toContain(credentials.conniToken);
  });

  it("ping succeeds with the right pair", async () => {
    const { client, sandbox } = await startSiesa();

    await client().ping();

    expect(sandbox.stats.total).toBe(1);
  });

  it("extraction stops at once with SiesaAuthError when the pair is wrong", async () => {
    const { client, sandbox } = await startSiesa();
    const wrong = { ...SANDBOX_SIESA_CREDENTIALS, conniToken: "expired" };

    await expect(extractEverything(client({ credentials: wrong }))).rejects.toBeInstanceOf(SiesaAuthError);
    expect(sandbox.stats.total).toBe(1);
  });
});

describe("SiesaClient records", () => {
  it("keeps only the tenant's ERP company, even where another company uses the same f120_id and reference", async () => {
    const { client, sandbox } = await startSiesa({
      catalogue: catalogue({ size: 300, otherCompanyShare: 0.6 }),
    });
    const shared = sandbox.catalogue.items.filter(
      (row) => row.f120_id_cia !== 1 && sandbox.catalogue.companyItemIds().includes(itemId(row)),
    );

    const records = await extractEverything(client());

    expect(shared.length).toBeGreaterThan(10);
    expect(records.map((r) => Number(r.key)).sort((a, b) => a - b)).toEqual(
      sandbox.catalogue.companyItemIds(),
    );
    expect(records.every((r) => r.item.f120_id_cia === 1)).toBe(true);
    for (const record of records) {
      expect(record.barcodes).toHaveLength(sandbox.catalogue.barcodesOf(Number(record.key)).length);
    }
  });

  it("serves the other company to a tenant whose erpCompany is that one", async () => {
    const { client, sandbox } = await startSiesa({
      catalogue: catalogue({ size: 300, otherCompanyShare: 0.6 }),
    });
    const company2 = sandbox.catalogue.items.filter((row) => row.f120_id_cia === 2).map(itemId);

    const records = await extractEverything(client({ erpCompany: 2 }));

    expect(records.map((r) => Number(r.key)).sort((a, b) => a - b)).toEqual(company2);
  });

  it("joins each item's barcodes by trimmed reference, each barcode once", async () => {
    const { client, sandbox } = await startSiesa({ repeatShare: 0.2, catalogue: catalogue({ size: 200 }) });
    const expected = new Map<string, string[]>();
    for (const id of sandbox.catalogue.companyItemIds()) {
      const codes = sandbox.catalogue.barcodesOf(id).map((row) => String(row.f131_id).trim());
      if (codes.length > 0) expected.set(String(id), codes.sort());
    }

    const records = await extractEverything(client());

    const joined = new Map(
      records
        .filter((r) => r.barcodes.length > 0)
        .map((r) => [r.key, r.barcodes.map((b) => String(b.f131_id)).sort()]),
    );
    expect(joined).toEqual(expected);
    const record = records.find((r) => r.barcodes.length > 0);
    expect(record?.barcodes[0]?.f120_referencia).toBe(record?.item.f120_referencia);
  });

  it("returns items with trimmed keys and values, malformed ones included for the mapping to reject", async () => {
    const { client, sandbox } = await startSiesa({
      catalogue: catalogue({ size: 400, malformedShare: 0.1 }),
    });

    const records = await extractEverything(client());

    const malformed = records.filter((r) => sandbox.catalogue.malformedIds.has(Number(r.key)));
    expect(malformed).toHaveLength(sandbox.catalogue.malformedIds.size);
    expect(malformed.some((r) => r.item.f120_referencia === "")).toBe(true);
    expect(malformed.some((r) => r.item.f120_descripcion === null)).toBe(true);
    expect(malformed.some((r) => r.item.f120_id_unidad_inventario === "???")).toBe(true);
    for (const { item } of records) {
      expect(Object.keys(item).every((key) => key === key.trim())).toBe(true);
      expect(String(item.f120_referencia)).toBe(String(item.f120_referencia).trim());
      expect(
        item.f120_descripcion === null || item.f120_descripcion === String(item.f120_descripcion).trim(),
      ).toBe(true);
    }
  });

  it("gives a row without an integer f120_id a stable key of its own instead of dropping it", () => {
    const broken: SiesaRow = { f120_id: "X-12", f120_referencia: "A", f120_id_cia: 1 };
    const other: SiesaRow = { f120_id: null, f120_referencia: "B", f120_id_cia: 1 };

    const records = buildRecords([broken, other, { ...broken }], []);

    expect(records).toHaveLength(2);
    expect(records[0]?.key).toMatch(/^row:[0-9a-f]{16}$/);
    expect(records[0]?.key).toBe(recordKey({ ...broken }));
    expect(records[1]?.key).not.toBe(records[0]?.key);
    expect(recordKey({ f120_id: "  77 ".trim() })).toBe("77");
  });
});

describe("SiesaClient call policy", () => {
  it("waits as Retry-After says on a 429, then goes on", async () => {
    const { client, sandbox } = await startSiesa();
    sandbox.setFaults({ rateLimitShare: 1, retryAfterSeconds: 3 });
    const waits: number[] = [];
    // The first answer is a 429; the fault lifts while the client "sleeps", so the retry succeeds.
    const sleep = async (ms: number) => {
      waits.push(ms);
      sandbox.setFaults({ rateLimitShare: 0 });
    };

    const page = await client({ policy: defaultPolicy({ sleep }) }).queryPage("API_v2_Items", 1);

    expect(page.rows.length).toBeGreaterThan(0);
    expect(waits).toEqual([3_000]);
    expect(sandbox.stats.total).toBe(2);
  });

  it("retries a 5xx up to retryAttempts times, then fails with a retryable ExternalCallError", async () => {
    const { client, sandbox } = await startSiesa();
    sandbox.setFaults({ serverErrorShare: 1 });
    const { sleep, waits } = recordingSleep();

    const failure = await client({ policy: defaultPolicy({ retryAttempts: 2, baseDelayMs: 1, sleep }) })
      .queryPage("API_v2_Items", 1)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ExternalCallError);
    expect(failure).toMatchObject({ status: 500, retryable: true });
    expect(sandbox.stats.total).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it("retries a timeout once", async () => {
    const { client, sandbox } = await startSiesa();
    sandbox.setFaults({ timeoutShare: 1, hangMs: 2_000 });
    const { sleep } = recordingSleep();

    const failure = await client({ policy: defaultPolicy({ timeoutMs: 100, sleep }) })
      .queryPage("API_v2_Items", 1)
      .catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: "ExternalCallError", status: "timeout", retryable: true });
    expect(sandbox.stats.total).toBe(2);
  });

  it("extracts everything despite a share of 429s and 500s", async () => {
    const { client, sandbox } = await startSiesa({
      catalogue: catalogue({ size: 1_000 }),
      faults: {
        ...(await import("../../sandbox/faults.js")).noFaults({ seed: 3 }),
        rateLimitShare: 0.1,
        serverErrorShare: 0.1,
      },
    });

    const records = await extractEverything(client(), 1);

    expect(records.map((r) => Number(r.key)).sort((a, b) => a - b)).toEqual(
      sandbox.catalogue.companyItemIds(),
    );
  });
});

describe("SiesaClient fallback for an id that fills a page", () => {
  it("walks that id's pages, de-duplicates, warns, and does not loop", async () => {
    // Bad data Siesa should never hold: 25 rows of one company with the same f120_id.
    const rows: SiesaWireRow[] = Array.from({ length: 25 }, (_, i) => ({
      f120_id: 4242,
      f120_referencia: `DUP-${i}`,
      f120_descripcion: "DUPLICADO",
      f120_id_unidad_inventario: "UND",
      f120_id_tipo_inv_serv: "PT",
      f120_id_cia: 1,
    }));
    const data = catalogue({ size: 0, otherCompanyShare: 0 });
    data.items.push(...rows);
    const { client, sandbox } = await startSiesa({ catalogue: data, repeatShare: 0 });
    const log = recordingLog();

    const records = await extractEverything(client({ pageSize: 10, log }));

    expect(records.map((r) => r.key)).toEqual(["4242"]);
    expect(sandbox.stats.total).toBeLessThan(20);
    expect(log.entries.some((e) => e.level === "warn" && /one key fills a page/.test(e.message))).toBe(true);
  });
});

describe("SiesaClient.extractRange", () => {
  it("returns the records of a range that fits one page", async () => {
    const { client, sandbox } = await startSiesa({ catalogue: catalogue({ size: 40 }) });

    const result = await client().extractRange(FULL_RANGE);

    expect(result.kind).toBe("records");
    expect(result.kind === "records" && result.records.map((r) => Number(r.key)).sort()).toEqual(
      sandbox.catalogue.companyItemIds(),
    );
  });

  it("splits a range that does not fit into disjoint pieces that cover it exactly", async () => {
    const { client } = await startSiesa({ catalogue: catalogue({ size: 1_000 }) });

    const result = await client().extractRange(FULL_RANGE);

    if (result.kind !== "split") throw new Error("expected a split");
    expect(result.ranges.length).toBeGreaterThan(1);
    expect(result.ranges[0]?.from).toBe(FULL_RANGE.from);
    expect(result.ranges.at(-1)?.to).toBe(FULL_RANGE.to);
    result.ranges.forEach((range, i) => {
      expect(range.to).toBeGreaterThan(range.from);
      if (i > 0) expect(range.from).toBe(result.ranges[i - 1]?.to);
    });
  });

  it("reads a later range that overflowed its page in pieces, as one unit of work", async () => {
    // prepare: a piece of the first range's split that holds 150 rows, not the 100 a page holds
    const { client, sandbox } = await startSiesa({ catalogue: catalogue({ size: 1_000 }) });
    const ids = sandbox.catalogue.companyItemIds().sort((a, b) => a - b);
    const range = { from: ids[100] as number, to: ids[250] as number, expected: 90 };

    // act
    const result = await client().extractRange(range);

    // assess: every id of the range, once, and no child units to send
    if (result.kind !== "records") throw new Error(`expected records, got a ${result.kind}`);
    expect(result.records.map((r) => Number(r.key)).sort((a, b) => a - b)).toEqual(ids.slice(100, 250));
  });

  it("still splits a later range that holds many pages into units of a few pages, read in parallel", async () => {
    const { client, sandbox } = await startSiesa({ catalogue: catalogue({ size: 3_000 }) });
    const ids = sandbox.catalogue.companyItemIds().sort((a, b) => a - b);

    const result = await client().extractRange({
      from: ids[0] as number,
      to: FULL_RANGE.to,
      expected: 3_000,
    });

    // a catalogue unit reads at most eight pages (its barcodes then fill their queries)
    if (result.kind !== "split") throw new Error(`expected a split, got ${result.kind}`);
    const rows = result.ranges.map((range) => ids.filter((id) => inRange(id, range)).length);
    expect(result.ranges.length).toBeGreaterThan(2);
    expect(Math.max(...rows)).toBeLessThanOrEqual(800);
  });

  it("reads a unit of a few pages leaf by leaf: each row once, about one request per page", async () => {
    // prepare: a unit of the first range's split, 300 rows said to be 280
    const { client, sandbox } = await startSiesa({ catalogue: catalogue({ size: 1_000 }) });
    const ids = sandbox.catalogue.companyItemIds().sort((a, b) => a - b);
    const range = { from: ids[300] as number, to: ids[600] as number, expected: 280 };

    // act
    const result = await client().extractRange(range);

    // assess: every id once; items in four or five requests (three pages and a bit), no full page
    // spent on the whole range
    if (result.kind !== "records") throw new Error(`expected records, got a ${result.kind}`);
    expect(result.records.map((r) => Number(r.key)).sort((a, b) => a - b)).toEqual(ids.slice(300, 600));
    expect(sandbox.stats.byDescripcion.API_v2_Items).toBeLessThanOrEqual(5);
  });

  it("reads the first unit, which spans to the smallest int, where its rows are", async () => {
    // prepare: the first range's first unit: 250 rows, and two thousand million empty ids before them
    const { client, sandbox } = await startSiesa({ catalogue: catalogue({ size: 1_000 }) });
    const ids = sandbox.catalogue.companyItemIds().sort((a, b) => a - b);
    const range = { from: FULL_RANGE.from, to: ids[250] as number, expected: 250 };

    // act
    const result = await client().extractRange(range);

    // assess: every id once; one page to find the rows, then about one request per page
    if (result.kind !== "records") throw new Error(`expected records, got a ${result.kind}`);
    expect(result.records.map((r) => Number(r.key)).sort((a, b) => a - b)).toEqual(ids.slice(0, 250));
    expect(sandbox.stats.byDescripcion.API_v2_Items).toBeLessThanOrEqual(5);
  });

  it("splits a later range after all when it holds far more than its estimate said", async () => {
    // prepare: a range said to hold 90 rows that holds 3,000, far more than a unit reads
    const { client, sandbox } = await startSiesa({ catalogue: catalogue({ size: 3_000 }) });
    const ids = sandbox.catalogue.companyItemIds().sort((a, b) => a - b);
    const range = { from: ids[0] as number, to: FULL_RANGE.to, expected: 90 };

    // act
    const result = await client().extractRange(range);

    // assess: pieces to send as units, covering the range
    if (result.kind !== "split") throw new Error(`expected a split, got ${result.kind}`);
    expect(result.ranges[0]?.from).toBe(range.from);
    expect(result.ranges.at(-1)?.to).toBe(range.to);
  });

  it("reads a range whole when asked not to split it (a retried unit whose records were planned)", async () => {
    const { client, sandbox } = await startSiesa({ catalogue: catalogue({ size: 1_000 }) });
    const ids = sandbox.catalogue.companyItemIds().sort((a, b) => a - b);

    const result = await client().extractRange(
      { from: ids[0] as number, to: FULL_RANGE.to, expected: 90 },
      { split: false },
    );

    if (result.kind !== "records") throw new Error(`expected records, got a ${result.kind}`);
    expect(result.records.map((r) => Number(r.key)).sort((a, b) => a - b)).toEqual(ids);
  });

  it("cuts the first range's first unit to about a leaf, so the product's first writes wait for a request or two", async () => {
    // prepare: 5,000 items, pages of 100, in an order reshuffled on every request
    const { client, sandbox } = await startSiesa({ catalogue: catalogue({ size: 5_000 }) });
    const ids = sandbox.catalogue.companyItemIds();
    const split = await client().extractRange(FULL_RANGE);
    if (split.kind !== "split") throw new Error("expected a split");
    const [first, second] = split.ranges;
    const before = sandbox.stats.byDescripcion.API_v2_Items ?? 0;

    // act
    const result = await client().extractRange(first as KeyRange);

    // assess: a unit of less than a page, read with one items request; the next unit of a few pages
    if (result.kind !== "records") throw new Error(`expected records, got ${result.kind}`);
    expect(result.records.length).toBe(ids.filter((id) => inRange(id, first as KeyRange)).length);
    expect(result.records.length).toBeLessThan(100);
    expect((sandbox.stats.byDescripcion.API_v2_Items ?? 0) - before).toBe(1);
    expect(ids.filter((id) => inRange(id, second as KeyRange)).length).toBeGreaterThan(100);
  });

  it("cuts the first range into units of a few pages, each read without a split", async () => {
    // prepare: 5,000 items, pages of 100, in an order reshuffled on every request
    const { client, sandbox } = await startSiesa({ catalogue: catalogue({ size: 5_000 }) });
    const ids = sandbox.catalogue.companyItemIds();

    // act
    const result = await client().extractRange(FULL_RANGE);

    // assess: fewer units than pages (a unit's barcodes fill their queries), none beyond what one
    // unit reads (eight pages)
    if (result.kind !== "split") throw new Error("expected a split");
    const rows = result.ranges.map((range) => ids.filter((id) => inRange(id, range)).length);
    expect(result.ranges.length).toBeLessThan(ids.length / 100 / 2);
    expect(Math.max(...rows)).toBeLessThanOrEqual(800);
  });
});
