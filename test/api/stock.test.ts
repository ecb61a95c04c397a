import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../runtime/api/app.js";
import { type RunSummary, runInProcess } from "../../runtime/cli/in-process.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import type { RunDependencies } from "../../runtime/core/ports/dependencies.js";
import type {
  ExceptionsOptions,
  PipelineQueues,
  PipelineStore,
  RunState,
} from "../../runtime/core/ports/pipeline.js";
import type { Ledger, LedgerRange } from "../../runtime/core/ports/records.js";
import { type ExpectedStock, parseStockKey, stockKey } from "../../runtime/core/streams/stock.js";
import { createTokenVerifier, tokenEntry } from "../../runtime/edges/aws/tokens.js";
import { localTenantDirectory, withSandboxUrls } from "../../runtime/edges/local/tenants.js";
import { dynamoPipelineStore } from "../../runtime/edges/store/dynamo.js";
import { createApiDependencies } from "../../runtime/wiring/api-dependencies.js";
import { credentialsOf } from "../../runtime/wiring/local-credentials.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { type AccessDeniedError, scopeToRole } from "../../runtime/wiring/role-scope.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import type { SiesaWireRow } from "../../sandbox/catalogue.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import { stockKey as sandboxStockKey } from "../../sandbox/stock.js";
import { aStockRow, STOCK_RUN, withStock } from "../console/support.js";
import { quietLog, recordingLog } from "../support/log.js";
import { apiUnderTest, TOKENS as FAKE_TOKENS } from "./factories.js";

/**
 * GET /tenants/:id/stock: the expected stock the tenant's last complete stock run read, to compare a
 * count on the shelves with. The run is a real one: the demo tenant, given a stock stream, synced by
 * the pipeline's workers against the Siesa sandbox (the in-process run of `npm run sync`), its ledger
 * and runs in DynamoDB (embedded dynalite: how a range of the stream ledger is read matters here); the
 * API reads what it left through its own wiring, cut down to what the API's role grants (infra/access.ts).
 */

const TOKENS = { operator: "operator-token", demo: "demo-read-only", other: "catalogue-only-read-only" };
const STOCKED = "demo";
/** Declares a stock stream, but no stock run has completed. */
const NOT_YET = "demo-stock-not-yet";
/** Syncs its catalogue only. */
const CATALOGUE_ONLY = "demo-catalogue-only";

let sandboxes: LocalSandboxes;
let dynamo: Store;
let store: PipelineStore;
/** One stock run of the tenant through the pipeline's workers, into `store`. */
let syncStock: () => Promise<RunSummary>;
let app: ReturnType<typeof createApp>;
let stockRun: { runId: string; startedAt: string; finishedAt: string };
/** Every stock row Siesa holds for the tenant's counted warehouses, as the stream keeps it, in key order. */
let siesaStock: ExpectedStock[];
const denied: AccessDeniedError[] = [];
/** Each read of the ledger the API made, with its range and the keys it yielded (tests empty it). */
const ledgerReads: { range: LedgerRange | undefined; keys: string[] }[] = [];
/** The spans of keys (`from`, `through`) and `limit` of each read of a run's exceptions the API made. */
const exceptionReads: { from?: string; through?: string; limit?: number }[] = [];

/** The runs, the spans of their exceptions read recorded in `exceptionReads`. */
function recordingExceptions(runs: RunState): RunState {
  return new Proxy(runs, {
    get(target, name) {
      const value = Reflect.get(target, name);
      if (typeof value !== "function") return value;
      if (name !== "exceptions") return value.bind(target);
      return (tenantId: string, runId: string, options: ExceptionsOptions = {}) => {
        exceptionReads.push({ from: options.from, through: options.through, limit: options.limit });
        return target.exceptions(tenantId, runId, options);
      };
    },
  });
}

/** Runs once, when the API's next read of the ledger has its first page (what happens meanwhile). */
let whileReading: (() => Promise<void>) | undefined;

