import { Hono } from "hono";
import { createApp } from "../../runtime/api/app.js";
import { principalOf } from "../../runtime/api/common/auth.js";
import { consoleRoutes } from "../../runtime/api/console/routes.js";
import type { RunView } from "../../runtime/core/ports/api.js";
import { type ExpectedStock, stockKey } from "../../runtime/core/streams/stock.js";
import { aRun, fakeApi, tenantNamed } from "../api/factories.js";
import { recordingLog } from "../support/log.js";

/**
 * The console over the API with in-memory dependencies (test/api/factories.ts), where each tenant's
 * status also reports `heldDeactivations` when `held` says so: the field the deactivation guard
 * (issue 9) adds to the API, which this console shows. Records the bodies of the POSTs it receives.
 */
export function consoleOverFakeApi(held: Record<string, number> = {}) {
  const { deps, state } = fakeApi();
  const api = createApp(deps, { log: recordingLog() });
  const posts: { path: string; body: string }[] = [];
  const request = async (path: string, init: { headers: Record<string, string> }) => {
    const response = await api.request(path, init);
    const tenantId = /^\/tenants\/([^/]+)\/status$/.exec(path)?.[1];
    if (!tenantId || held[tenantId] === undefined) return response;
    const body = { ...((await response.json()) as object), heldDeactivations: held[tenantId] };
    return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
  };
  const app = new Hono()
    .route(
      "/",
      consoleRoutes({ request, principal: (header) => principalOf(deps.tokens, header), now: deps.now }),
    )
    .post("*", async (c, next) => {
      posts.push({ path: c.req.path, body: await c.req.raw.clone().text() });
      await next();
    })
    .all("*", (c) => api.fetch(c.req.raw));
  return { app, deps, state, posts };
}

/** A finished run of acme-staging that held `count` deactivations, the API keeping the first 50 keys. */
export function aHeldRun(count: number): RunView {
  const keys = Array.from({ length: Math.min(count, 50) }, (_, i) => String(7_001 + i));
  return aRun({
    runId: "20250310T100000.000Z-hhhhhhhhhhhh",
    status: "partial",
    reason: `held ${count} deactivations, limit 125`,
    heldDeactivations: { count, limit: 125, fingerprint: "f".repeat(32), keys },
  });
}

/** Expected stock of `item` in `warehouse` (installation 01): on hand 10, 2 committed, 1 sold at the POS. */
export const aStockRow = (warehouse: string, item: number): ExpectedStock => ({
  item,
  reference: `REF-${item}`,
  warehouse,
  installation: "01",
  onHand: 10,
  committed: 2,
  pos: 1,
  expected: 7,
});

/** The complete stock run of acme-staging that `withStock` records. */
export const STOCK_RUN = aRun({
  runId: "20250310T090000.000Z-ssssssssssss",
  stream: "stock",
  complete: true,
  startedAt: "2025-03-10T09:00:00.000Z",
  finishedAt: "2025-03-10T09:02:00.000Z",
});

/**
 * Fixture (the real stock run is test/api/stock.test.ts's): acme-staging syncs stock, and its complete
 * stock run STOCK_RUN left `rows` in the stream ledger, as the load step writes them.
 */
export async function withStock(
  state: ReturnType<typeof fakeApi>["state"],
  rows: ExpectedStock[],
  /** false: the tenant syncs stock, but no stock run has completed (nothing is written). */
  completed = true,
) {
  const at = state.tenants.findIndex((tenant) => tenant.id === "acme-staging");
  state.tenants[at] = tenantNamed("acme-staging", (input) => {
    input.streams = { stock: { schedule: "rate(1 hour)", subtract: ["committed", "pos"] } };
  });
  if (!completed) return;
  state.runs.push(STOCK_RUN);
  await state.streamLedger.putMany(
    "acme-staging#stock",
    rows.map((row) => {
      const key = stockKey(row.warehouse, row.item, row.installation);
      return { key, hash: key, productId: key, runId: STOCK_RUN.runId, updatedAt: "", values: { ...row } };
    }),
  );
}
