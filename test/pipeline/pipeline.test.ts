import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalStack } from "../../runtime/cli/stack.js";
import type { QueueHandler } from "../../runtime/core/ports/dependencies.js";
import { TenantLease } from "../../runtime/edges/store/lease.js";
import { RunStore } from "../../runtime/edges/store/runs.js";
import { api, deadLetters, testStack } from "./local-stack.js";

// The deployed pipeline's behaviour on one machine: API → sync-requests → dispatch → pages →
// extract → loads → load → Kong sandbox, through fauxqs and dynalite, with the real handlers.

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const sandboxesOf = (s: LocalStack) => {
  const sandboxes = s.sandboxes.get("demo")?.inProcess;
  if (!sandboxes?.kong) throw new Error("demo runs against the in-process Kong sandbox");
  return { siesa: sandboxes.siesa, kong: sandboxes.kong };
};
const kongOf = (s: LocalStack) => sandboxesOf(s).kong;

describe("a manual run of the demo tenant through the queues", () => {
  it("succeeds with exact counts, then finds everything unchanged", async () => {
    stack = await testStack();
    const client = api(stack);

    const first = await client.triggerAndFinish("demo");
    const second = await client.triggerAndFinish("demo");

    expect(first).toMatchObject({
      status: "succeeded",
      trigger: "manual",
      counts: {
        extracted: 300,
        created: 300,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        failed: 0,
        deactivated: 0,
        reactivated: 0,
      },
    });
    expect(kongOf(stack).skus.size).toBe(300);
    expect(second).toMatchObject({
      status: "succeeded",
      counts: {
        extracted: 300,
        created: 0,
        updated: 0,
        unchanged: 300,
        rejected: 0,
        failed: 0,
        deactivated: 0,
        reactivated: 0,
      },
    });
  });

  it("gives one run and one 409 for two concurrent triggers", async () => {
    stack = await testStack();
    const client = api(stack);

    const answers = await Promise.all([client.trigger("demo"), client.trigger("demo")]);

    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const accepted = answers.find((a) => a.status === 202);
    const refused = answers.find((a) => a.status === 409);
    expect(refused?.body).toMatchObject({
      error: { code: "conflict", details: { activeRunId: accepted?.body.runId } },
    });
    expect((await client.finished(String(accepted?.body.runId))).status).toBe("succeeded");
  });
});

describe("a scheduled request while a run is active", () => {
  it("is recorded on the active run as skipped, not lost", async () => {
    // A slower product keeps the run active well past the scheduled request.
    stack = await testStack({ sandboxOverrides: { productFaults: { latencyMs: 40 } } });
    const client = api(stack);
    const started = await client.trigger("demo");

    await stack.sqs.client.send(
      new SendMessageCommand({
        QueueUrl: stack.sqs.queues.syncRequests.url,
        MessageBody: JSON.stringify({ tenantId: "demo", trigger: "schedule" }),
      }),
    );
    await expect
      .poll(async () => (await client.run(String(started.body.runId))).skipped?.length ?? 0, {
        timeout: 10_000,
      })
      .toBe(1);
    const run = await client.finished(String(started.body.runId));

    expect(run.status).toBe("succeeded");
    expect(run.skipped).toEqual([{ trigger: "schedule", at: expect.any(String) }]);
    const history = await client.call("GET", "/tenants/demo/runs");
    expect((history.body.runs as unknown[]).length).toBe(1); // no second run was started
  });
});

describe("a run that crashed", () => {
  it("does not block the tenant once its lease expires: the next run starts and the old one ends failed", async () => {
    stack = await testStack();
    const { doc, names } = stack.store;
    const runs = new RunStore(doc, names.runs);
    const startedAt = new Date(Date.now() - 2 * 3_600_000);
    await runs.create({
      runId: "20261122T080000.000Z-crashed00000",
      tenantId: "demo",
      trigger: "schedule",
      status: "running",
      startedAt: startedAt.toISOString(),
      counts: {
        extracted: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        failed: 0,
        deactivated: 0,
        reactivated: 0,
      },
      errors: [],
    });
    // Taken two hours ago for the tenant's maximum run duration (60 minutes): long expired.
    await new TenantLease(doc, names.tenants).acquire(
      "demo",
      "20261122T080000.000Z-crashed00000",
      startedAt,
      3_600_000,
    );
    const client = api(stack);

    const next = await client.triggerAndFinish("demo");
    const crashed = await client.run("20261122T080000.000Z-crashed00000");

    expect(next.status).toBe("succeeded");
    expect(crashed).toMatchObject({ status: "failed", reason: expect.stringMatching(/lease expired/) });
  });
});