/** The ledger, its reads (`all`) recorded in `ledgerReads`. */
function recordingReads(ledger: Ledger): Ledger {
  return new Proxy(ledger, {
    get(target, name) {
      if (name !== "all") {
        const value = Reflect.get(target, name);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return async function* (partition: string, range?: LedgerRange) {
        const read = { range, keys: [] as string[] };
        ledgerReads.push(read);
        for await (const page of target.all(partition, range)) {
          read.keys.push(...page.map((entry) => entry.key));
          const meanwhile = whileReading;
          whileReading = undefined;
          await meanwhile?.();
          yield page;
        }
      };
    },
  });
}

beforeAll(async () => {
  const demo = (await loadTenants()).require("demo");
  const stocked: Tenant = {
    ...demo,
    streams: { stock: { schedule: "rate(1 hour)", subtract: ["committed", "pos"] } },
  };
  [sandboxes, dynamo] = await Promise.all([
    startSandboxes({ product: "kong-rfid", items: 60, seed: 7 }),
    openStore({ prefix: `stock-api-${randomUUID().slice(0, 8)}` }),
  ]);
  store = dynamoPipelineStore(dynamo.doc, dynamo.names);
  syncStock = () =>
    runInProcess({
      tenant: withSandboxUrls(stocked, sandboxes),
      credentials: sandboxes.credentials,
      store,
      log: quietLog,
      stream: "stock",
      policy: { baseDelayMs: 1, maxDelayMs: 5 },
      retryBaseSeconds: 0,
      // A message whose delivery failed comes back (and goes to its dead-letter queue) soon; not so
      // soon that a loaded machine's slow delivery is overtaken by its own redelivery.
      timeScale: 0.004,
    });
  const summary = await syncStock();
  const run = await store.runs.get(STOCKED, summary.runId);
  if (summary.status !== "succeeded" || !run?.complete || !run.finishedAt)
    throw new Error(`the stock run did not complete: ${JSON.stringify(summary)}`);
  stockRun = { runId: run.runId, startedAt: run.startedAt, finishedAt: run.finishedAt };
  siesaStock = expectedFromSiesa(sandboxes);

  const tenants = [stocked, { ...stocked, id: NOT_YET }, { ...demo, id: CATALOGUE_ONLY }];
  const refuse = async () => {
    throw new Error("the stock route sends no message");
  };
  const queues: PipelineQueues = {
    requestSync: refuse,
    requestVerify: refuse,
    sendUnits: refuse,
    sendLoads: refuse,
    sendDeactivationPass: refuse,
  };
  const world: RunDependencies = {
    ...store,
    ledger: recordingReads(store.ledger),
    runs: recordingExceptions(store.runs),
    tenants: localTenantDirectory(tenants),
    credentials: credentialsOf(new Map()),
    queues,
    redelivery: { retryLater: refuse },
    log: quietLog,
    metrics: { count() {}, seconds() {}, flush() {} },
    retryBaseSeconds: 0,
    now: () => new Date(),
  };
  const api = createApiDependencies(scopeToRole("api", world, { onDenied: (error) => denied.push(error) }), {
    schedules: {
      getState: async () => "ENABLED",
      describe: async () => ({ state: "ENABLED" }),
      setState: async () => {},
    },
    tokens: createTokenVerifier([
      tokenEntry(TOKENS.operator, { kind: "operator" }, "operator"),
      tokenEntry(TOKENS.demo, { kind: "tenant", tenantId: STOCKED }, "demo"),
      tokenEntry(TOKENS.other, { kind: "tenant", tenantId: CATALOGUE_ONLY }, "catalogue only"),
    ]),
    version: "test",
    probes: {},
  });
  app = createApp(api, { log: recordingLog() });
}, 60_000);
afterAll(async () => {
  await sandboxes?.close();
  await dynamo?.close();
});

/** The sandbox's own stock rows of the company's active warehouses, mapped by hand: what the run must have kept. */
function expectedFromSiesa(local: LocalSandboxes): ExpectedStock[] {
  const text = (row: SiesaWireRow, column: string) => String(row[column] ?? "").trim();
  const round = (n: number) => Math.round(n * 10_000) / 10_000 + 0;
  return local.siesa.stock
    .activeWarehouseCodes()
    .flatMap((code) => local.siesa.stock.rowsOf(code))
    .map((row) => {
      const onHand = Number(row.f400_cant_existencia_1);
      const committed = Number(row.f400_cant_comprometida_1);
      const pos = Number(row.f400_cant_pos_1);
      return {
        item: Number(row.f120_id),
        reference: text(row, "f120_referencia") || null,
        warehouse: text(row, "f150_id"),
        installation: text(row, "f400_id_instalacion"),
        onHand,
        committed,
        pos,
        expected: round(onHand - committed - pos),
      };
    })
    .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

const keyOf = (s: ExpectedStock) => stockKey(s.warehouse, s.item, s.installation);

// biome-ignore lint/suspicious/noExplicitAny: tests read the JSON answer like a client would
type Json = any;

async function get(path: string, as: keyof typeof TOKENS = "operator", accept = "application/json") {
  const response = await app.request(path, {
    headers: { authorization: `Bearer ${TOKENS[as]}`, accept },
  });
  return response;
}

async function getJson(path: string, as: keyof typeof TOKENS = "operator") {
  const response = await get(path, as);
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
}

/** The path of a response's `Link: <…>; rel="next"`, if any. */
const nextLink = (headers: Headers) => /<([^>]+)>;\s*rel="next"/.exec(headers.get("link") ?? "")?.[1];

describe("GET /tenants/:id/stock", () => {
  it("answers every row the last complete stock run read, with that run and when it finished", async () => {
    const { status, headers, body } = await getJson(`/tenants/${STOCKED}/stock?limit=10000`);

    expect(status).toBe(200);
    expect(siesaStock.length).toBeGreaterThan(100);
    expect(body).toEqual({
      tenantId: STOCKED,
      runId: stockRun.runId,
      startedAt: stockRun.startedAt,
      finishedAt: stockRun.finishedAt,
      rows: siesaStock,
    });
    expect(headers.get("x-stock-run")).toBe(stockRun.runId);
    expect(headers.get("x-stock-as-of")).toBe(stockRun.finishedAt);
    expect(headers.get("link")).toBeNull();
    // The API's role reads the stream ledger and the runs, nothing it is not granted.
    expect(denied).toEqual([]);
  });

  it("lets a tenant token read its own tenant's stock", async () => {
    const { status, body } = await getJson(`/tenants/${STOCKED}/stock`, "demo");

    expect(status).toBe(200);
    expect(body.runId).toBe(stockRun.runId);
  });

  it("?location= answers that warehouse's rows only", async () => {
    const location = "NB1";
    const inLocation = siesaStock.filter((row) => row.warehouse === location);

    const { status, body } = await getJson(`/tenants/${STOCKED}/stock?location=${location}`);

    expect(status).toBe(200);
    expect(inLocation.length).toBeGreaterThan(0);
    expect(body.location).toBe(location);
    expect(body.rows).toEqual(inLocation);
  });

  it("?item= answers that item's rows in every location", async () => {
    const item = siesaStock.find(
      (row) => new Set(siesaStock.filter((r) => r.item === row.item).map((r) => r.warehouse)).size > 1,
    )?.item;
    if (item === undefined) throw new Error("the sandbox has no item stocked in two warehouses");

    const { status, body } = await getJson(`/tenants/${STOCKED}/stock?item=${item}`);

    expect(status).toBe(200);
    expect(body.item).toBe(item);
    expect(body.rows).toEqual(siesaStock.filter((row) => row.item === item));
  });

  it("?location=&item= reads only that item's entries in that location", async () => {
    const { item } = siesaStock.find((row) => row.warehouse === "NB1") ?? { item: -1 };
    const prefix = stockKey("NB1", item, "");
    ledgerReads.length = 0;

    const { status, body } = await getJson(`/tenants/${STOCKED}/stock?location=NB1&item=${item}`);

    expect(status).toBe(200);
    expect(body.rows).toEqual(siesaStock.filter((row) => row.warehouse === "NB1" && row.item === item));
    const read = ledgerReads.flatMap((r) => r.keys);
    expect(read.length).toBe(body.rows.length);
    expect(read.every((key) => key.startsWith(prefix))).toBe(true);
  });

  it("?item= alone reads that item's entries in each location, and one entry per location to find them", async () => {
    const locations = new Set(siesaStock.map((row) => row.warehouse));
    const { item } = siesaStock[0] ?? { item: -1 };
    ledgerReads.length = 0;

    const { body } = await getJson(`/tenants/${STOCKED}/stock?item=${item}`);

    expect(body.rows).toEqual(siesaStock.filter((row) => row.item === item));
    const others = ledgerReads.flatMap((r) => r.keys).filter((key) => parseStockKey(key)?.item !== item);
    expect(others.length).toBeLessThanOrEqual(locations.size);
  });

  it("?item= pages through the item's rows location by location", async () => {
    const item = siesaStock.find(
      (row) => new Set(siesaStock.filter((r) => r.item === row.item).map((r) => r.warehouse)).size > 1,
    )?.item;
    const pages: Json[] = [];

    for (let path: string | undefined = `/tenants/${STOCKED}/stock?item=${item}&limit=1`; path; ) {
      const { status, headers, body } = await getJson(path);
      expect(status).toBe(200);
      pages.push(body);
      path = nextLink(headers);
    }

    expect(pages.flatMap((page) => page.rows)).toEqual(siesaStock.filter((row) => row.item === item));
    expect(pages.every((page) => page.rows.length === 1)).toBe(true);
  });

  it("answers a page of `limit` rows and the key to read on `after`, linked as rel=next, until the last page", async () => {
    const pages: Json[] = [];

    for (let path: string | undefined = `/tenants/${STOCKED}/stock?limit=50`; path; ) {
      const { status, headers, body } = await getJson(path);
      expect(status).toBe(200);
      pages.push(body);
      path = nextLink(headers);
      if (path)
        expect(path).toBe(
          `/tenants/${STOCKED}/stock?limit=50&after=${encodeURIComponent(body.next)}&run=${encodeURIComponent(stockRun.runId)}`,
        );
      else expect(body.next).toBeUndefined();
    }

    expect(pages.length).toBe(Math.ceil(siesaStock.length / 50));
    expect(pages.slice(0, -1).every((page) => page.rows.length === 50)).toBe(true);
    expect(pages[0].next).toBe(keyOf(pages[0].rows[49]));
    expect(pages.flatMap((page) => page.rows)).toEqual(siesaStock);
    expect(new Set(pages.map((page) => page.runId))).toEqual(new Set([stockRun.runId]));
  });

  it("pages within one location too: next keeps the filter", async () => {
    const inLocation = siesaStock.filter((row) => row.warehouse === "PPAL");
    const first = await getJson(`/tenants/${STOCKED}/stock?location=PPAL&limit=10`);

    const second = await getJson(nextLink(first.headers) ?? "no next page");

    expect([...first.body.rows, ...second.body.rows]).toEqual(inLocation.slice(0, 20));
    expect(second.body.location).toBe("PPAL");
  });
});

describe("GET /tenants/:id/stock as CSV (Accept: text/csv)", () => {
  it("answers a header row and one row per item, warehouse and installation, naming the run it comes from", async () => {
    const response = await get(`/tenants/${STOCKED}/stock?limit=10000`, "operator", "text/csv");

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="stock-${STOCKED}-${stockRun.runId}.csv"`,
    );
    expect(response.headers.get("x-stock-run")).toBe(stockRun.runId);
    expect(response.headers.get("x-stock-as-of")).toBe(stockRun.finishedAt);
    const lines = (await response.text()).split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.slice(0, -1)).toEqual([
      "warehouse,f120_id,reference,installation,on_hand,committed,pos,expected,rejected",
      ...siesaStock.map((s) =>
        [
          s.warehouse,
          s.item,
          s.reference ?? "",
          s.installation,
          s.onHand,
          s.committed,
          s.pos,
          s.expected,
          "",
        ].join(","),
      ),
    ]);
  });

  it("writes a negative quantity as a number a spreadsheet reads, not as quoted text", async () => {
    const negative = siesaStock.find((row) => row.onHand < 0);
    if (!negative) throw new Error("the sandbox has no negative stock");

    const response = await get(
      `/tenants/${STOCKED}/stock?location=${negative.warehouse}&item=${negative.item}`,
      "operator",
      "text/csv",
    );

    const text = await response.text();
    expect(text).toContain(`,${negative.onHand},`);
    expect(text).not.toContain("'-");
  });

  it("is paged as JSON is: the Link header names the next page", async () => {
    const response = await get(`/tenants/${STOCKED}/stock?limit=5`, "operator", "text/csv");

    const lines = (await response.text()).split("\r\n").filter(Boolean);
    expect(lines.length).toBe(1 + 5);
    expect(nextLink(response.headers)).toBe(
      `/tenants/${STOCKED}/stock?limit=5&after=${encodeURIComponent(keyOf(siesaStock[4] as ExpectedStock))}&run=${encodeURIComponent(stockRun.runId)}`,
    );
  });
});

describe("GET /tenants/:id/stock after a stock run that did not complete", () => {
  it("still serves the last complete run's rows, not the half the later run wrote", async () => {
    // prepare: Siesa's quantities change in every warehouse, and the next stock run cannot read
    // PPAL's (every stock request of it answers 500): it writes the other warehouses' changes, then fails
    const changed = sandboxes.siesa.stock.changeQuantities(40);
    sandboxes.siesa.setOptions({
      serverError: ({ descripcion, parametros }) =>
        descripcion === "API_v2_Inventarios_InvFecha" && (parametros ?? "").includes("'PPAL'"),
    });
    const later = await syncStock();
    sandboxes.siesa.setOptions({ serverError: undefined });
    expect(later.status).not.toBe("succeeded");
    expect(later.counts.updated).toBeGreaterThan(0);

    // act
    const { headers, body } = await getJson(`/tenants/${STOCKED}/stock?limit=10000`);

    // assess
    expect(changed.length).toBe(40);
    expect(headers.get("x-stock-run")).toBe(stockRun.runId);
    expect(body.runId).toBe(stockRun.runId);
    expect(body.rows).toEqual(siesaStock);
  });
});

describe("GET /tenants/:id/stock refuses", () => {
  it("404 for a tenant that syncs no stock, naming the tenant and where stock is declared", async () => {
    const { status, body } = await getJson(`/tenants/${CATALOGUE_ONLY}/stock`);

    expect(status).toBe(404);
    expect(body.error.message).toBe(`tenant ${CATALOGUE_ONLY} syncs no stock: its file has no streams.stock`);
  });

  it("404 no_complete_stock_run while no stock run of the tenant has completed", async () => {
    const { status, body } = await getJson(`/tenants/${NOT_YET}/stock`);

    expect(status).toBe(404);
    expect(body.error.code).toBe("no_complete_stock_run");
    expect(body.error.message).toMatch(new RegExp(`^tenant ${NOT_YET} has no complete stock run yet`));
  });

  it("403 for another tenant's token", async () => {
    const { status, body } = await getJson(`/tenants/${STOCKED}/stock`, "other");

    expect(status).toBe(403);
    expect(body.error.message).toBe(`this token may not read tenant ${STOCKED}`);
  });

  it("400 for an `after` that is no key of the location asked for (DynamoDB refuses to start a read outside it)", async () => {
    const { status, body } = await getJson(
      `/tenants/${STOCKED}/stock?location=PPAL&after=${encodeURIComponent("NB1|0000001042|01")}`,
    );

    expect(status).toBe(400);
    expect(body.error.details.issues).toEqual([
      {
        field: "after",
        problem: 'is not a key of location PPAL (got "NB1|0000001042|01"): pass the previous page\'s next',
      },
    ]);
  });

  it("409 for a run that is no complete stock run of the tenant, naming it and the last complete one", async () => {
    const { status, body } = await getJson(`/tenants/${STOCKED}/stock?run=20990101T000000.000Z-nosuchrun`);

    expect(status).toBe(409);
    expect(body.error.message).toBe(
      `stock run 20990101T000000.000Z-nosuchrun of tenant ${STOCKED} is no longer served: the rows it read are replaced by later stock runs, or it is no complete stock run of the tenant (the last complete one is ${stockRun.runId}); start the download again without run`,
    );
  });

  it.each([
    ["NOPE", "a code no warehouse has"],
    ["nb1", "a code in another case than Siesa's"],
  ])(
    "404 for ?location=%s (%s), naming the location, the tenant and the locations it has",
    async (location) => {
      const locations = [...new Set(siesaStock.map((row) => row.warehouse))].sort();

      const { status, body } = await getJson(`/tenants/${STOCKED}/stock?location=${location}`);

      expect(status).toBe(404);
      expect(body.error.code).toBe("unknown_stock_location");
      expect(body.error.message).toBe(
        `tenant ${STOCKED} has no location ${location} in its last complete stock run (${stockRun.runId}): its locations are ${locations.join(", ")} (codes as Siesa writes them, case too)`,
      );
      expect(body.error.details).toEqual({ tenantId: STOCKED, location, locations });
    },
  );

  it("answers no rows, not 404, for an item a known location does not stock", async () => {
    const { status, body } = await getJson(`/tenants/${STOCKED}/stock?location=NB1&item=999999`);

    expect(status).toBe(200);
    expect(body.rows).toEqual([]);
  });

  it.each([
    ["location=NB1&item=1042", "NB1|0000001043|01"],
    ["item=1042", "PPAL|0000001043|01"],
  ])(
    "400 for ?%s and an `after` of another item (a read of one item cannot start outside it)",
    async (query, after) => {
      const { status, body } = await getJson(
        `/tenants/${STOCKED}/stock?${query}&after=${encodeURIComponent(after)}`,
      );

      expect(status).toBe(400);
      expect(body.error.details.issues).toEqual([
        {
          field: "after",
          problem: `is not a key of item 1042 (got "${after}"): pass the previous page's next`,
        },
      ]);
    },
  );

  it("400 for an `after` longer than any key (DynamoDB takes at most 1,024 bytes as one to start from)", async () => {
    const { status, body } = await getJson(
      `/tenants/${STOCKED}/stock?after=${encodeURIComponent("€".repeat(400))}`,
    );

    expect(status).toBe(400);
    expect(body.error.details.issues).toEqual([
      { field: "after", problem: "is too long to be a row's key: pass the previous page's next" },
    ]);
  });

  it.each([
    ["item=12x", "item", /^must be an f120_id/],
    ["item=", "item", /^must be an f120_id/],
    ["location=", "location", /^must not be empty/],
    ["location=%20", "location", /^must not be empty/],
    ["limit=0", "limit", /^must be an integer from 1 to 10000/],
    ["limit=10001", "limit", /^must be an integer from 1 to 10000/],
    ["after=", "after", /^must not be empty/],
    ["warehouse=NB1", "warehouse", /^is not a known query parameter/],
  ])("400 for ?%s, naming %s", async (query, field, problem) => {
    const { status, body } = await getJson(`/tenants/${STOCKED}/stock?${query}`);

    expect(status).toBe(400);
    expect(body.error.details.issues).toEqual([{ field, problem: expect.stringMatching(problem) }]);
    expect(body.error.message).toMatch(new RegExp(`^invalid query parameter ${field}: `));
  });
});

