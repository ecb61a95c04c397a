import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../../runtime/core/domain/run-id.js";
import { TenantLease } from "../../runtime/edges/store/lease.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { aTenantId } from "./factories.js";

// Taking the tenant's lease is on the path of every run's start (the API or CLI, then dispatch): the
// usual cases, a free lease or the run's own again, cost one conditional write and no read.

describe("taking a tenant's lease", () => {
  let store: Store;
  const calls: string[] = [];

  beforeAll(async () => {
    store = await openStore({ prefix: `lease-writes-${process.pid}` });
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(context.commandName as string);
        return next(args);
      },
      { step: "initialize", name: "countLeaseCalls" },
    );
  });
  afterAll(() => store?.close());

  it("costs one write when it is free, and one when its run takes it again", async () => {
    // prepare
    const lease = new TenantLease(store.doc, store.names.tenants);
    const [tenantId, runId, now] = [aTenantId(), newRunId(), new Date()];
    calls.length = 0;

    // act
    const first = await lease.acquire(tenantId, runId, now, 60_000);
    const again = await lease.acquire(tenantId, runId, now, 60_000);

    // assess
    expect([first.acquired, again.acquired]).toEqual([true, true]);
    expect(calls).toEqual(["PutItemCommand", "PutItemCommand"]);
  });

  it("reads the holder only when another run holds it, and refuses", async () => {
    const lease = new TenantLease(store.doc, store.names.tenants);
    const [tenantId, now] = [aTenantId(), new Date()];
    const holder = newRunId();
    await lease.acquire(tenantId, holder, now, 60_000);
    calls.length = 0;

    const other = await lease.acquire(tenantId, `${holder}-other`, now, 60_000);

    expect(other).toEqual({ acquired: false, holder: expect.objectContaining({ runId: holder }) });
    expect(calls).toEqual(["PutItemCommand", "GetItemCommand"]);
  });
});
