import { afterEach } from "vitest";
import type { ProductRecord } from "../../runtime/core/domain/model.js";
import { type CallPolicy, defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import type { ProductClientOptions } from "../../runtime/core/ports/product.js";
import { listen, type RunningServer } from "../../sandbox/serve.js";
import { recordingLog } from "../support/log.js";

/** Starts a sandbox app over real HTTP and closes it after the test. */
const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});
export async function serve(app: Parameters<typeof listen>[0]): Promise<string> {
  const server = await listen(app);
  running.push(server);
  return server.url;
}

/** A policy that never really waits: it records each wait and runs `onSleep` (e.g. to lift a fault). */
export function recordingPolicy(
  overrides: Partial<CallPolicy> = {},
  onSleep: (ms: number) => void = () => {},
): CallPolicy & { waits: number[] } {
  const waits: number[] = [];
  const policy = defaultPolicy({
    baseDelayMs: 1,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
      onSleep(ms);
    },
    ...overrides,
  });
  return Object.assign(policy, { waits });
}

export function clientOptions(
  baseUrl: string,
  credentials: { username: string; password: string },
  overrides: Partial<ProductClientOptions> = {},
): ProductClientOptions {
  return {
    baseUrl,
    endpoints: {},
    credentials: { ...credentials },
    policy: recordingPolicy(),
    tenantId: "acme-test",
    log: recordingLog(),
    ...overrides,
  };
}

/** A Kong SKU record as the mapping would produce it. */
export function kongRecord(externalId: string, overrides: Record<string, unknown> = {}): ProductRecord {
  return {
    key: externalId,
    externalId,
    payload: {
      external_id: externalId,
      name: `Item ${externalId}`,
      reference: `REF-${externalId}`,
      type_id: 1,
      group_id: 2,
      customer_id: 7,
      is_active: true,
      ...overrides,
    },
  };
}

/** A WMS product record as the mapping would produce it. */
export function wmsRecord(externalId: string, overrides: Record<string, unknown> = {}): ProductRecord {
  return {
    key: externalId,
    externalId,
    // The body the WMS mapping writes (mappings/wms.ts).
    payload: {
      name: `Item ${externalId}`,
      display_name: `Item ${externalId}`,
      external_id: externalId,
      reference_id: `REF-${externalId}`,
      barcode_type: "EAN",
      barcode: `770${externalId.padStart(10, "0")}`,
      status: "ACTIVE",
      inventory_unit: "UNIT",
      ...overrides,
    },
  };
}

export { recordingLog };
