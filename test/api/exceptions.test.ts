import { describe, expect, it } from "vitest";
import type { RecordError } from "../../runtime/core/domain/model.js";
import { apiUnderTest, aRun, TOKENS } from "./factories.js";

const RUN = "20250310T110000.000Z-aaaaaaaaaaaa";

/** `count` records the product refused, keyed 1 to count. */
const refused = (count: number): RecordError[] =>
  Array.from({ length: count }, (_, i) => ({
    key: String(i + 1),
    outcome: "rejected" as const,
    reason: `kong-rfid refused: name too long (${i + 1})`,
    reference: `REF-${i + 1}`,
    step: "write" as const,
  }));

/** A world with one finished run of acme-staging that recorded `errors`. */
async function runWith(errors: RecordError[]) {
  const api = apiUnderTest();
  api.state.runs.push(aRun({ runId: RUN, errors: errors.slice(0, 50) }));
  await api.state.addErrors(RUN, errors);
  return api;
}

/** Reads every page of a run's exceptions as JSON, `limit` at a time. */
async function allPages(call: ReturnType<typeof apiUnderTest>["call"], limit: number) {
  const pages: RecordError[][] = [];
  let cursor: string | undefined;
  do {
    const query = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const { status, body } = await call("GET", `/runs/${RUN}/exceptions?${query}`);
    expect(status).toBe(200);
    pages.push(body.exceptions);
    cursor = body.cursor;
  } while (cursor);
  return pages;
}

describe("GET /runs/:runId/exceptions", () => {
  it("lists every exception of a run, far past the run's first 50, with its reference, step and reason", async () => {
    const { call } = await runWith(refused(120));

    const { status, body } = await call("GET", `/runs/${RUN}/exceptions?limit=1000`);

    expect(status).toBe(200);
    expect(body.runId).toBe(RUN);
    expect(body.exceptions).toHaveLength(120);
    expect(body.exceptions[119]).toEqual({
      key: "120",
      outcome: "rejected",
      reason: "kong-rfid refused: name too long (120)",
      reference: "REF-120",
      step: "write",
    });
    expect(body.cursor).toBeUndefined();
  });

  it("pages with limit and the previous page's cursor: every exception exactly once, in f120_id order", async () => {
    const { call } = await runWith(refused(25));

    const pages = await allPages(call, 10);

    expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
    const keys = pages.flat().map((e) => e.key);
    expect(keys).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));
  });

  it("shows a record's exception once when its chunk's errors were recorded again (a redelivered message)", async () => {
    const { call, state } = await runWith(refused(3));

    const [, second] = refused(3);
    if (!second) throw new Error("no second record");
    await state.addErrors(RUN, [{ ...second, reason: "kong-rfid refused: name too long, again" }]);

    const { body } = await call("GET", `/runs/${RUN}/exceptions`);
    expect(body.exceptions.map((e: RecordError) => [e.key, e.reason])).toEqual([
      ["1", "kong-rfid refused: name too long (1)"],
      ["2", "kong-rfid refused: name too long, again"],
      ["3", "kong-rfid refused: name too long (3)"],
    ]);
  });

  it("keeps a product's answer to its first 1,000 characters", async () => {
    const page = `<html>${"x".repeat(5_000)}</html>`;
    const { call } = await runWith([{ key: "7", outcome: "rejected", reason: page, step: "write" }]);

    const { body } = await call("GET", `/runs/${RUN}/exceptions`);

    expect(body.exceptions[0].reason).toHaveLength(1_000);
    expect(body.exceptions[0].reason.startsWith("<html>xxx")).toBe(true);
  });

  it("answers 404 naming the run when it does not exist", async () => {
    const { call } = apiUnderTest();

    const { status, body } = await call("GET", "/runs/no-such-run/exceptions");

    expect(status).toBe(404);
    expect(body.error).toEqual({
      code: "not_found",
      message: "run no-such-run does not exist",
      details: { runId: "no-such-run" },
    });
  });

  it("answers 401 without a token, and another tenant's token exactly like a missing run (404)", async () => {
    const { call } = await runWith(refused(1));

    const anonymous = await call("GET", `/runs/${RUN}/exceptions`, "nobody");
    const otherTenant = await call("GET", `/runs/${RUN}/exceptions`, "globex");
    const ownTenant = await call("GET", `/runs/${RUN}/exceptions`, "acme");

    expect(anonymous.status).toBe(401);
    expect(otherTenant.status).toBe(404);
    expect(ownTenant.status).toBe(200);
  });

  it.each([
    ["limit=0", "limit", /from 1 to 1000/],
    ["limit=1001", "limit", /from 1 to 1000/],
    ["cursor=bm90LWEtY3Vyc29y", "cursor", /not a cursor this service issued for this run/],
    ["page=2", "page", /not a known query parameter/],
  ])("answers 400 naming the parameter for ?%s", async (query, field, problem) => {
    const { call } = await runWith(refused(1));

    const { status, body } = await call("GET", `/runs/${RUN}/exceptions?${query}`);

    expect(status).toBe(400);
    expect(body.error.details.issues[0].field).toBe(field);
    expect(body.error.details.issues[0].problem).toMatch(problem);
  });

  it("refuses another run's cursor", async () => {
    const { call, state } = await runWith(refused(3));
    const other = "20250310T120000.000Z-cccccccccccc";
    state.runs.push(aRun({ runId: other }));
    await state.addErrors(other, refused(3));
    const { body: first } = await call("GET", `/runs/${other}/exceptions?limit=1`);

    const { status } = await call("GET", `/runs/${RUN}/exceptions?cursor=${first.cursor}`);

    expect(status).toBe(400);
  });
});

