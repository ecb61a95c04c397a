import { describe, expect, it } from "vitest";
import { createTenantProbe, probeTenant } from "../../runtime/wiring/probe.js";
import { recordingLog } from "../support/log.js";
import { check, failed, fastPolicy, KONG_CHECKS, probeWorld, WMS_CHECKS } from "./probe-world.js";

// `--write`: the checks that need one write, all on one probe record, against the Kong and WMS
// sandboxes over HTTP with the real clients. The read-only checks: probe.test.ts.

/** The probe record's external id for the test tenant, acme-staging: its own, never a number. */
const PROBE_ID = "siesa-integration-probe-acme-staging";

const wrote = (report: { checks: { name: string; wrote?: true }[] }) =>
  report.checks.filter((c) => c.wrote).map((c) => c.name);

describe("the contract probe --write, on Kong", () => {
  it("creates the probe record inactive, sees its duplicate refused, and leaves it inactive", async () => {
    const { probe, sandboxes } = await probeWorld();
    const kong = sandboxes.kong;
    const announced: { notice: string; skusThen: number }[] = [];

    const report = await probe({
      write: true,
      beforeWrite: (notice) => announced.push({ notice, skusThen: kong?.skus.size ?? -1 }),
    });

    expect(failed(report)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual(KONG_CHECKS);
    const sku = kong?.skus.getByExternalId(PROBE_ID);
    expect(sku).toMatchObject({ customer_id: 17, type_id: 4, group_id: 9, is_active: false });
    expect(kong?.skus.list().filter((s) => s.external_id === PROBE_ID)).toHaveLength(1);
    expect(check(report, "product probe record")?.detail).toBe(
      `created inactive as id ${sku?.id} (external_id siesa-integration-probe-acme-staging)`,
    );
    expect(check(report, "product duplicate refused")?.detail).toBe(
      `a second create of external_id siesa-integration-probe-acme-staging was refused as a duplicate; the write found SKU ${sku?.id} and updated it, as a sync whose ledger lost the id does`,
    );
    expect(check(report, "product probe record left inactive")?.detail).toBe(
      `external_id siesa-integration-probe-acme-staging is listed as id ${sku?.id}, is_active false`,
    );
    // Said once, naming the host and the record, while Kong still held only the tenant's one SKU.
    expect(announced).toEqual([
      {
        notice: `writing to kong-rfid at ${new URL(sandboxes.productUrl).host}: one record, external_id siesa-integration-probe-acme-staging, created inactive unless an earlier probe left it, and left inactive`,
        skusThen: 1,
      },
    ]);
    expect(wrote(report)).toEqual(["product probe record", "product duplicate refused"]);
  });

  it("reuses the probe record an earlier probe left: found, not created again", async () => {
    const { probe, sandboxes } = await probeWorld();
    await probe({ write: true });
    const first = sandboxes.kong?.skus.getByExternalId(PROBE_ID);

    const report = await probe({ write: true });

    expect(failed(report)).toEqual([]);
    expect(check(report, "product probe record")?.detail).toBe(
      `external_id siesa-integration-probe-acme-staging found as id ${first?.id}, left by an earlier probe: reused, not created again`,
    );
    expect(sandboxes.kong?.skus.list().filter((s) => s.external_id === PROBE_ID)).toHaveLength(1);
    expect(wrote(report)).toEqual(["product duplicate refused"]);
  });

  it("gives each tenant of one Kong a probe record of its own, in its own customer", async () => {
    const { probe, sandboxes, tenant } = await probeWorld();
    const other = {
      ...tenant,
      id: "globex-prod",
      product: { ...tenant.product, defaults: { ...tenant.product.defaults, customer_id: 18 } },
    };
    await probe({ write: true });

    const report = await probeTenant(other, sandboxes.credentials, {
      policy: fastPolicy(),
      log: recordingLog(),
      write: true,
    });

    expect(failed(report)).toEqual([]);
    expect(sandboxes.kong?.skus.getByExternalId("siesa-integration-probe-globex-prod")).toMatchObject({
      customer_id: 18,
      is_active: false,
    });
    expect(sandboxes.kong?.skus.getByExternalId(PROBE_ID)).toMatchObject({ customer_id: 17 });
  });

  it("says so when Kong accepts a second SKU with the probe record's external id", async () => {
    const { probe, sandboxes } = await probeWorld();
    sandboxes.kong?.acceptDuplicates(true);

    const report = await probe({ write: true });

    expect(failed(report)).toEqual(["product duplicate refused"]);
    const [probeSku, duplicate] = sandboxes.kong?.skus.list().filter((s) => s.external_id === PROBE_ID) ?? [];
    expect(check(report, "product duplicate refused")?.detail).toBe(
      `Kong accepted a second SKU with external_id siesa-integration-probe-acme-staging (id ${duplicate?.id}, inactive): duplicates are not refused, which the sync relies on; delete SKU ${duplicate?.id}`,
    );
    // Both are inactive, and the last line says so, naming both.
    expect(check(report, "product probe record left inactive")).toMatchObject({
      status: "ok",
      detail: `external_id siesa-integration-probe-acme-staging is listed as id ${probeSku?.id}, ${duplicate?.id}, is_active false`,
    });
  });

  it("adds no third SKU when probed again on a Kong that accepts duplicates: it names those it holds", async () => {
    const { probe, sandboxes } = await probeWorld();
    sandboxes.kong?.acceptDuplicates(true);
    await probe({ write: true });

    const again = await probe({ write: true });

    const listed = sandboxes.kong?.skus.list().filter((s) => s.external_id === PROBE_ID) ?? [];
    expect(listed).toHaveLength(2);
    expect(check(again, "product duplicate refused")?.detail).toBe(
      `external_id siesa-integration-probe-acme-staging is listed 2 times (${listed.map((s) => s.id).join(", ")}): Kong holds duplicates of it, which the sync relies on it refusing; delete all but one`,
    );
  });

  it("names a probe record that is listed active (a duplicate left by a Kong that once accepted it)", async () => {
    const { probe, sandboxes } = await probeWorld();
    const sku = { external_id: PROBE_ID, name: "probe", type_id: 4, group_id: 9, customer_id: 17 };
    sandboxes.kong?.skus.insert({ ...sku, is_active: false });
    const active = sandboxes.kong?.skus.insert({ ...sku, is_active: true }, { allowDuplicate: true });

    const report = await probe({ write: true });

    expect(failed(report)).toEqual(["product duplicate refused", "product probe record left inactive"]);
    expect(check(report, "product probe record left inactive")?.detail).toBe(
      `external_id siesa-integration-probe-acme-staging is listed as id ${active?.id} with is_active true`,
    );
  });

  it("writes nothing when the tenant's mapping cannot make the probe record, and says why", async () => {
    const { probe, sandboxes } = await probeWorld({
      tenant: (t) => ({ ...t, product: { ...t.product, defaults: { customer_id: 17, type_id: 4 } } }),
    });

    const report = await probe({ write: true });

    expect(failed(report)).toEqual(["product probe record"]);
    expect(check(report, "product probe record")?.detail).toBe(
      "the tenant's mapping refuses the probe record: payload.group_id: required: missing",
    );
    expect(check(report, "product duplicate refused")?.status).toBe("skipped");
    expect(sandboxes.kong?.stats).toMatchObject({ creates: 0, patches: 0, puts: 0 });
    expect(wrote(report)).toEqual([]);
  });
});

describe("the contract probe --write, on the WMS", () => {
  const probeProducts = (world: Awaited<ReturnType<typeof probeWorld>>) =>
    world.sandboxes.wms?.products.allByExternalId(PROBE_ID) ?? [];

  it("creates the probe record inactive, finds it by its external id, and PATCHes it by the listed variant_id", async () => {
    const world = await probeWorld({ product: "wms" });

    const report = await world.probe({ write: true });

    expect(failed(report)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual(WMS_CHECKS);
    const [product] = probeProducts(world);
    expect(probeProducts(world)).toHaveLength(1);
    expect(product).toMatchObject({ status: "INACTIVE", inventory_unit: "UNIT" });
    expect(check(report, "product duplicate found by lookup")?.detail).toBe(
      `external_id__eq=siesa-integration-probe-acme-staging finds the one product, variant_id ${product?.id}: a write updates it, none was created`,
    );
    expect(check(report, "wms variant_id is the PATCH id")?.detail).toBe(
      `PATCH by variant_id ${product?.id} (status INACTIVE, with external_id) answered 200; the list then shows it INACTIVE`,
    );
    expect(check(report, "product probe record left inactive")?.detail).toBe(
      `external_id siesa-integration-probe-acme-staging is listed as id ${product?.id}, status INACTIVE`,
    );
    // One create, one PATCH: the WMS accepts duplicates, so the probe never sends a second create.
    expect(world.sandboxes.wms?.stats).toMatchObject({ creates: 1, patches: 1 });
    expect(wrote(report)).toEqual(["product probe record", "wms variant_id is the PATCH id"]);
  });

  it("a second probe finds the record the first left, and still holds one", async () => {
    const world = await probeWorld({ product: "wms" });
    await world.probe({ write: true });

    const report = await world.probe({ write: true });

    expect(failed(report)).toEqual([]);
    expect(check(report, "product probe record")?.detail).toMatch(
      /left by an earlier probe: reused, not created again$/,
    );
    expect(probeProducts(world)).toHaveLength(1);
    expect(world.sandboxes.wms?.stats.creates).toBe(1);
  });

  it("says variant_id is not what PATCH takes when PATCH answers 404 to the listed id", async () => {
    const world = await probeWorld({ product: "wms" });
    world.sandboxes.wms?.separateVariantIds(true);

    const report = await world.probe({ write: true });

    expect(failed(report)).toEqual(["wms variant_id is the PATCH id"]);
    const [product] = probeProducts(world);
    const variantId = check(report, "product duplicate found by lookup")?.detail.match(
      /variant_id (\w+)/,
    )?.[1];
    expect(variantId).toBeDefined();
    expect(variantId).not.toBe(product?.id);
    expect(check(report, "product duplicate found by lookup")?.detail).toContain(
      `(the create answered id ${product?.id})`,
    );
    expect(check(report, "wms variant_id is the PATCH id")?.detail).toBe(
      `PATCH by variant_id ${variantId} answered 404: variant_id is not what PATCH takes (a write the ledger holds no id for would find its product and fail, every time)`,
    );
    expect(probeProducts(world)).toHaveLength(1);
  });

  it("says when the PATCH answers 200 but the list still shows the probe record ACTIVE", async () => {
    const world = await probeWorld({ product: "wms" });
    const products = world.sandboxes.wms?.products;
    const probeProduct = products?.insert({
      external_id: PROBE_ID,
      name: "probe",
      status: "ACTIVE",
    });
    // A WMS that answers the PATCH with 200 and keeps the status it had.
    if (products) {
      const edit = products.edit.bind(products);
      products.edit = (id, { status: _kept, ...changes }) => edit(id, changes);
    }

    const report = await world.probe({ write: true });

    expect(failed(report)).toEqual(["wms variant_id is the PATCH id", "product probe record left inactive"]);
    expect(check(report, "wms variant_id is the PATCH id")?.detail).toBe(
      `PATCH by variant_id ${probeProduct?.id} answered 200, but the list shows status ACTIVE, not INACTIVE`,
    );
  });

  it("names the duplicates of the probe record the WMS already holds, creates no third, and names the active one", async () => {
    const world = await probeWorld({ product: "wms" });
    const products = world.sandboxes.wms?.products;
    const first = products?.insert({ external_id: PROBE_ID, name: "probe", status: "INACTIVE" });
    const second = products?.insert(
      { external_id: PROBE_ID, name: "probe", status: "ACTIVE" },
      { allowDuplicate: true },
    );

    const report = await world.probe({ write: true });

    expect(failed(report)).toEqual([
      "product duplicate found by lookup",
      "product probe record left inactive",
    ]);
    expect(check(report, "product duplicate found by lookup")?.detail).toBe(
      `external_id siesa-integration-probe-acme-staging is listed 2 times (${first?.id}, ${second?.id}): the WMS holds duplicates of it; delete all but one`,
    );
    expect(check(report, "wms variant_id is the PATCH id")).toMatchObject({
      status: "skipped",
      detail: "skipped: the lookup did not find the probe record",
    });
    expect(check(report, "product probe record left inactive")?.detail).toBe(
      `external_id siesa-integration-probe-acme-staging is listed as id ${second?.id} with status ACTIVE`,
    );
    expect(probeProducts(world)).toHaveLength(2);
    expect(world.sandboxes.wms?.stats).toMatchObject({ creates: 0, patches: 0 });
  });
});

describe("the probe --write as the API runs it", () => {
  it('with {"write": true}, logs what it writes and where before it writes; without, writes nothing', async () => {
    const { sandboxes, tenant } = await probeWorld();
    const log = recordingLog();
    // What Kong held when the notice was logged.
    const skusAtNotice: number[] = [];
    const probe = createTenantProbe({
      tenants: { get: async (id) => (id === tenant.id ? tenant : undefined), list: async () => [tenant] },
      credentials: { forTenant: async () => sandboxes.credentials },
      policy: fastPolicy(),
      log: {
        ...log,
        info: (message, ...data) => {
          if (message === "tenant probe writes") skusAtNotice.push(sandboxes.kong?.skus.size ?? -1);
          log.info(message, ...data);
        },
      },
    });

    const readOnly = await probe(tenant.id);
    const writing = await probe(tenant.id, { write: true });

    expect(wrote(readOnly ?? { checks: [] })).toEqual([]);
    expect(writing).toMatchObject({ ok: true });
    expect(wrote(writing ?? { checks: [] })).toEqual(["product probe record", "product duplicate refused"]);
    const notices = log.entries.filter((entry) => entry.message === "tenant probe writes");
    expect(notices.map((entry) => entry.data[0])).toEqual([
      {
        tenantId: tenant.id,
        notice: `writing to kong-rfid at ${new URL(sandboxes.productUrl).host}: one record, external_id siesa-integration-probe-acme-staging, created inactive unless an earlier probe left it, and left inactive`,
      },
    ]);
    expect(skusAtNotice).toEqual([1]);
    expect(sandboxes.kong?.skus.size).toBe(2);
  });
});
