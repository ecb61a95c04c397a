import { type InProcessRunOptions, type RunSummary, runInProcess } from "../runtime/cli/in-process.js";
import type { StreamName } from "../runtime/core/domain/stream.js";
import type { Tenant } from "../runtime/core/domain/tenant.js";
import { logger } from "../runtime/core/observability/logger.js";
import { withSandboxUrls } from "../runtime/edges/local/tenants.js";
import { dynamoPipelineStore } from "../runtime/edges/store/dynamo.js";
import { openStore, type Store } from "../runtime/wiring/local-store.js";
import { type SandboxProcess, spawnSandboxes } from "../sandbox/process.js";
import { spawnLocalSqs } from "../sandbox/sqs-process.js";

/**
 * `npm run sync`'s engine against sandboxes and the local SQS in child processes (the "remote"
 * services), with the store wherever AWS_ENDPOINT_URL_DYNAMODB points: what the benchmarks measure
 * as the in-process run.
 */
export async function inProcessBench(
  tenant: Tenant,
  options: {
    items: number;
    storePrefix: string;
    latencyMs?: number;
    /** The stream each run syncs (default: the catalogue). */
    stream?: StreamName;
    /** The sandbox's warehouses and stock (bench:scale --stream stock). */
    stock?: { warehouses: number; stockedShare: number; clustered?: boolean };
    /** Counting seams (bench:scale): passed to every run. */
    wrap?: Pick<InProcessRunOptions, "wrapHandlers" | "wrapQueues">;
  },
): Promise<{ run(): Promise<RunSummary>; store: Store; sandboxes: SandboxProcess; close(): Promise<void> }> {
  const sandboxes = await spawnSandboxes({
    product: tenant.product.type,
    items: options.items,
    seed: 42,
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
    ...(options.stock ? { stock: options.stock } : {}),
  });
  let store: Store | undefined;
  let sqs: Awaited<ReturnType<typeof spawnLocalSqs>>;
  try {
    store = await openStore({ prefix: options.storePrefix });
    sqs = await spawnLocalSqs();
  } catch (error) {
    await store?.close();
    await sandboxes.close();
    throw error;
  }
  return {
    store,
    sandboxes,
    run: () =>
      runInProcess({
        tenant: withSandboxUrls(tenant, sandboxes),
        credentials: sandboxes.credentials,
        store: dynamoPipelineStore(store.doc, store.names),
        log: logger,
        sqsEndpoint: sqs.endpoint,
        ...(options.stream ? { stream: options.stream } : {}),
        ...options.wrap,
      }),
    close: async () => {
      await store.close();
      await sqs.close();
      await sandboxes.close();
    },
  };
}
