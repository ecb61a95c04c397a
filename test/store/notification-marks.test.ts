import { afterAll, describe, expect, it } from "vitest";
import type { NotificationMarks } from "../../runtime/core/ports/notifier.js";
import { dynamoPipelineStore } from "../../runtime/edges/store/dynamo.js";
import {
  DynamoNotificationMarks,
  MemoryNotificationMarks,
} from "../../runtime/edges/store/notification-marks.js";
import { openStore, type Store } from "../../runtime/wiring/local-store.js";
import { aRun, aTenantId, uniquePrefix } from "./factories.js";

const opened: Store[] = [];
afterAll(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function dynamoStore(): Promise<Store> {
  const store = await openStore({ prefix: uniquePrefix("marks") });
  opened.push(store);
  return store;
}

/** The notify worker's delivery marks: in DynamoDB (the runs table, beside the run records) and in memory. */
const IMPLEMENTATIONS: [string, () => Promise<NotificationMarks>][] = [
  [
    "DynamoDB",
    async () => {
      const store = await dynamoStore();
      return new DynamoNotificationMarks(store.doc, store.names.runs);
    },
  ],
  ["memory", async () => new MemoryNotificationMarks()],
];

describe.each(IMPLEMENTATIONS)("notification marks (%s)", (_name, open) => {
  it("say delivered only for the event, tenant and channel that were marked", async () => {
    const marks = await open();
    const tenantId = aTenantId();

    await marks.markDelivered(tenantId, "run-1#failed", "webhook");

    expect(await marks.claim(tenantId, "run-1#failed", "webhook", 0, 30_000)).toBe("delivered");
    expect(await marks.claim(tenantId, "run-1#failed", "email", 0, 30_000)).toBe("claimed");
    expect(await marks.claim(tenantId, "run-2#failed", "webhook", 0, 30_000)).toBe("claimed");
    expect(await marks.claim(aTenantId(), "run-1#failed", "webhook", 0, 30_000)).toBe("claimed");
  });

  it("let one delivery at a time send an event on a channel, until its time ends or it gives the claim back", async () => {
    const marks = await open();
    const tenantId = aTenantId();
    const claim = (now: number) => marks.claim(tenantId, "late-1", "webhook", now, now + 30_000);

    const first = await claim(0);
    const atOnce = await claim(10);
    const afterItsTime = await claim(30_000);
    await marks.release(tenantId, "late-1", "webhook");
    const afterRelease = await claim(30_001);
    await marks.markDelivered(tenantId, "late-1", "webhook");
    await marks.release(tenantId, "late-1", "webhook"); // a late release never undoes a delivery
    const afterDelivery = await claim(90_000);

    expect([first, atOnce, afterItsTime, afterRelease, afterDelivery]).toEqual([
      "claimed",
      "busy",
      "claimed",
      "claimed",
      "delivered",
    ]);
  });
});

describe("notification marks in the runs table", () => {
  it("never show up among the tenant's runs", async () => {
    const store = await dynamoStore();
    const runs = dynamoPipelineStore(store.doc, store.names).runs;
    const marks = new DynamoNotificationMarks(store.doc, store.names.runs);
    const run = aRun();
    await runs.create(run);

    await marks.markDelivered(run.tenantId, `${run.runId}#failed`, "email");

    expect((await runs.list(run.tenantId)).runs.map((r) => r.runId)).toEqual([run.runId]);
  });
});
