import { afterEach, describe, expect, it } from "vitest";
import { streamScope } from "../../runtime/core/domain/stream.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import { defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import type { WorkerDependencies } from "../../runtime/core/ports/dependencies.js";
import { locationExternalId } from "../../runtime/core/streams/warehouses.js";
import { VERIFY_DIED } from "../../runtime/core/verify/verify-run.js";
import { withSandboxUrls } from "../../runtime/edges/local/tenants.js";
import { createApiDependencies } from "../../runtime/wiring/api-dependencies.js";
import { clientsFor, streamClientsFor } from "../../runtime/wiring/compose.js";
import { credentialsOf } from "../../runtime/wiring/local-credentials.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { createWorkerHandlers } from "../../runtime/workers/index.js";
import { type LocalSandboxes, startSandboxes } from "../../sandbox/local.js";
import { drain, eventOf, type StepWorld, stepWorld } from "../pipeline/step-world.js";
import { quietLog } from "../support/log.js";

// Verify (and repair) of the warehouses stream: each ERP warehouse is a location of the product, read
// back with the location client's list and compared with the stream's own ledger partition. Runs go
// through the real workers on the step queues and the in-memory store, against the Siesa sandbox and
// a Kong (or WMS) sandbox over HTTP.

const STORE = "DEMO-STORE";
const opened: LocalSandboxes[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((sandboxes) => sandboxes.close()));
});

