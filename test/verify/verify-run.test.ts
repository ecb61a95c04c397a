import { describe, expect, it } from "vitest";
import { startRun } from "../../runtime/pipeline/start-run.js";
import { runVerify } from "../../runtime/verify/verify-run.js";
import { stepWorld } from "../pipeline/step-world.js";
import { aTenant } from "../tenants/factories.js";

// The verify run behind POST /tenants/:id/verify, on the in-memory ports: what it leaves behind when
// it cannot do its job. (The report it keeps and the repair: test/api/verify-stack.test.ts.)

// A tenant file refuses http:// outside `local`; the URL is replaced after validation, as the CLI's flags do.
const base = aTenant();
const unreachable = { ...base, product: { ...base.product, baseUrl: "http://127.0.0.1:1/" } };

describe("a verify run", () => {
  it("that cannot reach the product ends failed, naming the host, and frees the tenant's lease", async () => {
    const { ctx, store } = stepWorld({ tenant: unreachable });

    const result = await runVerify(ctx, unreachable, { repair: true });

    if (!result.started) throw new Error("the verify did not start");
    expect(result.run).toMatchObject({ trigger: "verify", status: "failed" });
    expect(result.run.reason).toMatch(
      /^verify could not read the product: kong-rfid .* failed \(network\): could not connect to 127\.0\.0\.1:1/,
    );
    expect(result.run.verify).toBeUndefined();
    expect(await store.lease.current(unreachable.id)).toBeUndefined();
  });

  it("does not start while a run holds the tenant's lease", async () => {
    const { ctx, tenant } = stepWorld();
    const sync = await startRun(ctx, tenant, "manual");
    if (!sync.started) throw new Error("the sync did not start");

    expect(await runVerify(ctx, tenant, { repair: false })).toEqual({
      started: false,
      activeRunId: sync.runId,
    });
  });
});
