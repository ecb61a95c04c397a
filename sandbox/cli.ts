/**
 * Runs the sandboxes of a local tenant in their own process and prints one JSON line
 * `{"siesaUrl","productUrl","credentials"}` on stdout once they listen; stops on SIGINT/SIGTERM.
 * Benchmarks use it so the "remote" APIs do not share a CPU core with the sync being measured.
 * Started with an IPC channel (sandbox/process.ts), it answers `SandboxRequest`s on it (what Siesa
 * was asked, a change to the catalogue) and stops when its parent goes away.
 *   tsx sandbox/cli.ts --product kong-rfid --items 10000 [--seed 42] [--siesa-port 4010] [--product-port 4020]
 *     [--latency-ms 50] (every answer of both sandboxes waits this long) [--state-dir DIR] (keep state)
 *     [--warehouses 50 --stocked-share 0.2 [--clustered]] (the company's active warehouses and the chance an item
 *     has a row in each, sandbox/stock.ts; the answers then count the stock rows of each)
 */
import { parseArgs } from "node:util";
import type { ProductType } from "../runtime/core/domain/model.js";
import { startSandboxes } from "./local.js";
import type { SandboxAnswer, SandboxRefusal, SandboxRequest } from "./process.js";
import type { Stock } from "./stock.js";

const { values } = parseArgs({
  options: {
    product: { type: "string", default: "kong-rfid" },
    items: { type: "string", default: "1000" },
    seed: { type: "string", default: "42" },
    "siesa-port": { type: "string", default: "0" },
    "product-port": { type: "string", default: "0" },
    "latency-ms": { type: "string", default: "0" },
    "state-dir": { type: "string" },
    warehouses: { type: "string" },
    "stocked-share": { type: "string" },
    clustered: { type: "boolean" },
  },
});
if (values.product !== "kong-rfid" && values.product !== "wms") {
  process.stderr.write(`sandbox: --product must be kong-rfid or wms (got ${values.product})\n`);
  process.exit(1);
}
const stock =
  values.warehouses === undefined && values["stocked-share"] === undefined
    ? undefined
    : {
        ...(values.warehouses !== undefined ? { warehouses: Number(values.warehouses) } : {}),
        ...(values["stocked-share"] !== undefined ? { stockedShare: Number(values["stocked-share"]) } : {}),
        ...(values.clustered ? { clustered: true } : {}),
      };
const sandboxes = await startSandboxes({
  product: values.product as ProductType,
  items: Number(values.items),
  seed: Number(values.seed),
  siesaPort: Number(values["siesa-port"]),
  productPort: Number(values["product-port"]),
  ...(Number(values["latency-ms"]) > 0
    ? {
        siesaFaults: { latencyMs: Number(values["latency-ms"]) },
        productFaults: { latencyMs: Number(values["latency-ms"]) },
      }
    : {}),
  ...(values["state-dir"] ? { stateDir: values["state-dir"] } : {}),
  ...(stock ? { stock } : {}),
});
const { siesaUrl, productUrl, credentials } = sandboxes;
process.stdout.write(`${JSON.stringify({ siesaUrl, productUrl, credentials })}\n`);
const stop = () => void sandboxes.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
if (process.send) {
  const { siesa } = sandboxes;
  process.on("message", (request: SandboxRequest) => {
    // A request it cannot do (more changes than items) is the parent's error to report, not a crash.
    try {
      if (request.type === "change") siesa.catalogue.changeItems(request.count);
    } catch (error) {
      const refused: SandboxRefusal = { error: error instanceof Error ? error.message : String(error) };
      process.send?.(refused);
      return;
    }
    const answer: SandboxAnswer = {
      siesaRequests: siesa.stats.total,
      siesaRequestsByQuery: { ...siesa.stats.byDescripcion },
      itemRows: siesa.catalogue.companyItemIds().length,
      barcodeRows: siesa.catalogue.companyBarcodes().length,
      ...(stock ? { stockRows: stockRowsOf(siesa.stock) } : {}),
    };
    process.send?.(answer);
  });
  // A parent that died without stopping us (a crash, a kill) leaves no sandbox behind.
  process.on("disconnect", stop);
}

/** The stock rows of each active warehouse of the company (trimmed code), repeats not counted. */
function stockRowsOf(stock: Stock): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(stock.activeWarehouseCodes().map((c) => [c, 0]));
  for (const row of stock.rows) {
    const code = String(row.f150_id).trim();
    if (code in counts) counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}