describe("GET /tenants/:id/stock while a download pages through it", () => {
  it("answers every page from the run of the first, even when the next stock run completes half-way", async () => {
    // prepare: the first page of a download, then Siesa's quantities change and a stock run reads them all
    const before = await getJson(`/tenants/${STOCKED}/stock?limit=50`);
    const served = before.body.runId;
    sandboxes.siesa.stock.changeQuantities(40);
    const completed = await syncStock();
    expect((await store.runs.get(STOCKED, completed.runId))?.complete).toBe(true);

    // act: the download goes on with the first page's link
    const next = nextLink(before.headers) ?? "no next page";
    const after = await getJson(next);

    // assess: the rows of the run the download started with, never the new run's
    expect(after.status).toBe(200);
    expect(after.body.runId).toBe(served);
    expect(after.headers.get("x-stock-run")).toBe(served);
    expect(next).toContain(`run=${encodeURIComponent(served)}`);
    expect([...before.body.rows, ...after.body.rows]).toEqual(siesaStock.slice(0, 100));
    expect(nextLink(after.headers)).toContain(`run=${encodeURIComponent(served)}`);
  });

  it("409 naming the run once a later stock run replaces what it kept: the download starts again", async () => {
    // prepare: the first page of a download, then two stock runs complete: the second replaces the rows
    // the first page's run kept aside
    const before = await getJson(`/tenants/${STOCKED}/stock?limit=50`);
    const served = before.body.runId;
    for (const _ of [1, 2]) {
      sandboxes.siesa.stock.changeQuantities(40);
      expect((await syncStock()).status).toBe("succeeded");
    }

    // act
    const after = await getJson(nextLink(before.headers) ?? "no next page");

    // assess
    expect(after.status).toBe(409);
    expect(after.body.error.code).toBe("stock_run_replaced");
    expect(after.body.error.message).toMatch(
      new RegExp(
        `^stock run ${served} of tenant ${STOCKED} is no longer served: .*start the download again without run`,
      ),
    );
  });
});

