import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../runtime/cli/stack.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import type { KongSandbox } from "../../sandbox/kong.js";
import { recordingLog } from "../support/log.js";

// POST /tenants/:id/verify on npm start's stack: the API, the workers (the verify worker among them) on
// local SQS, DynamoDB, and the tenant's Kong sandbox, in which this test edits and deletes SKUs behind
// the API's back.

const ITEMS = 40;
let stack: LocalStack;
let tenant: Tenant;
let kong: KongSandbox;

beforeAll(async () => {
  const local = (await loadTenants()).forEnvironment("local").find((t) => t.product.type === "kong-rfid");
  if (!local) throw new Error("no local Kong tenant under tenants/");
  stack = await startLocalStack({
    items: ITEMS,
    tenants: [local],
    scheduler: false,
    tablePrefix: `verify-api-${Date.now()}`,
    sandboxOverrides: { malformedShare: 0 },
    policy: { baseDelayMs: 1, maxDelayMs: 5 },
    retryBaseSeconds: 0,
    log: recordingLog(),
  });
  tenant = local;
  const sandbox = stack.sandboxes.get(local.id)?.inProcess?.kong;
  if (!sandbox) throw new Error("the stack has no in-process Kong sandbox");
  kong = sandbox;
}, 60_000);
afterAll(() => stack?.close());

// biome-ignore lint/suspicious/noExplicitAny: tests read the JSON answer like a client would
type Json = any;

async function asOperator(
  path: string,
  method = "GET",
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.operatorToken}`, "content-type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: await response.json() };
}

async function finished(runId: string) {
  await expect
    .poll(async () => (await asOperator(`/runs/${runId}`)).body.status, { timeout: 30_000 })
    .not.toBe("running");
  return (await asOperator(`/runs/${runId}`)).body;
}

describe("POST /tenants/:id/verify", () => {
  it("keeps the report on a verify run, and repairs on request through a run with trigger repair", async () => {
    const sync = await asOperator(`/tenants/${tenant.id}/runs`, "POST");
    expect((await finished(sync.body.runId)).status).toBe("succeeded");
    const [a, b, c, d, e] = kong.skus.list();
    if (!a || !b || !c || !d || !e) throw new Error("fewer than 5 SKUs");
    for (const edited of [a, b, c]) kong.skus.edit(edited.id, { ean: "0000000000000" });
    kong.skus.remove(d.id);
    kong.skus.remove(e.id);

    const started = await asOperator(`/tenants/${tenant.id}/verify`, "POST");

    expect(started.status).toBe(202);
    const verify = await finished(started.body.runId);
    expect(verify).toMatchObject({
      trigger: "verify",
      status: "partial",
      reason: "not ok: 2 missing, 3 drifted, 0 unknown",
      verify: { counts: { ok: ITEMS - 5, missing: 2, drifted: 3, unknown: 0 } },
    });
    expect(verify.verify.differences).toHaveLength(5);
    // The verify ran nothing: the tenant's status still speaks of the sync.
    expect((await asOperator(`/tenants/${tenant.id}/status`)).body.lastRun.runId).toBe(sync.body.runId);

    const repairing = await asOperator(`/tenants/${tenant.id}/verify`, "POST", { repair: true });
    const repair = await finished(repairing.body.runId);

    expect(repair.verify.repair).toMatchObject({ marked: 5, runId: expect.any(String) });
    const repairRun = await finished(repair.verify.repair.runId);
    expect(repairRun).toMatchObject({
      trigger: "repair",
      status: "succeeded",
      counts: { updated: 3, created: 2, unchanged: ITEMS - 5 },
    });
    const after = await finished((await asOperator(`/tenants/${tenant.id}/verify`, "POST")).body.runId);
    expect(after).toMatchObject({
      status: "succeeded",
      verify: { counts: { ok: ITEMS, missing: 0, drifted: 0, unknown: 0 }, differences: [] },
    });
  });
});