describe("at-least-once delivery", () => {
  it("reaches the same end state when every message is delivered twice", async () => {
    const twice =
      (handler: QueueHandler): QueueHandler =>
      async (event) => {
        await handler(event);
        return handler(event);
      };
    stack = await testStack({ wrapHandlers: (_name, handler) => twice(handler) });
    const kong = kongOf(stack);

    const run = await api(stack).triggerAndFinish("demo");

    expect(run).toMatchObject({
      status: "succeeded",
      counts: {
        extracted: 300,
        created: 300,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        failed: 0,
        deactivated: 0,
        reactivated: 0,
      },
    });
    expect(kong.skus.size).toBe(300);
    expect(kong.stats.creates).toBe(300); // nothing written twice
    expect(kong.stats.patches).toBe(0);
  });

  it("still ends with exact counts when a load handler dies after its writes, before SQS hears of it", async () => {
    let crashes = 0;
    const crashAfterWork =
      (handler: QueueHandler): QueueHandler =>
      async (event) => {
        const answer = await handler(event);
        if (crashes < 5 && event.Records.some((r) => r.attributes.ApproximateReceiveCount === "1")) {
          crashes++;
          throw new Error("simulated crash after the writes");
        }
        return answer;
      };
    stack = await testStack({
      wrapHandlers: (name, handler) => (name === "load" ? crashAfterWork(handler) : handler),
    });

    const run = await api(stack).triggerAndFinish("demo");

    expect(crashes).toBe(5);
    expect(run).toMatchObject({
      status: "succeeded",
      counts: {
        extracted: 300,
        created: 300,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        failed: 0,
        deactivated: 0,
        reactivated: 0,
      },
    });
    expect(kongOf(stack).skus.size).toBe(300);
    expect(kongOf(stack).stats.creates).toBe(300);
  });
});

describe("failures", () => {
  it("counts records that keep failing as failed with their reason, on their last delivery", async () => {
    stack = await testStack();
    const client = api(stack);
    await client.triggerAndFinish("demo");
    const changed = sandboxesOf(stack).siesa.catalogue.changeItems(10);
    kongOf(stack).setFaults({ serverErrorShare: 1 });

    const run = await client.triggerAndFinish("demo");

    expect(run).toMatchObject({
      status: "partial",
      counts: {
        extracted: 300,
        created: 0,
        updated: 0,
        unchanged: 290,
        rejected: 0,
        failed: 10,
        deactivated: 0,
        reactivated: 0,
      },
    });
    expect(run.errors.map((e) => Number(e.key)).sort((a, b) => a - b)).toEqual(
      [...changed].sort((a, b) => a - b),
    );
    expect(run.errors[0]?.reason).toMatch(/kong-rfid .*500/);
    // Done with: nothing waits in the loads queue's dead-letter queue, holding the tenant's slot.
    await expect.poll(() => deadLetters(stack as LocalStack, "loads"), { timeout: 10_000 }).toBe(0);
  });

  it("stops early when the product refuses its credentials even after a fresh login", async () => {
    stack = await testStack();
    kongOf(stack).refuseTokens(true);

    const run = await api(stack).triggerAndFinish("demo");

    expect(run.status).toBe("failed");
    expect(run.reason).toMatch(/kong/i);
    const c = run.counts;
    expect(c.extracted).toBe(c.created + c.updated + c.unchanged + c.rejected + c.failed);
    expect(c.created).toBe(0);
  });

  it("ends failed with the reason when Siesa keeps failing", async () => {
    stack = await testStack();
    sandboxesOf(stack).siesa.setFaults({ serverErrorShare: 1 });

    const run = await api(stack).triggerAndFinish("demo");

    expect(run).toMatchObject({ status: "failed", counts: { extracted: 0 } });
    expect(run.reason).toMatch(/siesa .*500/); // the one unit's error is the reason
    expect(run.errors[0]?.reason).toMatch(/siesa .*500/);
    // Counted on its last delivery, the unit is done with: nothing waits in the units DLQ.
    await expect.poll(() => deadLetters(stack as LocalStack, "units"), { timeout: 10_000 }).toBe(0);
  });
});