describe("GET /runs/:runId/exceptions as CSV (Accept: text/csv)", () => {
  /** GET `path` as CSV. */
  const csvAt = async (app: ReturnType<typeof apiUnderTest>["app"], path: string) => {
    const response = await app.request(path, {
      headers: { authorization: `Bearer ${TOKENS.operator}`, accept: "text/csv" },
    });
    return { response, text: await response.text() };
  };
  const csv = (app: ReturnType<typeof apiUnderTest>["app"], query = "") =>
    csvAt(app, `/runs/${RUN}/exceptions${query}`);

  it("downloads every exception of the run, a header row first, quoting what needs it", async () => {
    const { app } = await runWith([
      { key: "3", outcome: "rejected", reason: "sku, name: required", step: "mapping", field: "sku, name" },
      {
        key: "8",
        outcome: "rejected",
        reason: 'kong-rfid answered 422: {"name":"too long"}\nsecond line',
        reference: "CAMISA-8",
        step: "write",
      },
      { key: "9", outcome: "failed", reason: "=HYPERLINK(1)", reference: "CAMISA-9", step: "write" },
    ]);

    const { response, text } = await csv(app);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="exceptions-${RUN}.csv"`);
    expect(text).toBe(
      [
        "f120_id,reference,outcome,step,field,reason",
        '3,,rejected,mapping,"sku, name","sku, name: required"',
        '8,CAMISA-8,rejected,write,,"kong-rfid answered 422: {""name"":""too long""}\nsecond line"',
        // A spreadsheet would run it as a formula: it opens as text.
        "9,CAMISA-9,failed,write,,'=HYPERLINK(1)",
        "",
      ].join("\r\n"),
    );
  });

  it("answers one page of the default size without a limit, linking the next: a response stays small however many exceptions the run has", async () => {
    const { app } = await runWith(refused(250));

    const keys: string[] = [];
    const sizes: number[] = [];
    for (let next: string | undefined = `/runs/${RUN}/exceptions`; next !== undefined; ) {
      const { response, text } = await csvAt(app, next);
      const rows = text.trimEnd().split("\r\n");
      expect(rows[0]).toBe("f120_id,reference,outcome,step,field,reason");
      sizes.push(rows.length - 1);
      keys.push(...rows.slice(1).map((line) => line.split(",")[0] as string));
      next = response.headers.get("link")?.match(/^<(.+)>; rel="next"$/)?.[1];
    }

    expect(sizes).toEqual([100, 100, 50]);
    expect(keys).toEqual(Array.from({ length: 250 }, (_, i) => String(i + 1)));
  });

  it("answers one page with a link to the next when a limit is given", async () => {
    const { app } = await runWith(refused(3));

    const { response, text } = await csv(app, "?limit=2");

    expect(text.trimEnd().split("\r\n")).toHaveLength(3);
    const next = response.headers.get("link")?.match(/^<(.+)>; rel="next"$/)?.[1];
    expect(next).toMatch(new RegExp(`^/runs/${RUN}/exceptions\\?limit=2&cursor=`));
    const rest = await app.request(next ?? "", {
      headers: { authorization: `Bearer ${TOKENS.operator}`, accept: "text/csv" },
    });
    expect((await rest.text()).trimEnd().split("\r\n").slice(1)).toEqual([
      "3,REF-3,rejected,write,,kong-rfid refused: name too long (3)",
    ]);
    expect(rest.headers.get("link")).toBeNull();
  });

  it("answers 404 as JSON for a run that does not exist", async () => {
    const { app } = apiUnderTest();

    const response = await app.request("/runs/no-such-run/exceptions", {
      headers: { authorization: `Bearer ${TOKENS.operator}`, accept: "text/csv" },
    });

    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toBe("run no-such-run does not exist");
  });
});
