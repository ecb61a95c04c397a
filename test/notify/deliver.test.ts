import { createHmac } from "node:crypto";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { WEBHOOK_HEADERS } from "../../runtime/core/domain/notification.js";
import { QUEUES } from "../../runtime/core/domain/pipeline-config.js";
import { METRICS } from "../../runtime/core/observability/metric-names.js";
import type { NotifyDependencies } from "../../runtime/core/ports/notifier.js";
import { SnsEmailChannel } from "../../runtime/edges/aws/notifications.js";
import { fetchWebhook } from "../../runtime/edges/http/webhook.js";
import { localTenantDirectory } from "../../runtime/edges/local/tenants.js";
import { MemoryNotificationMarks } from "../../runtime/edges/store/notification-marks.js";
import { localWebhook } from "../../runtime/wiring/local-credentials.js";
import { scopeNotifyToRole } from "../../runtime/wiring/role-scope.js";
import { createNotifyHandler } from "../../runtime/workers/notify-worker.js";
import { recordingLog } from "../support/log.js";
import { aTenant } from "../tenants/factories.js";
import { notificationEvent, recordingMetrics, webhookReceiver } from "./support.js";

const SIGNING_SECRET = "whsec-acme-0123456789";
const TOPIC_PREFIX = "arn:aws:sns:us-east-1:224874703567:siesa-integration-staging-notify-";
const API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/staging";

const tenant = aTenant((t) => {
  t.notify = { emails: ["ops@acme.example"], webhook: true };
});
const failed = {
  id: "20261206T115500Z-1a2b#failed",
  tenantId: tenant.id,
  kind: "failed",
  runId: "20261206T115500Z-1a2b",
  reason: "Siesa refused the credentials",
  counts: { extracted: 0, created: 0, rejected: 0, failed: 0 },
  at: "2026-12-06T12:00:00.000Z",
};

const receivers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close();
});

/** The notify worker over a real webhook receiver on this machine and a mocked SNS. */
async function notifyWorld(answer: () => number = () => 200, told = tenant) {
  const receiver = await webhookReceiver(answer);
  receivers.push(receiver);
  const sns = new SNSClient({ region: "us-east-1" });
  const snsMock = mockClient(sns);
  snsMock.on(PublishCommand).resolves({ MessageId: "sns-1" });
  const metrics = recordingMetrics();
  const log = recordingLog();
  const delays: number[] = [];
  const deps: NotifyDependencies = {
    tenants: localTenantDirectory([told]),
    secrets: localWebhook({ url: receiver.url, signingSecret: SIGNING_SECRET }),
    marks: new MemoryNotificationMarks(),
    email: new SnsEmailChannel(sns, TOPIC_PREFIX),
    webhook: fetchWebhook(),
    apiUrl: () => API_URL,
    log,
    metrics,
    redelivery: { retryLater: async (_arn, _receipt, delaySeconds) => void delays.push(delaySeconds) },
    retryBaseSeconds: 30,
    now: () => new Date("2026-12-06T12:00:05.000Z"),
  };
  // The worker sees what its role grants, as in AWS: a call the role refuses throws.
  return {
    handler: createNotifyHandler(scopeNotifyToRole(deps)),
    deps,
    receiver,
    snsMock,
    metrics,
    log,
    delays,
  };
}

