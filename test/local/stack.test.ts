import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../runtime/cli/stack.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { recordingLog } from "./support.js";

/**
 * The local stack's own wiring: what `npm start` composes around the deployed handlers and API.
 * (Runs through the pipeline, with exact counts, are the pipeline's integration tests.)
 */

let stack: LocalStack;
/** The first of tenants/' local tenants (whichever they are), which the stack runs. */
let tenantId: string;

beforeAll(async () => {
  stack = await startLocalStack({ items: 10, tablePrefix: `stack-test-${Date.now()}`, log: recordingLog() });
  const local = (await loadTenants()).forEnvironment("local").map((t) => t.id);
  expect(stack.tenants.map((t) => t.id)).toEqual(local);
  tenantId = local[0] ?? "";
});
afterAll(async () => {
  await stack?.close();
});

const asOperator = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${stack.operatorToken}` } });

describe("startLocalStack", () => {
  it("serves the API on localhost with every table and every queue (and its DLQ) reachable", async () => {
    // act
    const response = await asOperator("/health/details");

    // assess
    expect(stack.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(response.status).toBe(200);
    const { checks } = (await response.json()) as { checks: Record<string, string> };
    for (const table of Object.values(stack.store.names)) expect(checks[table]).toBe("ok");
    for (const queue of Object.values(stack.sqs.queues)) expect(checks[queue.name]).toBe("ok");
  });

  it("runs the registry's local tenants against their sandboxes, not the URLs in the tenant file", () => {
    // assess
    const tenant = stack.tenants.find((t) => t.id === tenantId);
    const sandboxes = stack.sandboxes.get(tenantId);
    expect(tenant?.siesa.baseUrl).toBe(sandboxes?.siesaUrl);
    expect(tenant?.product.baseUrl).toBe(sandboxes?.productUrl);
    expect(stack.tenants.every((t) => t.environment === "local")).toBe(true);
  });

  it("pause and resume through the API switch the local schedule off and on", async () => {
    // act
    const paused = await asOperator(`/tenants/${tenantId}/pause`, { method: "POST" });
    const stateWhilePaused = await stack.scheduler.getState(tenantId);
    const resumed = await asOperator(`/tenants/${tenantId}/resume`, { method: "POST" });

    // assess
    expect(paused.status).toBe(200);
    expect(stateWhilePaused).toBe("DISABLED");
    expect(resumed.status).toBe(200);
    expect(await stack.scheduler.getState(tenantId)).toBe("ENABLED");
  });

  it("arms each local tenant's schedule", () => {
    // assess: a rate(...) fires one period after start
    expect(stack.scheduler.nextFire(tenantId)?.getTime()).toBeGreaterThan(Date.now());
  });

  it("reports as nextRunAt when the local scheduler will really fire, also after pause and resume", async () => {
    // prepare: time passes after the start, so an estimate from "now" would be off
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await asOperator(`/tenants/${tenantId}/pause`, { method: "POST" });
    await asOperator(`/tenants/${tenantId}/resume`, { method: "POST" });

    // act
    const status = (await (await asOperator(`/tenants/${tenantId}/status`)).json()) as { nextRunAt: string };

    // assess
    expect(status.nextRunAt).toBe(stack.scheduler.nextFire(tenantId)?.toISOString());
  });

  it("accepts only the operator token it was given or made", async () => {
    // act
    const withToken = await asOperator("/tenants");
    const withOther = await fetch(`${stack.apiUrl}/tenants`, {
      headers: { authorization: "Bearer sit_wrong" },
    });

    // assess
    expect(withToken.status).toBe(200);
    expect(withOther.status).toBe(401);
  });
});

describe("LocalStack.close", () => {
  it("stops the API, so its port no longer answers", async () => {
    // prepare
    const own = await startLocalStack({
      items: 5,
      tablePrefix: `stack-close-${Date.now()}`,
      log: recordingLog(),
    });
    const health = await fetch(`${own.apiUrl}/health`);

    // act
    await own.close();

    // assess
    expect(health.status).toBe(200);
    await expect(fetch(`${own.apiUrl}/health`)).rejects.toThrow();
  });
});
