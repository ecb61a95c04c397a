import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ProductType } from "../runtime/core/domain/model.js";
import type { TenantCredentials } from "../runtime/core/ports/tenant-clients.js";

export interface SandboxProcess {
  siesaUrl: string;
  productUrl: string;
  credentials: TenantCredentials;
  /** The Siesa requests served so far and the tenant's rows (benchmarks count requests per run). */
  siesaState(): Promise<SandboxAnswer>;
  /** Changes the description of `count` company items in the Siesa catalogue (a small change). */
  changeItems(count: number): Promise<SandboxAnswer>;
  close(): Promise<void>;
}

/** What the parent asks the sandbox process over its IPC channel. */
export type SandboxRequest = { type: "state" } | { type: "change"; count: number };

/** The sandbox process's answer to a request it could not do. */
export interface SandboxRefusal {
  error: string;
}

export interface SandboxAnswer {
  /** Every request the Siesa sandbox answered since it started, and by query (`descripcion`). */
  siesaRequests: number;
  siesaRequestsByQuery: Record<string, number>;
  /** The tenant's company item rows and their barcode rows in the catalogue. */
  itemRows: number;
  barcodeRows: number;
  /** With stock options: the stock rows of each active warehouse of the company, by trimmed code. */
  stockRows?: Record<string, number>;
}

/** Starts `sandbox/cli.ts` in a child process and resolves once it prints its URLs. */
export async function spawnSandboxes(options: {
  product: ProductType;
  items: number;
  seed?: number;
  /** Every answer of both sandboxes waits this long (a remote API's latency). */
  latencyMs?: number;
  /** Keeps the catalogue and product state here (see startSandboxes). */
  stateDir?: string;
  /** Generate warehouses and stock with these (sandbox/stock.ts). */
  stock?: { warehouses: number; stockedShare: number; clustered?: boolean };
}): Promise<SandboxProcess> {
  const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      cli,
      "--product",
      options.product,
      "--items",
      String(options.items),
      "--seed",
      String(options.seed ?? 42),
      ...(options.latencyMs ? ["--latency-ms", String(options.latencyMs)] : []),
      ...(options.stateDir ? ["--state-dir", options.stateDir] : []),
      ...(options.stock
        ? [
            "--warehouses",
            String(options.stock.warehouses),
            "--stocked-share",
            String(options.stock.stockedShare),
            ...(options.stock.clustered ? ["--clustered"] : []),
          ]
        : []),
    ],
    { stdio: ["ignore", "pipe", "inherit", "ipc"] },
  );
  const exited = once(child, "exit");
  // stdio[1] is a pipe, so stdout is set; the IPC channel's typing loses that.
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const [first] = (await Promise.race([once(lines, "line"), exited.then(() => [undefined])])) as [
    string | undefined,
  ];
  if (!first) throw new Error("sandbox process exited before it was ready");
  const ready = JSON.parse(first) as Pick<SandboxProcess, "siesaUrl" | "productUrl" | "credentials">;
  // One request at a time: each answer belongs to the request before it.
  let asked: Promise<unknown> = Promise.resolve();
  const ask = (request: SandboxRequest): Promise<SandboxAnswer> => {
    const answer = asked.then(async () => {
      const reply = once(child, "message") as Promise<[SandboxAnswer | SandboxRefusal]>;
      child.send(request);
      const gone = exited.then(([code, signal]) => {
        throw new Error(`the sandbox process exited (${signal ?? `code ${code}`}) before answering`);
      });
      const [message] = await Promise.race([reply, gone]);
      if ("error" in message) throw new Error(message.error);
      return message;
    });
    asked = answer.catch(() => undefined);
    return answer;
  };
  return {
    ...ready,
    siesaState: () => ask({ type: "state" }),
    changeItems: (count) => ask({ type: "change", count }),
    close: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
