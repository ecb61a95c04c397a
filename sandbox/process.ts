import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { TenantCredentials } from "../runtime/compose.js";
import type { ProductType } from "../runtime/sync/model.js";

export interface SandboxProcess {
  siesaUrl: string;
  productUrl: string;
  credentials: TenantCredentials;
  close(): Promise<void>;
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
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = once(child, "exit");
  const lines = createInterface({ input: child.stdout });
  const [first] = (await Promise.race([once(lines, "line"), exited.then(() => [undefined])])) as [
    string | undefined,
  ];
  if (!first) throw new Error("sandbox process exited before it was ready");
  const ready = JSON.parse(first) as Omit<SandboxProcess, "close">;
  return {
    ...ready,
    close: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