async function warehousesWorld(product: "kong-rfid" | "wms") {
  const demo = (await loadTenants()).require("demo");
  const sandboxes = await startSandboxes({ product, items: 5, seed: 25 });
  opened.push(sandboxes);
  const file: Tenant = {
    ...demo,
    ...(product === "wms"
      ? {
          product: { type: "wms", baseUrl: "https://wms.example/", endpoints: {}, defaults: {} },
          mapping: "wms",
        }
      : {}),
    streams: {
      warehouses: {
        schedule: "rate(1 day)",
        location: { type: "E1", parent: STORE },
        // The WMS sandbox implements the locations endpoint this service assumes.
        ...(product === "wms"
          ? { locationsConfirmed: "the WMS sandbox, which implements the assumed endpoint" }
          : {}),
      },
    },
  };
  const tenant = withSandboxUrls(file, sandboxes);
  // The parent the warehouses hang under: the client's own location, in the product before any run.
  sandboxes.kong?.locations.store.insert({
    external_id: STORE,
    type_external_id: "M1",
    customer_ids: [Number(tenant.product.defaults.customer_id)],
    name: "Demo store",
  });
  sandboxes.wms?.locations.store.insert({
    external_id: STORE,
    code: "STORE",
    name: "Demo store",
    type: "M1",
  });

  const world = stepWorld({ tenant });
  const policy = { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 10_000, sleep: async () => {} };
  const deps: WorkerDependencies = {
    ...world.deps,
    credentials: credentialsOf(new Map([[tenant.id, sandboxes.credentials]])),
    clientsFor: (t, credentials, callPolicy) =>
      clientsFor(t, credentials, { policy: defaultPolicy({ ...callPolicy, ...policy }), log: quietLog }),
    streamClientsFor: (t, credentials, stream, callPolicy) =>
      streamClientsFor(t, credentials, stream, {
        policy: defaultPolicy({ ...callPolicy, ...policy }),
        log: quietLog,
      }),
  };
  // Each function as its role makes it (a verify of warehouses reads and marks the stream ledger).
  const handlers = createWorkerHandlers((fn) => world.scoped(fn, deps));
  const steps: StepWorld = { ...world, handlers };
  const api = createApiDependencies(world.scoped("api", deps), {
    schedules: {
      getState: async () => "ENABLED",
      describe: async () => ({ state: "ENABLED" }),
      setState: async () => {},
    },
    tokens: { verify: async () => undefined },
    version: "test",
    probes: {},
  });

  const started = (result: Awaited<ReturnType<typeof api.verify>>) => {
    if (!result.started) throw new Error(`not started: ${result.activeRunId} is active`);
    return result.runId;
  };
  const runOf = async (runId: string) => {
    const run = await world.store.runs.get(tenant.id, runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    return run;
  };
  // Run ids sort by the world's clock: each request comes a minute after the last, so a later run's
  // ledger entries replace an earlier one's.
  const later = () => world.clock.advance(60_000);
  /** A run of the warehouses stream, to its end. */
  const syncWarehouses = async () => {
    later();
    const runId = started(await api.startRun(tenant.id, "manual", { stream: "warehouses" }));
    await drain(steps);
    return runOf(runId);
  };
  /** POST /tenants/:id/verify {"stream": "warehouses"}, and every run it leads to, to their ends. */
  const verifyWarehouses = async (repair = false) => {
    later();
    const runId = started(await api.verify(tenant.id, { repair, stream: "warehouses" }));
    await drain(steps);
    return runOf(runId);
  };
  const codes = () =>
    sandboxes.siesa.stock.warehouses
      .filter((row) => Number(row.f150_id_cia) === tenant.siesa.erpCompany)
      .map((row) => String(row.f150_id).trim());
  const externalIdOf = (code: string) => locationExternalId(tenant, code);
  return {
    tenant,
    sandboxes,
    world,
    steps,
    api,
    started,
    runOf,
    syncWarehouses,
    verifyWarehouses,
    codes,
    externalIdOf,
  };
}

async function kongWorld() {
  const w = await warehousesWorld("kong-rfid");
  const kong = w.sandboxes.kong;
  if (!kong) throw new Error("a Kong world");
  const locationOf = (code: string) => {
    const location = kong.locations.store.getByExternalId(w.externalIdOf(code));
    if (!location) throw new Error(`no location for warehouse ${code}`);
    return location;
  };
  return { ...w, kong, locationOf };
}

describe("verify of the warehouses stream against Kong RFID", () => {
  it("finds every warehouse's location ok after a warehouses run, leaving the client's own locations out", async () => {
    const { syncWarehouses, verifyWarehouses, codes } = await kongWorld();
    expect((await syncWarehouses()).status).toBe("succeeded");

    const verify = await verifyWarehouses();

    expect(verify).toMatchObject({
      trigger: "verify",
      stream: "warehouses",
      status: "succeeded",
      verify: {
        stream: "warehouses",
        read: { product: codes().length, ledger: codes().length },
        counts: { ok: codes().length, missing: 0, drifted: 0, unknown: 0 },
        differences: [],
      },
    });
  });

  it("finds a location renamed in Kong drifted, and its repair run of the warehouses stream writes back that one only", async () => {
    const { kong, syncWarehouses, verifyWarehouses, runOf, codes, locationOf } = await kongWorld();
    await syncWarehouses();
    const [renamed] = codes() as [string];
    const name = locationOf(renamed).name;
    kong.locations.store.edit(locationOf(renamed).id, { name: "RENAMED IN KONG" });
    const { creates, patches } = kong.locations.stats;

    const verify = await verifyWarehouses(true);

    expect(verify.status).toBe("partial");
    expect(verify.verify?.counts).toEqual({ ok: codes().length - 1, missing: 0, drifted: 1, unknown: 0 });
    expect(verify.verify?.differences).toEqual([
      expect.objectContaining({ status: "drifted", key: renamed, productId: String(locationOf(renamed).id) }),
    ]);
    expect(verify.verify?.repair).toMatchObject({ marked: 1, runId: expect.any(String) });
    const repair = await runOf(verify.verify?.repair?.runId ?? "");
    expect(repair).toMatchObject({
      trigger: "repair",
      stream: "warehouses",
      status: "succeeded",
      counts: { updated: 1, created: 0, unchanged: codes().length - 1 },
    });
    expect(locationOf(renamed).name).toBe(name);
    expect(kong.locations.stats).toMatchObject({ creates, patches: patches + 1 });
    expect((await verifyWarehouses()).verify?.counts).toMatchObject({ ok: codes().length, drifted: 0 });
  });

  it("finds a location deleted in Kong missing, and its repair run creates it again", async () => {
    const { kong, syncWarehouses, verifyWarehouses, runOf, codes, locationOf, externalIdOf } =
      await kongWorld();
    await syncWarehouses();
    const [deleted] = codes() as [string];
    const id = locationOf(deleted).id;
    kong.locations.store.remove(id);

    const verify = await verifyWarehouses(true);

    expect(verify.verify?.counts).toEqual({ ok: codes().length - 1, missing: 1, drifted: 0, unknown: 0 });
    expect(verify.verify?.differences).toEqual([
      expect.objectContaining({ status: "missing", key: deleted, productId: String(id) }),
    ]);
    const repair = await runOf(verify.verify?.repair?.runId ?? "");
    expect(repair).toMatchObject({ stream: "warehouses", counts: { created: 1, updated: 0 } });
    expect(kong.locations.store.getByExternalId(externalIdOf(deleted))).toBeDefined();
  });

  it("holds the warehouses' lease while it runs: a warehouses run waits for it, a catalogue run does not", async () => {
    const { api, tenant, started } = await kongWorld();

    const verifyRunId = started(await api.verify(tenant.id, { repair: false, stream: "warehouses" }));

    expect(await api.startRun(tenant.id, "manual", { stream: "warehouses" })).toEqual({
      started: false,
      activeRunId: verifyRunId,
    });
    expect(await api.startRun(tenant.id, "manual")).toMatchObject({ started: true });
  });

  it("is the warehouses' active run the API shows as soon as it is asked for, though the API looked just before", async () => {
    const { api, tenant, started } = await kongWorld();
    const scope = streamScope(tenant.id, "warehouses");
    expect(await api.runs.active(scope)).toBeUndefined(); // read, and kept a short while

    const verifyRunId = started(await api.verify(tenant.id, { repair: false, stream: "warehouses" }));

    expect(await api.runs.active(scope)).toMatchObject({ runId: verifyRunId, trigger: "verify" });
  });

  it("whose request ends in the dead-letter queue is ended failed by settle, which frees the warehouses' lease", async () => {
    const { api, tenant, started, steps, runOf } = await kongWorld();
    const runId = started(await api.verify(tenant.id, { repair: false, stream: "warehouses" }));
    const request = { tenantId: tenant.id, runId, repair: false, stream: "warehouses" };

    await steps.handlers.settle(eventOf(steps.queues.queues.verifyRequests.deadLetter, request));

    expect(await runOf(runId)).toMatchObject({ status: "failed", reason: VERIFY_DIED });
    expect(await steps.store.lease.current(streamScope(tenant.id, "warehouses"))).toBeUndefined();
  });
});

describe("verify of the warehouses stream against the WMS", () => {
  it("compares what a location row shows: all ok after a run, a name changed in the WMS drifted", async () => {
    const { sandboxes, syncWarehouses, verifyWarehouses, codes, externalIdOf } = await warehousesWorld("wms");
    const wms = sandboxes.wms;
    if (!wms) throw new Error("a WMS world");
    expect((await syncWarehouses()).status).toBe("succeeded");

    const clean = await verifyWarehouses();
    const [renamed] = codes() as [string];
    const location = wms.locations.store.getByExternalId(externalIdOf(renamed));
    if (!location) throw new Error(`no location for warehouse ${renamed}`);
    wms.locations.store.edit(location.id, { name: "RENAMED IN THE WMS" });
    const edited = await verifyWarehouses();

    expect(clean.verify?.counts).toEqual({ ok: codes().length, missing: 0, drifted: 0, unknown: 0 });
    expect(edited.verify?.counts).toEqual({ ok: codes().length - 1, missing: 0, drifted: 1, unknown: 0 });
    expect(edited.verify?.differences).toEqual([
      expect.objectContaining({ status: "drifted", key: renamed, productId: location.id }),
    ]);
  });
});