const hmac = (secret: string, timestamp: string, body: string) =>
  `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;

describe("the notify worker", () => {
  it("emails and posts a failed run's event once, however often its message is delivered", async () => {
    const { handler, receiver, snsMock } = await notifyWorld();

    const first = await handler(notificationEvent(failed, 1));
    const redelivered = await handler(notificationEvent(failed, 2));

    expect([first.batchItemFailures, redelivered.batchItemFailures]).toEqual([[], []]);
    expect(receiver.requests).toHaveLength(1);
    const publishes = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(publishes).toHaveLength(1);
    expect(publishes[0]?.TopicArn).toBe(`${TOPIC_PREFIX}${tenant.id}`);
    expect(publishes[0]?.Subject).toBe(`siesa-integration ${tenant.id}: run failed`);
    expect(publishes[0]?.Message).toContain("Siesa refused the credentials");
    expect(publishes[0]?.Message).toContain(`In the console: ${API_URL}/console/runs/${failed.runId}`);
  });

  it("sends an event once when two copies of it are delivered at the same time (a sweep raised it twice)", async () => {
    const { handler, receiver, snsMock } = await notifyWorld();
    const [one] = notificationEvent(failed, 1, "m-1").Records;
    const [other] = notificationEvent(failed, 1, "m-2").Records;
    if (!one || !other) throw new Error("two records");

    await handler({ Records: [one, other] });
    // A copy that found a channel being sent by the other comes back, and then finds it delivered.
    const later = await handler({
      Records: [
        notificationEvent(failed, 2, "m-1").Records,
        notificationEvent(failed, 2, "m-2").Records,
      ].flat(),
    });

    expect(later.batchItemFailures).toEqual([]);
    expect(receiver.requests).toHaveLength(1);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it("drops an event of a kind the tenant's file no longer asks for, sending nothing", async () => {
    const failuresOnly = {
      ...tenant,
      notify: { ...tenant.notify, on: ["partial" as const] },
    } as typeof tenant;
    const { handler, receiver, snsMock } = await notifyWorld(() => 200, failuresOnly);

    const answer = await handler(notificationEvent(failed));

    expect(answer.batchItemFailures).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("signs the webhook so that it verifies with the tenant's signing secret and not with another", async () => {
    const { handler, receiver } = await notifyWorld();

    await handler(notificationEvent(failed));

    const [request] = receiver.requests;
    const timestamp = String(request?.headers[WEBHOOK_HEADERS.timestamp.toLowerCase()]);
    const signature = request?.headers[WEBHOOK_HEADERS.signature.toLowerCase()];
    expect(timestamp).toBe(String(Date.parse("2026-12-06T12:00:05.000Z") / 1000));
    expect(signature).toBe(hmac(SIGNING_SECRET, timestamp, request?.body ?? ""));
    expect(signature).not.toBe(hmac("whsec-another-tenant", timestamp, request?.body ?? ""));
    expect(request?.headers[WEBHOOK_HEADERS.event.toLowerCase()]).toBe(failed.id);
    expect(JSON.parse(request?.body ?? "{}")).toEqual({
      ...failed,
      link: `${API_URL}/console/runs/${failed.runId}`,
    });
  });

  it("retries a webhook that answers 500 with a growing delay, then counts it and leaves it to the dead-letter queue, emailing once", async () => {
    const { handler, receiver, snsMock, metrics, log, delays } = await notifyWorld(() => 500);
    const deliveries = QUEUES.notifications.maxReceiveCount;

    const answers = [];
    for (let receiveCount = 1; receiveCount <= deliveries; receiveCount++)
      answers.push(await handler(notificationEvent(failed, receiveCount)));

    expect(answers.every((a) => a.batchItemFailures.length === 1)).toBe(true);
    expect(receiver.requests).toHaveLength(deliveries);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    // Doubling from the base, capped; the last delivery asks for none: SQS dead-letters it.
    expect(delays).toEqual([30, 60, 120, 240, 480, 900, 900]);
    expect(metrics.recorded.filter((m) => m.name === METRICS.notificationsUndeliverable)).toEqual([
      {
        name: METRICS.notificationsUndeliverable,
        value: 1,
        dimensions: { tenantId: tenant.id, channel: "webhook" },
      },
    ]);
    // Never the URL in what is logged: it may carry the receiver's token.
    expect(log.lines.join("\n")).toContain(`the webhook of tenant ${tenant.id} answered 500`);
    expect(log.lines.join("\n")).not.toContain(receiver.url);
  });

  it("says why a webhook got no answer (its connection refused), never its URL or token", async () => {
    const receiver = await webhookReceiver();
    await receiver.close(); // nothing listens on its port any more
    const url = `${receiver.url}?token=rcv-token-5f3a`;
    const log = recordingLog();
    const deps: NotifyDependencies = {
      ...(await notifyWorld()).deps,
      secrets: localWebhook({ url, signingSecret: SIGNING_SECRET }),
      log,
    };

    const answer = await createNotifyHandler(deps)(notificationEvent(failed));

    expect(answer.batchItemFailures).toHaveLength(1);
    const warning = log.entries.find((e) => e.message === "notification not delivered");
    expect(warning?.data[0]).toMatchObject({
      channel: "webhook",
      error: `the webhook of tenant ${tenant.id} did not answer: ECONNREFUSED`,
    });
    expect(log.lines.join("\n")).not.toContain("rcv-token-5f3a");
    expect(log.lines.join("\n")).not.toContain("/hooks/siesa");
  });

  it("tells in each email what to do, and for held deactivations the command that approves them", async () => {
    const { handler, snsMock } = await notifyWorld();
    const held = {
      ...failed,
      id: `${failed.runId}#deactivationsHeld`,
      kind: "deactivationsHeld",
      reason: "1200 records are gone from Siesa, more than the tenant's limit of 500",
      counts: { held: 1200, limit: 500 },
    };

    await handler(notificationEvent(held));

    const [publish] = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(publish?.Message).toContain(
      `npm run sync -- --tenant ${tenant.id} --approve-deactivations-of ${failed.runId}`,
    );
    expect(publish?.Message).toContain(`"approveDeactivationsOf": "${failed.runId}"`);
    for (const kind of ["failed", "partial", "drift", "late"]) {
      await handler(notificationEvent({ ...failed, id: `${failed.runId}#${kind}`, kind }));
    }
    const messages = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input.Message);
    expect(messages.filter((text) => text?.includes("\nWhat to do: "))).toHaveLength(5);
  });
});
