import { afterEach } from "vitest";
import type { StreamSettings, Tenant } from "../../runtime/core/domain/tenant.js";
import { defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import type { TenantCredentials } from "../../runtime/core/ports/tenant-clients.js";
import { type ProbeOptions, type ProbeReport, probeTenant } from "../../runtime/wiring/probe.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import type { SiesaSandboxOptions } from "../../sandbox/siesa.js";
import { recordingLog } from "../support/log.js";
import { aTenant } from "../tenants/factories.js";

// The contract probe against the Siesa, Kong and WMS sandboxes over HTTP, with the real clients.

const started: LocalSandboxes[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

/** Retries still happen, without real waits. */
export const fastPolicy = () =>
  defaultPolicy({ baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 1_000, sleep: async () => {} });

/**
 * Sandboxes holding a small catalogue (its ERP company is 1), a tenant pointing at them, and a probe
 * (read-only unless it is asked to write).
 */
export async function probeWorld(
  options: {
    product?: "kong-rfid" | "wms";
    siesa?: Partial<Omit<SiesaSandboxOptions, "catalogue" | "faults">>;
    credentials?: (good: TenantCredentials) => TenantCredentials;
    tenant?: (tenant: Tenant) => Tenant;
    listed?: boolean;
  } = {},
) {
  const product = options.product ?? "kong-rfid";
  const sandboxes = await startSandboxes({ product, items: 30, seed: 5 });
  started.push(sandboxes);
  if (options.siesa) sandboxes.siesa.setOptions(options.siesa);
  const base = aTenant((t) => {
    t.environment = "local";
    t.siesa.baseUrl = sandboxes.siesaUrl;
    t.product.baseUrl = sandboxes.productUrl;
    if (product === "wms") {
      t.product = { type: "wms", baseUrl: sandboxes.productUrl, endpoints: {}, defaults: {} };
      t.mapping = "wms";
    }
  });
  const tenant = options.tenant ? options.tenant(base) : base;
  if (options.listed !== false) {
    sandboxes.kong?.skus.insert({
      external_id: "7001",
      name: "Camisa",
      type_id: 4,
      group_id: 9,
      customer_id: 17,
    });
    sandboxes.wms?.products.insert({ external_id: "7001", name: "Camisa" });
  }
  const credentials = options.credentials
    ? options.credentials(sandboxes.credentials)
    : sandboxes.credentials;
  const probe = (more: Pick<ProbeOptions, "write" | "beforeWrite"> = {}) =>
    probeTenant(tenant, credentials, { policy: fastPolicy(), log: recordingLog(), ...more });
  return { probe, sandboxes, tenant };
}

export const SIESA_CHECKS = [
  "siesa credentials",
  "siesa erp company",
  "siesa item columns",
  "siesa page size",
  "siesa end of data",
  "siesa range filter",
  "siesa doubled quotes",
  "siesa reference list",
  "siesa barcode columns",
  "siesa rate limit",
];

/** A Kong tenant's report has every line, in this order, whichever check fails or is skipped. */
export const KONG_CHECKS = [
  ...SIESA_CHECKS,
  "product login",
  "product list",
  "product lookup by external id",
  "product search semantics",
  // Without --write, skipped: "needs --write".
  "product probe record",
  "product duplicate refused",
  "product probe record left inactive",
];

/** A WMS tenant's report: no search semantics (its lookup is exact), the PATCH id instead of a refused duplicate. */
export const WMS_CHECKS = [
  ...SIESA_CHECKS,
  "product login",
  "product list",
  "product lookup by external id",
  "product probe record",
  "product duplicate found by lookup",
  "wms variant_id is the PATCH id",
  "product probe record left inactive",
];

export const check = (report: ProbeReport, name: string) => report.checks.find((c) => c.name === name);
export const failed = (report: ProbeReport) =>
  report.checks.filter((c) => c.status === "failed").map((c) => c.name);

/** The location a tenant's warehouses hang under: the client's store, already in Kong. */
export const PARENT_LOCATION = "acme-store";

/** A tenant file's streams: warehouses as Kong locations (E1 under the store), stock of every active warehouse. */
export const STREAMS: StreamSettings = {
  warehouses: { schedule: "rate(1 day)", location: { type: "E1", parent: PARENT_LOCATION } },
  stock: { schedule: "rate(1 hour)", subtract: ["committed", "pos"] },
};

/**
 * probeWorld for a tenant whose file declares streams (STREAMS unless told), with its parent
 * location in the Kong sandbox.
 */
export async function streamsWorld(
  options: Parameters<typeof probeWorld>[0] & { streams?: StreamSettings } = {},
) {
  const { streams = STREAMS, tenant: edit, ...rest } = options;
  const world = await probeWorld({
    ...rest,
    tenant: (t) => {
      const withStreams = { ...t, streams };
      return edit ? edit(withStreams) : withStreams;
    },
  });
  world.sandboxes.kong?.locations.store.insert({
    external_id: PARENT_LOCATION,
    type_external_id: "M1",
    customer_ids: [17],
    name: "Tienda Centro",
  });
  return world;
}

/** The Siesa lines of a tenant with both streams: the warehouse and stock lines before the rate limit. */
export const SIESA_STREAM_CHECKS = [
  ...SIESA_CHECKS.slice(0, -1),
  "siesa warehouse columns",
  "siesa company warehouses",
  "siesa warehouse repeats",
  "siesa stock counted warehouses",
  "siesa stock warehouse filter",
  "siesa stock item column",
  "siesa stock installation column",
  "siesa stock quantities",
  "siesa stock range filter",
  "siesa rate limit",
];

/** Kong's location lines, after the product's own; the last four need --write. */
export const LOCATION_CHECKS = [
  "product location filter",
  "product location parent",
  "product location type",
  "product probe location",
  "product location duplicate refused",
  "product location PATCH",
  "product probe location left inactive",
];

/** A Kong tenant with both streams: every line, in this order. */
export const KONG_STREAM_CHECKS = [
  ...SIESA_STREAM_CHECKS,
  ...KONG_CHECKS.slice(SIESA_CHECKS.length),
  ...LOCATION_CHECKS,
];
