import { describe, expect, it } from "vitest";
import { SANDBOX_SIESA_COMPANY_ID, SANDBOX_SIESA_CREDENTIALS } from "../../sandbox/siesa.js";
import { catalogue, startSiesa } from "./helpers.js";

type Answer = { status: number; body: Record<string, unknown> & { detalle?: unknown } };

/** Asks the sandbox directly (plain fetch), to check the wire it speaks. */
async function ask(
  url: string,
  params: Record<string, string | number>,
  headers: Record<string, string> = {
    ConniKey: SANDBOX_SIESA_CREDENTIALS.conniKey,
    ConniToken: SANDBOX_SIESA_CREDENTIALS.conniToken,
  },
): Promise<Answer> {
  const query = new URLSearchParams({
    idCompania: String(SANDBOX_SIESA_COMPANY_ID),
    descripcion: "API_v2_Items",
    paginacion: "numPag=1|tamPag=100",
    ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
  });
  const response = await fetch(`${url}/api/siesa/v3/ejecutarconsultaestandar?${query}`, { headers });
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}
const table = (answer: Answer) => (answer.body.detalle as { Table: Record<string, unknown>[] }).Table;

describe("Siesa sandbox", () => {
  it("answers 401 to a missing or wrong ConniKey/ConniToken pair, and accepts header names in any case", async () => {
    const { server } = await startSiesa();

    const missing = await ask(server.url, {}, {});
    const wrong = await ask(
      server.url,
      {},
      { ConniKey: SANDBOX_SIESA_CREDENTIALS.conniKey, ConniToken: "nope" },
    );
    const lowerCase = await ask(
      server.url,
      {},
      { connikey: SANDBOX_SIESA_CREDENTIALS.conniKey, CONNITOKEN: SANDBOX_SIESA_CREDENTIALS.conniToken },
    );

    expect(missing.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(lowerCase.status).toBe(200);
  });

  it("answers an unknown descripcion, a wrong idCompania and bad parametros with codigo != 0", async () => {
    const { server } = await startSiesa();

    const unknown = await ask(server.url, { descripcion: "API_v2_Nada" });
    const company = await ask(server.url, { idCompania: 1 });
    const filter = await ask(server.url, { parametros: "f120_referencia = 'AZUL'" });

    for (const answer of [unknown, company, filter]) {
      expect(answer.status).toBe(200);
      expect(answer.body.codigo).not.toBe(0);
    }
    expect(unknown.body.detalle).toMatch(/API_v2_Nada/);
    expect(filter.body.detalle).toMatch(/sintaxis/);
  });

  it.each(["short", "400", "200"] as const)(
    "answers a filter on a column the query does not have as 'no records' ('%s' end), never as an error",
    async (endOfData) => {
      const { server } = await startSiesa({ endOfData });

      const barcodesById = await ask(server.url, {
        descripcion: "API_v2_ItemsBarras",
        parametros: "f120_id >= 0 AND f120_id < 100000",
      });
      const itemsByStatus = await ask(server.url, { parametros: "f120_ind_estado = 1" });

      for (const answer of [barcodesById, itemsByStatus]) {
        if (endOfData === "short") expect(table(answer)).toEqual([]);
        else expect(answer.body).toMatchObject({ codigo: 1 });
      }
    },
  );

  it("serves barcode rows with only f120_referencia, f131_id and f131_id_unidad_medida, found by IN or OR", async () => {
    const { server, sandbox } = await startSiesa({ repeatShare: 0 });
    const [a, b] = sandbox.catalogue
      .companyItemIds()
      .filter((id) => sandbox.catalogue.barcodesOf(id).length > 0);
    const referenceOf = (id: number | undefined) =>
      String(sandbox.catalogue.barcodesOf(id as number)[0]?.f120_referencia).trim();
    const expected = [a, b]
      .flatMap((id) => sandbox.catalogue.barcodesOf(id as number).map((r) => r.f131_id))
      .sort();

    const byIn = await ask(server.url, {
      descripcion: "API_v2_ItemsBarras",
      parametros: `f120_referencia IN (''${referenceOf(a)}'', ''${referenceOf(b)}'')`,
    });
    const byOr = await ask(server.url, {
      descripcion: "API_v2_ItemsBarras",
      parametros: `f120_referencia = ''${referenceOf(a)}'' OR f120_referencia = ''${referenceOf(b)}''`,
    });

    for (const answer of [byIn, byOr]) {
      expect(
        table(answer)
          .map((row) => row.f131_id)
          .sort(),
      ).toEqual(expected);
      for (const row of table(answer)) {
        expect(Object.keys(row).sort()).toEqual(["f120_referencia", "f131_id", "f131_id_unidad_medida"]);
      }
    }
  });

  it("refuses a query string over 2,048 characters as IIS does (404), before answering", async () => {
    const { server } = await startSiesa();
    const references = Array.from({ length: 150 }, (_, i) => `''REF-${String(i).padStart(8, "0")}''`);

    const answer = await fetch(
      `${server.url}/api/siesa/v3/ejecutarconsultaestandar?${new URLSearchParams({
        idCompania: "8585",
        descripcion: "API_v2_ItemsBarras",
        paginacion: "numPag=1|tamPag=100",
        parametros: `f120_referencia IN (${references.join(",")})`,
      })}`,
      {
        headers: {
          ConniKey: SANDBOX_SIESA_CREDENTIALS.conniKey,
          ConniToken: SANDBOX_SIESA_CREDENTIALS.conniToken,
        },
      },
    );

    expect(answer.status).toBe(404);
  });

  it("returns every company unless parametros filters f120_id_cia, and filters before paging", async () => {
    const { server, sandbox } = await startSiesa({
      repeatShare: 0,
      catalogue: catalogue({ size: 60, otherCompanyShare: 0.5 }),
    });
    const companyIds = sandbox.catalogue.companyItemIds();
    const fourth = companyIds[3] as number;

    const all = await ask(server.url, {});
    const filtered = await ask(server.url, { parametros: `f120_id_cia = 1 AND f120_id >= ${fourth}` });

    expect(new Set(table(all).map((row) => row.f120_id_cia)).size).toBeGreaterThan(1);
    expect(table(all)).toHaveLength(sandbox.catalogue.items.length);
    expect(
      table(filtered)
        .map((row) => Number(row.f120_id))
        .sort((a, b) => a - b),
    ).toEqual(companyIds.slice(3));
  });

  it("shuffles every request: the same page twice shares few rows", async () => {
    const { server } = await startSiesa({ catalogue: catalogue({ size: 1_000 }) });

    const first = await ask(server.url, { paginacion: "numPag=2|tamPag=50" });
    const second = await ask(server.url, { paginacion: "numPag=2|tamPag=50" });

    const firstIds = new Set(table(first).map((row) => `${row.f120_id}/${row.f120_id_cia}`));
    const shared = table(second).filter((row) => firstIds.has(`${row.f120_id}/${row.f120_id_cia}`));
    expect(table(first)).toHaveLength(50);
    expect(shared.length).toBeLessThan(15);
  });

  it("keeps the order stable when asked to, so walking pages then sees each row once", async () => {
    const { server, sandbox } = await startSiesa({ unstableOrder: false, repeatShare: 0 });

    const pages = await Promise.all(
      [1, 2, 3].map((n) => ask(server.url, { paginacion: `numPag=${n}|tamPag=25` })),
    );

    const ids = pages.flatMap(table).map((row) => `${row.f120_id}/${row.f120_id_cia}`);
    expect(new Set(ids).size).toBe(sandbox.catalogue.items.length);
  });

  it("repeats about repeatShare of a result's rows", async () => {
    const { server } = await startSiesa({
      repeatShare: 0.1,
      catalogue: catalogue({ size: 90, otherCompanyShare: 0 }),
    });

    const answer = await ask(server.url, {});

    const rows = table(answer);
    const unique = new Set(rows.map((row) => row.f120_id));
    expect(unique.size).toBe(90);
    expect(rows.length).toBeGreaterThanOrEqual(98);
    expect(rows.length).toBeLessThanOrEqual(100);
  });

  it("answers tamPag 500 or more with one row of nulls", async () => {
    const { server } = await startSiesa();

    const answer = await ask(server.url, { paginacion: "numPag=1|tamPag=500" });

    expect(table(answer)).toHaveLength(1);
    expect(Object.values(table(answer)[0] ?? {}).every((value) => value === null)).toBe(true);
  });

  it.each([
    ["short", 200, { codigo: 0, mensaje: "Transacción Exitosa", detalle: { Table: [] } }],
    ["400", 400, { codigo: 1, mensaje: "Error", detalle: "No se encontraron registros" }],
    ["200", 200, { codigo: 1, mensaje: "Consulta existente sin datos.", detalle: null }],
  ] as const)("says 'no more rows' the %s way", async (endOfData, status, body) => {
    const { server } = await startSiesa({ endOfData });

    const answer = await ask(server.url, { paginacion: "numPag=99|tamPag=100" });

    expect(answer.status).toBe(status);
    expect(answer.body).toEqual(body);
  });

  it("wraps rows in the Datos envelope with its accented paging keys", async () => {
    const { server } = await startSiesa({
      envelope: "Datos",
      repeatShare: 0,
      catalogue: catalogue({ size: 45, otherCompanyShare: 0 }),
    });

    const answer = await ask(server.url, { paginacion: "numPag=2|tamPag=20" });

    expect(answer.body).toMatchObject({
      codigo: 0,
      detalle: { tamaño_página: 20, página_actual: 2, total_páginas: 3, total_registros: 45 },
    });
    expect((answer.body.detalle as { Datos: unknown[] }).Datos).toHaveLength(20);
  });

  it("injects 429s with Retry-After and counts every request by descripcion", async () => {
    const { server, sandbox } = await startSiesa();
    sandbox.setFaults({ rateLimitShare: 1, retryAfterSeconds: 7 });

    const query = new URLSearchParams({
      idCompania: "8585",
      descripcion: "API_v2_ItemsBarras",
      paginacion: "numPag=1|tamPag=10",
    });
    const response = await fetch(`${server.url}/api/siesa/v3/ejecutarconsultaestandar?${query}`);
    await ask(server.url, {});

    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(sandbox.stats).toEqual({
      total: 2,
      byDescripcion: { API_v2_ItemsBarras: 1, API_v2_Items: 1 },
      refused: 0,
      rateLimited: 0,
    });
  });

  it("enforces its rate limit per window: headers on every answer, 429 with Retry-After beyond it", async () => {
    const { server, sandbox } = await startSiesa({ rateLimit: 3, rateLimitWindowMs: 1_000 });
    const askWithHeaders = async () => {
      const query = new URLSearchParams({
        idCompania: "8585",
        descripcion: "API_v2_Items",
        paginacion: "numPag=1|tamPag=10",
      });
      const response = await fetch(`${server.url}/api/siesa/v3/ejecutarconsultaestandar?${query}`, {
        headers: {
          ConniKey: SANDBOX_SIESA_CREDENTIALS.conniKey,
          ConniToken: SANDBOX_SIESA_CREDENTIALS.conniToken,
        },
      });
      await response.body?.cancel();
      const header = (name: string) => response.headers.get(`connekta-rate-limit-${name}`);
      return {
        status: response.status,
        remaining: header("remaining"),
        limit: header("limit"),
        reset: header("reset"),
        retryAfter: response.headers.get("retry-after"),
      };
    };

    const within = [await askWithHeaders(), await askWithHeaders(), await askWithHeaders()];
    const beyond = await askWithHeaders();
    await new Promise((resolve) => setTimeout(resolve, Number(beyond.retryAfter) * 1000));
    const after = await askWithHeaders();

    expect(within.map((a) => [a.status, a.limit, a.remaining])).toEqual([
      [200, "3", "2"],
      [200, "3", "1"],
      [200, "3", "0"],
    ]);
    // Whole seconds left in the 1 s window, rounded down (the least convenient reading); Retry-After
    // says at least 1 s.
    expect(within[0]?.reset).toMatch(/^[01]$/);
    expect(beyond).toMatchObject({ status: 429, limit: "3", remaining: "0", retryAfter: "1" });
    expect(after).toMatchObject({ status: 200, remaining: "2" });
    expect(sandbox.stats.rateLimited).toBe(1);
  });

  it("refuses a filter operator it is told to, however the filter spells it, and counts the refusals", async () => {
    const { server, sandbox } = await startSiesa({ refuseOperators: ["IN", ">="] });

    const list = await ask(server.url, {
      descripcion: "API_v2_ItemsBarras",
      parametros: "f120_referencia in(''A'',''B'')",
    });
    const range = await ask(server.url, { parametros: "f120_id>=5" });
    const chain = await ask(server.url, {
      descripcion: "API_v2_ItemsBarras",
      parametros: "(f120_referencia = ''A'' OR f120_referencia = ''B'')",
    });

    expect(list.body).toMatchObject({ codigo: 2, detalle: "Sintaxis incorrecta cerca de 'IN'" });
    expect(range.body).toMatchObject({ codigo: 2, detalle: "Sintaxis incorrecta cerca de '>='" });
    expect(chain.body.codigo).toBe(0);
    expect(sandbox.stats.refused).toBe(2);
  });
});
