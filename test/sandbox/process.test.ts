import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCatalogue } from "../../sandbox/catalogue.js";
import { type SandboxProcess, spawnSandboxes } from "../../sandbox/process.js";
import { SANDBOX_SIESA_COMPANY_ID, SANDBOX_SIESA_CREDENTIALS } from "../../sandbox/siesa.js";
import { generateStock } from "../../sandbox/stock.js";

/** One page of the items query, as the Siesa client asks it. */
async function itemsPage(sandboxes: SandboxProcess): Promise<Record<string, unknown>[]> {
  const url = new URL("ejecutarconsultaestandar", sandboxes.siesaUrl);
  url.searchParams.set("idCompania", String(SANDBOX_SIESA_COMPANY_ID));
  url.searchParams.set("descripcion", "API_v2_Items");
  url.searchParams.set("paginacion", "numPag=1|tamPag=100");
  const answer = await fetch(url, {
    headers: {
      ConniKey: SANDBOX_SIESA_CREDENTIALS.conniKey,
      ConniToken: SANDBOX_SIESA_CREDENTIALS.conniToken,
    },
  });
  const body = (await answer.json()) as { detalle: { Table: Record<string, unknown>[] } };
  return body.detalle.Table;
}

describe("the sandboxes in a child process answer the benchmark over their IPC channel", () => {
  let sandboxes: SandboxProcess;
  beforeAll(async () => {
    sandboxes = await spawnSandboxes({ product: "kong-rfid", items: 50 });
  });
  afterAll(async () => {
    await sandboxes.close();
  });

  it("says how many requests Siesa served, and the tenant's rows", async () => {
    const before = await sandboxes.siesaState();

    await itemsPage(sandboxes);
    await itemsPage(sandboxes);

    const after = await sandboxes.siesaState();
    expect(after.siesaRequests - before.siesaRequests).toBe(2);
    const items = (state: typeof before) => state.siesaRequestsByQuery.API_v2_Items ?? 0;
    expect(items(after) - items(before)).toBe(2);
    expect(after.itemRows).toBe(50);
    expect(after.barcodeRows).toBeGreaterThan(0);
  });

  it("refuses to change more items than the catalogue has, naming both counts, and goes on answering", async () => {
    await expect(sandboxes.changeItems(51)).rejects.toThrow(
      "cannot change 51 items: the catalogue has 50 well-formed ones",
    );

    expect((await sandboxes.siesaState()).itemRows).toBe(50);
  });

  it("changes the description of as many items as asked", async () => {
    const descriptions = async () =>
      new Map(
        (await itemsPage(sandboxes))
          .filter((row) => Number(row.f120_id_cia) === 1) // the tenant's company; others reuse ids
          .map((row) => [Number(row.f120_id), row.f120_descripcion]),
      );
    const before = await descriptions();

    await sandboxes.changeItems(3);

    const after = await descriptions();
    const changed = [...after].filter(([id, text]) => before.get(id) !== text);
    expect(changed).toHaveLength(3);
  });
});

describe("the sandboxes' stock in a child process (bench:scale --stream stock)", () => {
  it("counts the stock rows of each active warehouse of the company: what a complete read of each must find", async () => {
    // prepare: the same catalogue and stock, generated here
    const stock = generateStock(generateCatalogue({ size: 200, seed: 42 }), {
      warehouses: 6,
      stockedShare: 0.3,
    });
    const expected = Object.fromEntries(
      stock.activeWarehouseCodes().map((code) => [code, stock.rowsOf(code).length]),
    );

    // act
    const sandboxes = await spawnSandboxes({
      product: "kong-rfid",
      items: 200,
      seed: 42,
      stock: { warehouses: 6, stockedShare: 0.3 },
    });
    const state = await sandboxes.siesaState().finally(() => sandboxes.close());

    // assess: six warehouses, closed and other companies' ones not counted
    expect(Object.keys(expected)).toHaveLength(6);
    expect(state.stockRows).toEqual(expected);
  });

  it("counts no stock when none was asked for, so a catalogue benchmark pays nothing for it", async () => {
    const sandboxes = await spawnSandboxes({ product: "kong-rfid", items: 20 });
    const state = await sandboxes.siesaState().finally(() => sandboxes.close());

    expect(state.stockRows).toBeUndefined();
  });
});

describe("a parent that dies without stopping its sandboxes", () => {
  it("leaves no sandbox process behind: the sandboxes stop when their IPC channel closes", async () => {
    const parent = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { spawnSandboxes } = await import("./sandbox/process.ts");
         const sandboxes = await spawnSandboxes({ product: "kong-rfid", items: 10 });
         console.log(sandboxes.siesaUrl);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const [siesaUrl] = (await once(createInterface({ input: parent.stdout }), "line")) as [string];
    expect((await fetch(siesaUrl)).status).toBeGreaterThan(0);

    parent.kill("SIGKILL");
    await once(parent, "exit");

    await expect
      .poll(
        () =>
          fetch(siesaUrl).then(
            () => "listening",
            () => "gone",
          ),
        { timeout: 10_000 },
      )
      .toBe("gone");
  });
});