describe("GET /tenants/:id/stock while stock runs replace the rows it reads", () => {
  it("409 when, while the page is read, later stock runs replace the rows of the run it serves", async () => {
    // prepare: two stock runs complete while the page's rows are read (the second replaces the first's
    // and the served run's values)
    const { runId } = (await getJson(`/tenants/${STOCKED}/stock?limit=1`)).body;
    whileReading = async () => {
      for (const _ of [1, 2]) {
        sandboxes.siesa.stock.changeQuantities(40);
        await syncStock();
      }
    };

    // act
    const { status, body } = await getJson(`/tenants/${STOCKED}/stock?limit=50`);

    // assess
    expect(whileReading).toBeUndefined();
    expect(status).toBe(409);
    expect(body.error.code).toBe("stock_run_replaced");
    expect(body.error.details.run).toBe(runId);
  });
});

describe("GET /tenants/:id/stock of a row the last complete run could not map", () => {
  it("serves the row marked rejected with the reason, with the quantities of the last read that mapped it", async () => {
    // prepare: Siesa's on hand of one NB1 row becomes text; the next stock run rejects that row, and
    // completes (every row got its outcome)
    const [row] = sandboxes.siesa.stock.rowsOf("NB1");
    if (!row) throw new Error("the sandbox has no NB1 row");
    const item = Number(row.f120_id);
    const query = `location=NB1&item=${item}`;
    const before = await getJson(`/tenants/${STOCKED}/stock?${query}`);
    const served = before.body.rows.find(
      (r: ExpectedStock) => r.installation === String(row.f400_id_instalacion).trim(),
    );
    sandboxes.siesa.stock.setOnHand(sandboxStockKey(row), "n/a");
    const rejecting = await syncStock();
    expect(rejecting.status).toBe("partial");
    expect((await store.runs.get(STOCKED, rejecting.runId))?.complete).toBe(true);

    // act
    const json = await getJson(`/tenants/${STOCKED}/stock?${query}`);
    const csv = await (await get(`/tenants/${STOCKED}/stock?${query}`, "operator", "text/csv")).text();

    // assess
    const reason = 'f400_cant_existencia_1 must be a number (got "n/a")';
    expect(json.body.runId).toBe(rejecting.runId);
    expect(json.body.rows).toContainEqual({ ...served, rejected: reason });
    expect(json.body.rows.filter((r: Json) => r.rejected !== undefined)).toHaveLength(1);
    const [header, ...lines] = csv.trimEnd().split("\r\n");
    expect(header).toBe("warehouse,f120_id,reference,installation,on_hand,committed,pos,expected,rejected");
    expect(lines).toContain(
      [
        served.warehouse,
        served.item,
        served.reference ?? "",
        served.installation,
        served.onHand,
        served.committed,
        served.pos,
        served.expected,
        `"${reason.replaceAll('"', '""')}"`,
      ].join(","),
    );
    // The run's exceptions are read with what the API's role grants.
    expect(denied).toEqual([]);
  });

  it("?item= reads the run's exceptions of that item only, location by location, however many rows it rejected", async () => {
    // prepare: the next stock run rejects rows of many items in every location
    const rejectedRows = sandboxes.siesa.stock
      .activeWarehouseCodes()
      .flatMap((code) => sandboxes.siesa.stock.rowsOf(code).slice(1, 11));
    for (const row of rejectedRows) sandboxes.siesa.stock.setOnHand(sandboxStockKey(row), "n/a");
    const rejecting = await syncStock();
    expect(rejecting.counts.rejected).toBeGreaterThanOrEqual(rejectedRows.length);
    const locationsOf = (id: number) =>
      sandboxes.siesa.stock
        .activeWarehouseCodes()
        .filter((code) => sandboxes.siesa.stock.rowsOf(code).some((row) => Number(row.f120_id) === id));
    const item = rejectedRows.map((row) => Number(row.f120_id)).find((id) => locationsOf(id).length > 1);
    if (item === undefined) throw new Error("no rejected item is stocked in two locations");
    exceptionReads.length = 0;

    // act
    const { body } = await getJson(`/tenants/${STOCKED}/stock?item=${item}`);

    // assess
    expect(body.rows.length).toBeGreaterThan(0);
    expect(body.rows.some((r: Json) => r.rejected !== undefined)).toBe(true);
    expect(exceptionReads.length).toBeGreaterThan(0);
    // Besides one exception a location, to find the next location, only the item's span in each.
    const spans = exceptionReads.filter(({ limit }) => limit !== 1);
    expect(spans.length).toBeGreaterThan(0);
    const locations = sandboxes.siesa.stock.activeWarehouseCodes().length;
    expect(exceptionReads.length - spans.length).toBeLessThanOrEqual(locations + 1);
    for (const { from, through } of spans) {
      const location = from?.split("|")[0] ?? "?";
      expect(from?.startsWith(stockKey(location, item, ""))).toBe(true);
      expect(through?.startsWith(stockKey(location, item, ""))).toBe(true);
    }
  });
});

