import { type InProcessRunOptions, runInProcess } from "../../runtime/cli/in-process.js";
import type { StreamName } from "../../runtime/core/domain/stream.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import type { CallPolicy } from "../../runtime/core/ports/call-policy.js";
import { withSandboxUrls } from "../../runtime/edges/local/tenants.js";
import { dynamoPipelineStore } from "../../runtime/edges/store/dynamo.js";
import { openStore } from "../../runtime/wiring/local-store.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { startSandboxes } from "../../sandbox/local.js";
import { quietLog } from "../support/log.js";

/** The parent the demo's warehouses hang under in these tests (Kong holds it before the first run). */
export const STORE_LOCATION = "DEMO-STORE";

/**
 * The demo tenant syncing its warehouses and stock as well as its catalogue, against the sandboxes
 * on this machine and one DynamoDB store: runs go through the real engine and queues (runInProcess).
 */
export async function streamWorld(
  items: number,
  change: (tenant: Tenant) => Tenant = (t) => t,
): Promise<{
  sandboxes: Awaited<ReturnType<typeof startSandboxes>>;
  tenant: Tenant;
  store: ReturnType<typeof dynamoPipelineStore>;
  run(
    stream: StreamName,
    options?: Pick<
      InProcessRunOptions,
      "wrapHandlers" | "wrapQueues" | "timeScale" | "approveDeactivationsOf"
    > & {
      policy?: Partial<CallPolicy>;
      /** The tenant's file as changed since the world began (a run reads it as it is then). */
      tenant?: Tenant;
    },
  ): ReturnType<typeof runInProcess>;
  close(): Promise<void>;
}> {
  const demo = (await loadTenants()).require("demo");
  const sandboxes = await startSandboxes({ product: "kong-rfid", items, seed: 25 });
  const opened = await openStore({ prefix: `streams-${Math.random().toString(36).slice(2, 8)}` });
  const store = dynamoPipelineStore(opened.doc, opened.names);
  const kong = sandboxes.kong;
  if (!kong) throw new Error("demo is a Kong RFID tenant");
  kong.locations.store.insert({
    external_id: STORE_LOCATION,
    type_external_id: "M1",
    customer_ids: [Number(demo.product.defaults.customer_id)],
    name: "Demo store",
  });
  const tenant = change(
    withSandboxUrls(
      {
        ...demo,
        streams: {
          warehouses: { schedule: "rate(1 day)", location: { type: "E1", parent: STORE_LOCATION } },
          stock: { schedule: "rate(15 minutes)", subtract: ["committed", "pos"] },
        },
      },
      sandboxes,
    ),
  );
  return {
    sandboxes,
    tenant,
    store,
    run: (stream, options = {}) =>
      runInProcess({
        tenant: options.tenant ?? tenant,
        stream,
        credentials: sandboxes.credentials,
        store,
        log: quietLog,
        policy: {
          baseDelayMs: 1,
          maxDelayMs: 5,
          timeoutMs: 10_000,
          sleep: async () => {},
          ...options.policy,
        },
        retryBaseSeconds: 0,
        timeScale: options.timeScale ?? 0.01,
        ...(options.wrapHandlers ? { wrapHandlers: options.wrapHandlers } : {}),
        ...(options.wrapQueues ? { wrapQueues: options.wrapQueues } : {}),
        ...(options.approveDeactivationsOf !== undefined
          ? { approveDeactivationsOf: options.approveDeactivationsOf }
          : {}),
      }),
    close: async () => {
      await sandboxes.close();
      await opened.close();
    },
  };
}