describe("GET /tenants/:id/stock of a row rejected the first time Siesa sent it", () => {
  it("serves it without quantities, with the reason, in its place in key order (JSON, pages, CSV)", async () => {
    // prepare: the complete stock run kept two NB1 rows and rejected a third, which no read mapped
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042), aStockRow("NB1", 1044)]);
    const reason = 'f400_cant_existencia_1 must be a number (got "n/a")';
    const key = stockKey("NB1", 1043, "01");
    await state.addErrors(STOCK_RUN.runId, [
      {
        key,
        outcome: "rejected",
        reason,
        reference: "REF-1043",
        step: "mapping",
        field: "f400_cant_existencia_1",
      },
    ]);
    const request = (path: string, accept = "application/json") =>
      app.request(path, { headers: { authorization: `Bearer ${FAKE_TOKENS.operator}`, accept } });

    // act
    const whole: Json = await (await request("/tenants/acme-staging/stock?location=NB1")).json();
    const pages: Json[] = [];
    for (let path: string | undefined = "/tenants/acme-staging/stock?limit=1"; path; ) {
      const response = await request(path);
      pages.push(await response.json());
      path = nextLink(response.headers);
    }
    const csv = await (await request("/tenants/acme-staging/stock?location=NB1", "text/csv")).text();

    // assess
    const unmapped = {
      item: 1043,
      reference: "REF-1043",
      warehouse: "NB1",
      installation: "01",
      onHand: null,
      committed: null,
      pos: null,
      expected: null,
      rejected: reason,
    };
    expect(whole.rows).toEqual([aStockRow("NB1", 1042), unmapped, aStockRow("NB1", 1044)]);
    expect(pages.flatMap((page) => page.rows)).toEqual(whole.rows);
    expect(csv.split("\r\n")).toContain(`NB1,1043,REF-1043,01,,,,,"${reason.replaceAll('"', '""')}"`);
  });

  it("?item= finds it in a location the ledger holds nothing of (every row there rejected the first time)", async () => {
    // prepare: the complete run kept item 1042 in NB1; in NB2 it rejected every row, 1042's too
    const { app, state } = apiUnderTest();
    await withStock(state, [aStockRow("NB1", 1042)]);
    const reason = 'f400_cant_existencia_1 must be a number (got "n/a")';
    await state.addErrors(STOCK_RUN.runId, [
      { key: stockKey("NB2", 1042, "01"), outcome: "rejected", reason, step: "mapping" },
      { key: stockKey("NB2", 1043, "01"), outcome: "rejected", reason, step: "mapping" },
    ]);

    const request = (path: string) =>
      app.request(path, { headers: { authorization: `Bearer ${FAKE_TOKENS.operator}` } });

    // act
    const body: Json = await (await request("/tenants/acme-staging/stock?item=1042")).json();
    const unknown: Json = await (await request("/tenants/acme-staging/stock?location=NB9")).json();

    // assess
    expect(body.rows.map((row: Json) => [row.warehouse, row.item, row.rejected ?? null])).toEqual([
      ["NB1", 1042, null],
      ["NB2", 1042, reason],
    ]);
    expect(unknown.error.details.locations).toEqual(["NB1", "NB2"]);
  });

  it("reads a run's many rejections a page at a time, only as far as the page it answers", async () => {
    // prepare: a complete run that rejected 2,500 rows no read had mapped (every row, say)
    const { app, deps, state } = apiUnderTest();
    await withStock(state, []);
    const rejected = Array.from({ length: 2_500 }, (_, i) => ({
      key: stockKey("NB1", 5_000 + i, "01"),
      outcome: "rejected" as const,
      reason: "f400_cant_existencia_1 must be a number (got null)",
    }));
    await state.addErrors(STOCK_RUN.runId, rejected);
    const exceptions = deps.runs.exceptions;
    let reads = 0;
    deps.runs.exceptions = (...args) => {
      reads++;
      return exceptions(...args);
    };

    // act
    const response = await app.request("/tenants/acme-staging/stock?limit=5", {
      headers: { authorization: `Bearer ${FAKE_TOKENS.operator}` },
    });

    // assess
    const body: Json = await response.json();
    expect(body.rows.map((row: Json) => row.item)).toEqual([5_000, 5_001, 5_002, 5_003, 5_004]);
    expect(body.next).toBe(stockKey("NB1", 5_004, "01"));
    expect(reads).toBe(1);
  });
});
